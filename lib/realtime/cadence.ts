/**
 * How often a live view may refresh, by the span of time it shows. One function for both
 * ends: the browser throttles its refetches to it (aligned to the wall clock, so viewers of
 * one view ask together) and the server keeps an answer for a (query, watermark) this long.
 *
 * A report reads every row of its range, so a week costs ~170 times an hour; and a new
 * batch moves a week's figures by a sliver. The period grows with the span so that a view
 * never lags by more than about 1/2000 of its width (1 h / 2 s = 1800, 7 d / 30 s = 20160),
 * while a 1-hour view, where one drop is a visible change, stays within 2 s.
 *
 * | span of the view   | at most one refresh per |
 * |--------------------|-------------------------|
 * | none (now), ≤ 1 h  | 2 s                     |
 * | ≤ 6 h              | 5 s                     |
 * | ≤ 24 h             | 10 s                    |
 * | ≤ 7 d              | 30 s                    |
 * | longer             | 60 s                    |
 */
import { DEFAULT_RANGE } from '../dashboard/scope';
import { HOUR_MS, parseWindow } from '../overview/overview';

const STEPS: readonly [maxSpanMs: number, cadenceMs: number][] = [
  [HOUR_MS, 2_000],
  [6 * HOUR_MS, 5_000],
  [24 * HOUR_MS, 10_000],
  [7 * 24 * HOUR_MS, 30_000],
];
const LONGEST_CADENCE_MS = 60_000;

/** The refresh period for a view of `spanMs` (null: a view of "now" without a range, such as the probes page). */
export function liveCadenceMs(spanMs: number | null): number {
  if (spanMs === null) return STEPS[0]![1];
  for (const [max, cadence] of STEPS) if (spanMs <= max) return cadence;
  return LONGEST_CADENCE_MS;
}

/** Which parameter of a live endpoint holds its span, and the span when it is absent. */
export type SpanParams =
  /** The dashboard scope (lib/dashboard/scope.ts): `range`, or `from`/`to`; 24 h by default. */
  | { kind: 'scope' }
  /** The overview's `window` (lib/overview/overview.ts), 1 h by default. */
  | { kind: 'window' }
  /** No time range applies (the probes page). */
  | { kind: 'none' };

/**
 * The span a query string shows, read leniently: a value the endpoint will refuse gives the
 * default (the refusal is the endpoint's to make, with the field named). `now` only matters
 * for an open-ended `from`.
 */
export function querySpanMs(params: URLSearchParams, spans: SpanParams, now: number): number | null {
  if (spans.kind === 'none') return null;
  if (spans.kind === 'window') return parseWindow(params.get('window') ?? '') ?? HOUR_MS;
  const range = params.get('range');
  if (range) return parseWindow(range) ?? parseWindow(DEFAULT_RANGE);
  const from = Date.parse(params.get('from') ?? '');
  if (Number.isFinite(from)) {
    const to = Date.parse(params.get('to') ?? '');
    return Math.max(0, (Number.isFinite(to) ? to : now) - from);
  }
  return parseWindow(DEFAULT_RANGE);
}

/** The refresh period of a live endpoint's query string. */
export function queryCadenceMs(params: URLSearchParams, spans: SpanParams, now: number): number {
  return liveCadenceMs(querySpanMs(params, spans, now));
}
