/**
 * The RTT chart's rows: one per bucket with pings, and a break (a row of nulls) where
 * buckets without pings follow, so the line stops over minutes nobody measured instead of
 * drawing a slope through them. Drawn straight between points (no smoothing), as a reading
 * at each bucket and nothing in between.
 */
import type { RttPoint } from './types';

export interface RttRow {
  t: number;
  p50: number | null;
  p95: number | null;
  count: number;
}

export function rttRows(points: readonly RttPoint[], bucketMs: number): RttRow[] {
  const sorted = points.map((p) => ({ t: Date.parse(p.at), p50: p.p50Ms, p95: p.p95Ms, count: p.count })).sort((a, b) => a.t - b.t);
  const rows: RttRow[] = [];
  for (const [i, row] of sorted.entries()) {
    const prev = sorted[i - 1];
    if (prev && row.t - prev.t > bucketMs) rows.push({ t: prev.t + bucketMs, p50: null, p95: null, count: 0 });
    rows.push(row);
  }
  return rows;
}

/** Whether row `i` has a value but no neighbour with one: a line cannot show it, a dot must. */
export function isolated(rows: readonly RttRow[], i: number): boolean {
  const has = (r: RttRow | undefined) => r !== undefined && (r.p50 !== null || r.p95 !== null);
  return has(rows[i]) && !has(rows[i - 1]) && !has(rows[i + 1]);
}
