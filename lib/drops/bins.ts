/** Histogram bins of the drops page: coarser widths from the 100 ms pass, shaped for the chart. */
import { clipBins, viewBinWidthFor } from '../overview/histogram-bins';
import { MAX_DENSE_BINS, type DropHistogram } from './report';

/**
 * Bins of `fromMs` (plain: bin j holds [j·a, (j+1)·a)) summed into CENTRED bins of `toMs`
 * (bin k holds [(k − ½)·w, (k + ½)·w), lib/overview/histogram-bins.ts). Exact when w/a is
 * an even integer k: v is in centred bin j iff floor(v/a) + k/2 lies in [j·k, (j+1)·k).
 */
export function rebinCentred(rows: readonly { bin: number; count: number }[], fromMs: number, toMs: number): { bin: number; count: number }[] {
  const k = toMs / fromMs;
  if (!Number.isInteger(k) || k < 2 || k % 2 !== 0) throw new RangeError(`bin width ${toMs} ms is not an even multiple of ${fromMs} ms`);
  return sumInto(rows, (bin) => Math.floor((bin + k / 2) / k));
}

/** Plain bins of `fromMs` summed into plain bins of `toMs`, a multiple: floor(floor(v/a)/k) = floor(v/(a·k)). */
export function rebin(rows: readonly { bin: number; count: number }[], fromMs: number, toMs: number): { bin: number; count: number }[] {
  const k = toMs / fromMs;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`bin width ${toMs} ms is not a multiple of ${fromMs} ms`);
  // The same width: the rows are the answer, when in order (a week's are 160k objects to copy).
  if (k === 1 && isSorted(rows)) return rows as { bin: number; count: number }[];
  return sumInto(rows, (bin) => Math.floor(bin / k));
}

/** Bins summed into `target(bin)`, which never decreases as the bin grows: the sums in order of their targets. */
export function sumInto(rows: readonly { bin: number; count: number }[], target: (bin: number) => number): { bin: number; count: number }[] {
  // Both targets are monotonic, so sorted rows sum in one pass of runs (the usual case: a
  // day's histogram has tens of thousands of rows); a Map otherwise.
  if (isSorted(rows)) {
    const out: { bin: number; count: number }[] = [];
    for (const r of rows) {
      const b = target(r.bin);
      const last = out[out.length - 1];
      if (last && last.bin === b) last.count += r.count;
      else out.push({ bin: b, count: r.count });
    }
    return out;
  }
  const out = new Map<number, number>();
  for (const r of rows) {
    const b = target(r.bin);
    out.set(b, (out.get(b) ?? 0) + r.count);
  }
  return [...out].map(([bin, count]) => ({ bin, count })).sort((a, b) => a.bin - b.bin);
}

function isSorted(rows: readonly { bin: number }[]): boolean {
  for (let i = 1; i < rows.length; i++) if (rows[i]!.bin < rows[i - 1]!.bin) return false;
  return true;
}

/**
 * Centred bins (bin k starts at (k − ½)·w) as the chart draws them: dense from the bin on 0
 * (or the first filled bin) when that stays under MAX_DENSE_BINS; else the filled bins with
 * an empty neighbour each side, so a chart on a numeric axis still draws each bar one bin
 * wide and does not bridge the gaps.
 */
export function shapeBins(rows: readonly { bin: number; count: number }[], widthMs: number): DropHistogram {
  const total = rows.reduce((n, r) => n + r.count, 0);
  if (rows.length === 0) return { total, bins: [], dense: true };
  const first = rows[0]!.bin;
  const last = rows.at(-1)!.bin;
  const lo = last - Math.min(0, first) + 1 <= MAX_DENSE_BINS ? Math.min(0, first) : first;
  if (last - lo + 1 <= MAX_DENSE_BINS) {
    const bins = Array.from({ length: last - lo + 1 }, (_, i) => ({ startMs: (lo + i - 0.5) * widthMs, count: 0 }));
    for (const r of rows) bins[r.bin - lo]!.count = r.count;
    return { total, bins, dense: true };
  }
  const byBin = new Map(rows.map((r) => [r.bin, r.count]));
  const keys = new Set<number>();
  for (const r of rows) for (const b of [r.bin - 1, r.bin, r.bin + 1]) keys.add(b);
  const bins = [...keys].sort((a, b) => a - b).map((b) => ({ startMs: (b - 0.5) * widthMs, count: byBin.get(b) ?? 0 }));
  return { total, bins, dense: false };
}

/**
 * For an automatic bin width: a finer width when an outlier would squash the axis (issue
 * 19). `rows` are the centred bins of `widthMs` the width fitted to the longest drop gave;
 * when the chart will clip them (lib/overview/histogram-bins.ts clipBins), the width that
 * fits the clipped axis instead, so the drops below the bound get bars of their own size.
 * Null when nothing is clipped or no finer width fits.
 */
export function finerAutoWidth(rows: readonly { bin: number; count: number }[], widthMs: number): number | null {
  if (rows.length === 0) return null;
  const shaped = shapeBins(rows, widthMs);
  const { overflow } = clipBins(shaped.bins, widthMs);
  if (!overflow) return null;
  const finer = viewBinWidthFor(overflow.fromMs, overflow.maxMs);
  return finer < widthMs ? finer : null;
}
