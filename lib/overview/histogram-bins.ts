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
