/**
 * Bin widths for the connection-duration histograms. Widths are round numbers a person would
 * pick (5 s, 1 min, 15 min ...) and bins are CENTRED on their multiples: bin k holds
 * [(k - 1/2)w, (k + 1/2)w). A layer that cuts at exactly N seconds produces durations a few
 * ms either side of N; with bins starting at N, those split into two bars (19.5-20 s and
 * 20-20.5 s) and the tallest read "20 s - 21 s". Centred, they make one bar under the tick N.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const NICE_BIN_WIDTHS_MS = [
  100, 200, 500,
  SECOND, 2 * SECOND, 5 * SECOND, 10 * SECOND, 15 * SECOND, 30 * SECOND,
  MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE,
  HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR,
  DAY, 2 * DAY, 7 * DAY,
] as const;

/** Enough to see a spike among neighbours, few enough that each bar stays visible. */
export const MAX_BINS = 60;

/** The smallest nice width that covers [0, maxMs] in at most {@link MAX_BINS} bins. */
export function binWidthFor(maxMs: number): number {
  if (!Number.isFinite(maxMs) || maxMs < 0) throw new RangeError(`maxMs must be a finite non-negative number, got ${maxMs}`);
  for (const w of NICE_BIN_WIDTHS_MS) if (Math.floor(maxMs / w) + 1 <= MAX_BINS) return w;
  // Sessions longer than 60 weeks: whole weeks.
  return Math.ceil((maxMs + 1) / MAX_BINS / (7 * DAY)) * 7 * DAY;
}

/** Few enough axis labels to stay legible on a narrow chart. */
const MAX_TICKS = 8;

/** The index of the centred bin of width `widthMs` that holds `ms` (see above). */
export function centredBin(ms: number, widthMs: number): number {
  return Math.floor(ms / widthMs + 0.5);
}

/**
 * Axis ticks at bin centres, at a round step that is a whole number of bins, so a tall bar
 * stands exactly on a labelled tick (the bar for 55-65 s stands on "1m").
 */
export function edgeTicks(binWidthMs: number, binCount: number): number[] {
  if (binWidthMs <= 0 || binCount <= 0) return [];
  // From the centre of the first bin to the centre of the last.
  const span = binWidthMs * (binCount - 1);
  const step =
    NICE_BIN_WIDTHS_MS.find((s) => s >= binWidthMs && s % binWidthMs === 0 && span / s <= MAX_TICKS) ??
    binWidthMs * Math.ceil(binCount / MAX_TICKS);
  const ticks: number[] = [];
  for (let t = 0; t <= span; t += step) ticks.push(t);
  return ticks;
}

/**
 * Empty axis after the last bar: the longest drops are often THE signature (every canary
 * cut at N), and a bar flush against the chart's edge reads as clipped.
 */
export function axisRoom(lo: number, hi: number): number {
  return (hi - lo) * 0.05;
}

/**
 * An axis that an outlier does not squash (issue 19): one 9.7-minute session among fifty
 * 20-second drops drew the 20 s bar in the first thirtieth of the chart. The axis ends at
 * a robust bound instead, and everything past it is one overflow bar marked as such.
 *
 * The bound is the end of the bins that hold all but a small tail: at most 1% of the
 * sessions (at least one), never a tenth or more of them, so a second real mode is never
 * folded away. A quantile would not do: with 54 sessions, p99 IS the outlier. The axis is
 * clipped only when it would otherwise be at least twice as long, and never before a value
 * the caller must keep in view (a signature's last member).
 */
export interface ClippedBins<T extends { startMs: number; count: number }> {
  /** The bins drawn on the axis, in order. */
  shown: T[];
  /** Everything from `fromMs` on, summed into one bar; null when nothing is clipped. */
  overflow: { fromMs: number; count: number; maxMs: number; bins: T[] } | null;
}

/** The axis is clipped only when the full one is at least this many times longer. */
export const CLIP_MIN_SQUASH = 2;
/** Room left after the bound, as a fraction of it, so the last bar is not flush with the overflow. */
export const CLIP_ROOM = 0.2;

/** At most this share of the sessions (and at least one) may go to the overflow bar. */
function tailAllowed(total: number): number {
  return Math.max(1, Math.floor(total * 0.01));
}

/**
 * Bins (centred or plain, any width, in order) clipped at a robust bound. Takes the bins
 * with their start and width; `keepMs` are values that must stay on the axis. Pure.
 */
export function clipBins<T extends { startMs: number; count: number }>(bins: readonly T[], widthMs: number, options: { keepMs?: readonly number[] } = {}): ClippedBins<T> {
  const none = { shown: [...bins], overflow: null };
  const total = bins.reduce((n, b) => n + b.count, 0);
  if (total === 0 || widthMs <= 0) return none;
  const allowed = tailAllowed(total);
  // Never hide a tenth of what the chart is about.
  if (allowed * 10 > total) return none;
  // The last bin whose end leaves at most `allowed` sessions after it.
  let tail = 0;
  let boundEnd = Number.NaN;
  for (let i = bins.length - 1; i >= 0; i--) {
    const b = bins[i]!;
    if (b.count === 0) continue;
    if (tail + b.count > allowed) {
      boundEnd = b.startMs + widthMs;
      break;
    }
    tail += b.count;
  }
  if (!Number.isFinite(boundEnd)) return none;
  const keep = Math.max(...(options.keepMs ?? []), -Infinity);
  const first = bins[0]!.startMs;
  // A whole number of bins past the bound and its room, and past every value to keep.
  const want = Math.max(boundEnd + (boundEnd - first) * CLIP_ROOM, keep + widthMs / 2);
  const clipAt = first + Math.ceil((want - first) / widthMs) * widthMs;
  let lastFilledEnd = first;
  for (const b of bins) if (b.count > 0) lastFilledEnd = b.startMs + widthMs;
  if (lastFilledEnd - first < CLIP_MIN_SQUASH * (clipAt - first)) return none;
  const shown = bins.filter((b) => b.startMs < clipAt);
  const over = bins.filter((b) => b.startMs >= clipAt);
  const count = over.reduce((n, b) => n + b.count, 0);
  if (count === 0) return { shown, overflow: null };
  return { shown, overflow: { fromMs: clipAt, count, maxMs: lastFilledEnd, bins: over } };
}

/**
 * Most bins a histogram may be drawn with once clipped: a finer width for the clipped axis
 * must still cover the outlier in this many (they are all sent, dense from 0).
 */
export const MAX_VIEW_BINS = 2400;

/**
 * The bin width for an axis clipped at `boundMs` whose longest value is `maxMs`: the one
 * {@link binWidthFor} picks for the bound, or coarser when that would take more than
 * {@link MAX_VIEW_BINS} bins to reach the longest value.
 */
export function viewBinWidthFor(boundMs: number, maxMs: number): number {
  const fine = binWidthFor(boundMs);
  for (const w of NICE_BIN_WIDTHS_MS) if (w >= fine && Math.floor(maxMs / w) + 1 <= MAX_VIEW_BINS) return w;
  return binWidthFor(maxMs);
}
