/**
 * Log-scale RTT buckets for the per-minute rollup: bucket i counts samples in
 * (bound(i-1), bound(i)]. With a ratio of 2^(1/4) any percentile read back from the
 * buckets is within ~9 % of the true value, which is plenty to chart p50/p95 over
 * 30 days without keeping every ping.
 */
export const RTT_BUCKET_COUNT = 72;
const FIRST_BOUND_MS = 0.25;
const RATIO = 2 ** 0.25;

/** Upper bound (ms) of bucket `i`; the last bucket is open-ended. */
export function rttBucketBound(i: number): number {
  return i >= RTT_BUCKET_COUNT - 1 ? Number.POSITIVE_INFINITY : FIRST_BOUND_MS * RATIO ** i;
}

/** Buckets per doubling: RATIO is 2^(1/4). */
const PER_DOUBLING = 4;

/**
 * Index of the bucket that holds `rttMs`. One log2 (log base RATIO is 4 × log2): a probe
 * files every ping's RTT through here (agent/rtt-minutes.ts).
 */
export function rttBucketIndex(rttMs: number): number {
  if (rttMs <= FIRST_BOUND_MS) return 0;
  const i = Math.ceil(PER_DOUBLING * Math.log2(rttMs / FIRST_BOUND_MS) - 1e-9);
  return Math.min(i, RTT_BUCKET_COUNT - 1);
}

/** A new all-zero bucket array. */
export function emptyRttBuckets(): number[] {
  return new Array<number>(RTT_BUCKET_COUNT).fill(0);
}

/**
 * Estimate the q-quantile (0..1) from bucket counts, interpolating geometrically inside
 * the bucket. `maxMs` bounds the open-ended last bucket. Returns null for no samples.
 */
export function rttQuantile(buckets: readonly number[], q: number, maxMs: number): number | null {
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    const c = buckets[i] ?? 0;
    if (c === 0) continue;
    if (seen + c >= rank) {
      const lo = i === 0 ? Math.min(FIRST_BOUND_MS, maxMs) : rttBucketBound(i - 1);
      const hi = Math.min(rttBucketBound(i), Math.max(maxMs, lo));
      const frac = c === 0 ? 0 : (rank - seen) / c;
      return lo > 0 && hi > lo ? lo * (hi / lo) ** frac : hi;
    }
    seen += c;
  }
  return maxMs;
}
