/**
 * Finding "exactly N seconds" in a histogram of drop durations: windows far denser than
 * their neighbourhood. The window is ±max(250 ms, 0.5 % of N), widened adaptively when
 * a layer's timer is coarse; the neighbourhood's density is a trimmed mean, so a second
 * signature nearby (55 s next to 60 s) neither hides nor inflates the first. Significance
 * is a Poisson tail corrected for the number of windows looked at, so a background of
 * random drops does not produce phantom signatures.
 */
import { logPoissonUpperTail } from './poisson';

export interface Bin {
  /** Start of the bin, ms. */
  startMs: number;
  count: number;
}

export interface Peak {
  /** Centre of the densest window, ms (refined later from the exact members). */
  centerMs: number;
  lowMs: number;
  highMs: number;
  count: number;
  /** Drops the background alone would put in the window. */
  expected: number;
  /** ln of the Poisson tail probability, before the multiple-testing correction. */
  logP: number;
}

export interface PeakOptions {
  binMs: number;
  /** Fewest drops a signature may have. */
  minCount?: number;
  /**
   * Family-wise false-positive rate over the whole histogram. Strict, because the
   * background is estimated from few drops and a real signature is overwhelming anyway.
   */
  alpha?: number;
  maxPeaks?: number;
}

export function windowHalfWidthMs(centerMs: number): number {
  return Math.max(250, 0.005 * centerMs);
}

export function findPeaks(bins: readonly Bin[], options: PeakOptions): Peak[] {
  const { binMs, minCount = 6, alpha = 1e-5, maxPeaks = 20 } = options;
  const sorted = [...bins].filter((b) => b.count > 0).sort((a, b) => a.startMs - b.startMs);
  if (sorted.length === 0) return [];
  const starts = sorted.map((b) => b.startMs);
  /** Drops in bins that start in [lo, hi). */
  const count = rangeCounter(sorted, starts, binMs);

  const span = Math.max(binMs, starts.at(-1)! - starts[0]! + binMs);
  const candidates: Peak[] = [];
  for (const b of sorted) {
    const x = b.startMs + binMs / 2;
    let best: Peak | null = null;
    for (const widen of [1, 2, 4]) {
      const p = evaluate(x, Math.max(windowHalfWidthMs(x) * widen, binMs));
      if (p && (!best || p.logP < best.logP)) best = p;
    }
    if (best) candidates.push(recenter(best));
  }

  /**
   * The window of half-width w around x, its edges on bin boundaries so that "in the
   * window" means the same for bins here and for exact values later. Null unless dense
   * enough to be a signature.
   */
  function evaluate(x: number, w: number): Peak | null {
    const lowMs = Math.floor((x - w) / binMs) * binMs;
    const highMs = Math.ceil((x + w) / binMs) * binMs;
    const k = count(lowMs, highMs);
    if (k < minCount) return null;
    // Most windows are plain background: the neighbourhood's average density, from the
    // prefix sums at O(log n), rules them out before the costlier per-side estimate.
    const half = (highMs - lowMs) / 2;
    const reach = Math.max(10_000, 0.1 * x, 20 * half);
    const around = count(Math.max(0, x - reach), x + reach) - k;
    const perWindow = around / Math.max(1, (reach * 2 - 2 * half) / (2 * half));
    if (k < 2 * perWindow) return null;
    const expected = background(count, x, half);
    if (k < 3 * expected) return null;
    const logP = logPoissonUpperTail(k, expected);
    // Bonferroni over the windows of this width that fit in the data's span, three widths.
    const tests = Math.max(1, span / (highMs - lowMs)) * 3;
    if (logP + Math.log(tests) > Math.log(alpha)) return null;
    return { centerMs: x, lowMs, highMs, count: k, expected, logP };
  }

  /**
   * A window placed on the edge of a jittered spike cuts it in half and biases N: move it
   * onto the weighted median of what it holds (twice is enough to settle).
   */
  function recenter(p: Peak): Peak {
    let cur = p;
    for (let iter = 0; iter < 2; iter++) {
      // The bins are sorted: two binary searches, not a pass over every bin per candidate
      // (that pass was ~40 % of findPeaks on 73,000 bins).
      const inside = sorted.slice(lowerBound(starts, cur.lowMs), lowerBound(starts, cur.highMs));
      const total = inside.reduce((n, b) => n + b.count, 0);
      let acc = 0;
      let x = cur.centerMs;
      for (const b of inside) {
        acc += b.count;
        if (acc * 2 >= total) {
          x = b.startMs + binMs / 2;
          break;
        }
      }
      if (x === cur.centerMs) break;
      const moved = evaluate(x, (cur.highMs - cur.lowMs) / 2);
      if (!moved) break;
      cur = moved;
    }
    return cur;
  }

  // Strongest first; a window overlapping one already taken belongs to it.
  candidates.sort((a, b) => a.logP - b.logP || b.count - a.count || a.centerMs - b.centerMs);
  const taken: Peak[] = [];
  for (const c of candidates) {
    if (taken.length >= maxPeaks) break;
    if (taken.some((t) => c.lowMs < t.highMs && c.highMs > t.lowMs)) continue;
    taken.push(c);
  }
  return taken.sort((a, b) => a.centerMs - b.centerMs);
}

/**
 * Expected drops in a window of half-width w at x from its neighbourhood: sub-windows of
 * the same width on each side, each side trimmed of its densest quarter (which may be
 * another signature), and the denser side wins. Taking the denser side keeps the edge of a
 * plateau (heartbeat canaries' idle time stops at the interval) from passing for a spike:
 * a real "exactly N" stands above both sides.
 */
function background(count: (lo: number, hi: number) => number, x: number, w: number): number {
  const reach = Math.max(10_000, 0.1 * x, 20 * w);
  // Typed arrays: findPeaks asks this for most windows of a smooth histogram, and the
  // per-call arrays and comparator sorts were a third of its time on a day's drops.
  const left = subWindowCounts(count, x - w - 2 * w, -2 * w, (lo) => lo >= x - reach && lo >= 0);
  const right = subWindowCounts(count, x + w, 2 * w, (lo) => lo + 2 * w <= x + reach);
  // Where drops are sparse the trimmed means fall to zero and a handful of coincidences
  // would look dense: the plain mean is the floor. It overstates the background next to
  // another signature, which costs a little sensitivity and never invents a signature.
  const n = left.length + right.length;
  const plain = n ? (sum(left) + sum(right)) / n : 0;
  return Math.max(trimmedMean(left), trimmedMean(right), plain);
}

/** Counts of the sub-windows [lo, lo + |step|) from `start`, stepping by `step` while `inside(lo)`. */
function subWindowCounts(count: (lo: number, hi: number) => number, start: number, step: number, inside: (lo: number) => boolean): Float64Array {
  let n = 0;
  for (let lo = start; inside(lo); lo += step) n++;
  const out = new Float64Array(n);
  const width = Math.abs(step);
  for (let i = 0, lo = start; i < n; i++, lo += step) out[i] = count(lo, lo + width);
  return out;
}

function sum(xs: Float64Array): number {
  let t = 0;
  for (const v of xs) t += v;
  return t;
}

function trimmedMean(xs: Float64Array): number {
  if (xs.length === 0) return 0;
  const s = Float64Array.from(xs).sort();
  const kept = Math.max(1, Math.ceil(s.length * 0.75));
  let t = 0;
  for (let i = 0; i < kept; i++) t += s[i]!;
  return t / kept;
}

/** Most bins a dense prefix array may span (a day of ages at 100 ms is ~900,000). */
const DENSE_SPAN_LIMIT = 4_000_000;

/**
 * `count(lo, hi)`: the drops in bins that start in [lo, hi), from prefix sums. findPeaks
 * asks this a few times per window it tries, for every filled bin: on bins that sit on a
 * grid of binMs (as the database's are) the prefix is dense and a count is two array reads;
 * otherwise each side is a binary search over the bins' starts.
 */
export function rangeCounter(sorted: readonly Bin[], starts: readonly number[], binMs: number): (lo: number, hi: number) => number {
  const first = starts[0]!;
  const span = Math.round((starts.at(-1)! - first) / binMs) + 1;
  const onGrid = span <= DENSE_SPAN_LIMIT && starts.every((x) => first + Math.round((x - first) / binMs) * binMs === x);
  if (!onGrid) {
    const prefix = [0];
    for (const b of sorted) prefix.push(prefix.at(-1)! + b.count);
    return (lo, hi) => prefix[lowerBound(starts, hi)]! - prefix[lowerBound(starts, lo)]!;
  }
  // dense[j] = drops in grid bins 0..j-1, so bins starting before v are dense[lowerIndex(v)].
  const dense = new Float64Array(span + 1);
  for (const b of sorted) dense[Math.round((b.startMs - first) / binMs) + 1]! += b.count;
  for (let j = 1; j <= span; j++) dense[j]! += dense[j - 1]!;
  /** The number of grid bins that start before v: lowerBound over the grid, exactly. */
  const lowerIndex = (v: number): number => {
    let j = Math.min(span, Math.max(0, Math.ceil((v - first) / binMs)));
    // The division may round across a bin start; settle on the exact comparison.
    while (j > 0 && first + (j - 1) * binMs >= v) j--;
    while (j < span && first + j * binMs < v) j++;
    return j;
  };
  return (lo, hi) => dense[lowerIndex(hi)]! - dense[lowerIndex(lo)]!;
}

function lowerBound(xs: readonly number[], v: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
