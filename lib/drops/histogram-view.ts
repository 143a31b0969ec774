/**
 * What a duration histogram draws once an outlier is clipped (lib/overview/histogram-bins.ts
 * clipBins): the bars on the axis, then — one empty bin further, so the eye sees the cut —
 * one overflow bar for everything past the bound, and which bar a click selects
 * (lib/drops/bin-sessions.ts). Shared by the drops page's and the overview's histograms.
 */
import { formatDurationShort } from '../overview/format';
import { clipBins } from '../overview/histogram-bins';
import type { BarMeasure, BarSelection } from './bin-sessions';

export interface HistogramView<T extends { startMs: number; count: number }> {
  /** Bars on the axis, each with its centre (a numeric axis draws a bar around its x). */
  shown: (T & { midMs: number })[];
  /** Everything from `fromMs` on, drawn as one bar at `midMs`; null when nothing is clipped. */
  overflow: { fromMs: number; maxMs: number; count: number; midMs: number; bins: T[] } | null;
  /** The axis' data extent: from the first bar's start to the last bar's (or the overflow bar's) end. */
  lo: number;
  hi: number;
}

export function histogramView<T extends { startMs: number; count: number }>(bins: readonly T[], widthMs: number, options: { keepMs?: readonly number[] } = {}): HistogramView<T> {
  const { shown, overflow } = clipBins(bins, widthMs, options);
  const rows = shown.map((b) => ({ ...b, midMs: b.startMs + widthMs / 2 }));
  const lo = rows[0]?.startMs ?? 0;
  if (!overflow) return { shown: rows, overflow: null, lo, hi: (rows.at(-1)?.startMs ?? 0) + widthMs };
  // One empty bin between the last bar and the overflow bar.
  const midMs = overflow.fromMs + 1.5 * widthMs;
  return { shown: rows, overflow: { ...overflow, midMs }, lo, hi: overflow.fromMs + 2 * widthMs };
}

/** The bar a click on a bin selects: [start, start + width) of the measure. */
export function binBar(measure: BarMeasure, startMs: number, widthMs: number): BarSelection {
  return { measure, minMs: startMs, maxMs: startMs + widthMs };
}

/** The bar a click on the overflow bar selects: everything from its start on. */
export function overflowBar(measure: BarMeasure, fromMs: number): BarSelection {
  return { measure, minMs: fromMs, maxMs: null };
}

/** Whether `bar` is the bar drawn for [startMs, startMs + widthMs) (or the overflow from `startMs`, maxMs null). */
export function isSelected(bar: BarSelection | null, measure: BarMeasure, startMs: number, endMs: number | null): boolean {
  return bar !== null && bar.measure === measure && bar.minMs === startMs && bar.maxMs === endMs;
}

/**
 * A bar's edge as people read it: `formatDurationShort` when the edge is on a whole unit
 * (`15s`, `250ms`, `2m`), seconds with the decimals it needs when it is not (`19.5s`,
 * `0.75s` — bins centred on round values start half a bin off them). Rounding 19.5 s to
 * `20s` would label the bar 19.5–20.5 s "20s – 21s".
 */
export function formatBinEdge(ms: number): string {
  if (ms < 1000 || ms % 1000 === 0) return formatDurationShort(ms);
  if (ms >= 600_000) return formatDurationShort(ms);
  return `${Number((ms / 1000).toFixed(3))}s`;
}

/** What a bar covers: `19.5s – 20.5s`, or `longer than 25.5s` for the overflow bar (maxMs null). */
export function formatBinRange(minMs: number, maxMs: number | null): string {
  return maxMs === null ? `longer than ${formatBinEdge(minMs)}` : `${formatBinEdge(Math.max(0, minMs))} – ${formatBinEdge(maxMs)}`;
}
