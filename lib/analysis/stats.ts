/** Small robust statistics for signature members. */

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * 1.4826 × median absolute deviation: a standard deviation that outliers do not move. When
 * more than half the values are equal the MAD is 0 although the others spread (a timer
 * that fires on the same millisecond most of the time): then 1.2533 × the mean absolute
 * deviation from the median (Iglewicz and Hoaglin's fallback), so that a spread over
 * 190 ms never reads 0.
 */
export function robustSpread(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = median(xs);
  const deviations = xs.map((x) => Math.abs(x - m));
  const mad = median(deviations);
  return mad > 0 ? 1.4826 * mad : (1.2533 * deviations.reduce((a, b) => a + b, 0)) / deviations.length;
}

/** A short duration at the precision a spread needs: "4 ms", "190 ms", "1.25 s". */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** "±12 ms, 190 ms from shortest to longest": a signature's spread and the range it is read from. */
export function describeSpread(s: { spreadMs: number; minMs: number; maxMs: number }): string {
  return `±${formatMs(s.spreadMs)}, ${formatMs(Math.max(0, s.maxMs - s.minMs))} from shortest to longest`;
}

export function tally<T extends string | number>(xs: readonly T[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[String(x)] = (out[String(x)] ?? 0) + 1;
  return out;
}

export const pct = (n: number, d: number) => (d === 0 ? '0%' : `${Math.round((100 * n) / d)}%`);

/** "100.0 s", "5 min", "2 h 4 min": how an SRE says a timeout; under a second in ms ("40 ms"), never "0.0 s". */
export function formatSeconds(s: number): string {
  if (s < 0.95) return `${Math.round(s * 1000)} ms`;
  if (s < 120) return `${s.toFixed(1)} s`;
  if (s < 7200) {
    const m = Math.floor(s / 60);
    const r = Math.round(s - m * 60);
    return r ? `${m} min ${r} s` : `${m} min`;
  }
  const h = Math.floor(s / 3600);
  const m = Math.round((s - h * 3600) / 60);
  return m ? `${h} h ${m} min` : `${h} h`;
}
