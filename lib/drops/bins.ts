/** Histogram bins of the drops page: coarser widths from the 100 ms pass, shaped for the chart. */
import { MAX_DENSE_BINS, type DropHistogram } from './report';

/**
 * Bins of `fromMs` summed into bins of `toMs`, a multiple of it. Exact because
 * floor(floor(v / a) / k) = floor(v / (a·k)) for integer k, negatives included.
 */
export function rebin(rows: readonly { bin: number; count: number }[], fromMs: number, toMs: number): { bin: number; count: number }[] {
  const k = toMs / fromMs;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`bin width ${toMs} ms is not a multiple of ${fromMs} ms`);
  const out = new Map<number, number>();
  for (const r of rows) {
    const b = Math.floor(r.bin / k);
    out.set(b, (out.get(b) ?? 0) + r.count);
  }
  return [...out].map(([bin, count]) => ({ bin, count })).sort((a, b) => a.bin - b.bin);
}

/**
 * Dense bins from 0 (or the first filled bin) when that stays under MAX_DENSE_BINS; else
 * the filled bins with an empty neighbour each side, so a chart on a numeric axis still
 * draws each bar one bin wide and does not bridge the gaps.
 */
export function shapeBins(rows: readonly { bin: number; count: number }[], widthMs: number): DropHistogram {
  const total = rows.reduce((n, r) => n + r.count, 0);
  if (rows.length === 0) return { total, bins: [], dense: true };
  const first = rows[0]!.bin;
  const last = rows.at(-1)!.bin;
  const lo = last - Math.min(0, first) + 1 <= MAX_DENSE_BINS ? Math.min(0, first) : first;
  if (last - lo + 1 <= MAX_DENSE_BINS) {
    const bins = Array.from({ length: last - lo + 1 }, (_, i) => ({ startMs: (lo + i) * widthMs, count: 0 }));
    for (const r of rows) bins[r.bin - lo]!.count = r.count;
    return { total, bins, dense: true };
  }
  const byBin = new Map(rows.map((r) => [r.bin, r.count]));
  const keys = new Set<number>();
  for (const r of rows) for (const b of [r.bin - 1, r.bin, r.bin + 1]) keys.add(b);
  const bins = [...keys].sort((a, b) => a - b).map((b) => ({ startMs: b * widthMs, count: byBin.get(b) ?? 0 }));
  return { total, bins, dense: false };
}
