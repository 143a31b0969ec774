/**
 * Brush-to-zoom on the dashboard's time charts (issue 19), as pure functions: a drag across a
 * chart selects two instants; the page navigates to itself with `from`/`to` of the
 * selection (every other parameter kept: filters, `tz`, a page's own `bin` or `by`), so a
 * link reproduces the zoomed view and the browser's back button zooms out again.
 *
 * The selection obeys the scope's limits: at least {@link MIN_ZOOM_MS} wide (a narrower drag
 * widens around its middle), never past `now` (a view of the future is empty), never longer
 * than MAX_RANGE_MS. "Zoom out" doubles the span around its middle, within the same limits.
 *
 * The same moves from the keyboard (the scope bar's buttons; a drag needs a pointer): zoom in
 * halves the span around its middle, "earlier" and "later" move it by half its length, and
 * all of them start from what the page shows, a preset included (a 24 h view ending now).
 */
import { parseWindow } from '../overview/overview';
import { MAX_RANGE_MS } from './scope';

/** The narrowest view a drag makes: a minute (the rollups' finest bucket). */
export const MIN_ZOOM_MS = 60_000;

/** A drag shorter than this many pixels is a click (a tooltip, a bar), not a zoom. */
export const MIN_DRAG_PX = 4;

export interface ZoomRange {
  from: number;
  to: number;
}

/**
 * The range a drag between instants `a` and `b` (either order) zooms to, or null when there is
 * nothing to zoom to (an invalid instant, or a selection wholly in the future).
 * Whole seconds: `from` rounded down, `to` up, so the URL stays short and the selection inside.
 */
export function zoomSelection(a: number, b: number, now: number): ZoomRange | null {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return null;
  let from = Math.min(a, b);
  let to = Math.min(Math.max(a, b), now);
  if (from >= now) return null;
  if (to - from < MIN_ZOOM_MS) {
    const mid = (from + to) / 2;
    to = Math.min(now, mid + MIN_ZOOM_MS / 2);
    from = to - MIN_ZOOM_MS;
  }
  return withinMax(from, to);
}

/**
 * `from` rounded down and `to` up to whole seconds, then `from` raised so the span is at most
 * MAX_RANGE_MS. In this order: clamping first and rounding after widened a clamped span by up
 * to two seconds, past the limit, and the page refused the link it had just made.
 */
function withinMax(from: number, to: number): ZoomRange {
  const [f, t] = [Math.floor(from / 1000) * 1000, Math.ceil(to / 1000) * 1000];
  return { from: Math.max(f, t - MAX_RANGE_MS), to: t };
}

/** Twice the span around the same middle, ending no later than `now`, at most MAX_RANGE_MS long. */
export function zoomOutRange(current: ZoomRange, now: number): ZoomRange {
  const span = Math.min(MAX_RANGE_MS, Math.max(MIN_ZOOM_MS, 2 * (current.to - current.from)));
  const mid = (current.from + current.to) / 2;
  const to = Math.min(now, mid + span / 2);
  return withinMax(to - span, to);
}

/**
 * The query string (`?…`) of the same page showing `range`: the URL's `range`, `from` and `to`
 * replaced, every other parameter kept in its place.
 */
export function zoomQuery(params: URLSearchParams | string, range: ZoomRange): string {
  const p = new URLSearchParams(params);
  p.delete('range');
  p.set('from', new Date(range.from).toISOString().replace('.000Z', 'Z'));
  p.set('to', new Date(range.to).toISOString().replace('.000Z', 'Z'));
  return `?${p.toString()}`;
}

/**
 * The range a URL's parameters show when they give `from` (with or without `to`), as zoom-out
 * starts from it; null for a preset (its buttons are the way out) or an unreadable instant.
 */
export function customRange(params: URLSearchParams, now: number): ZoomRange | null {
  const from = params.get('from');
  if (!from) return null;
  const f = Date.parse(from);
  const t = params.get('to') ? Date.parse(params.get('to')!) : now;
  return Number.isFinite(f) && Number.isFinite(t) && f < t ? { from: f, to: t } : null;
}

/** Whole seconds (the URL's precision): moves keep a whole-second span exactly. */
const wholeSeconds = (ms: number) => Math.round(ms / 1000) * 1000;
/** `now` as the URL can say it (as a drag ends there): the second it is in, rounded up. */
const upToSecond = (ms: number) => Math.ceil(ms / 1000) * 1000;

/** Half the span around the same middle, at least {@link MIN_ZOOM_MS}, ending no later than `now`. */
export function zoomInRange(current: ZoomRange, now: number): ZoomRange {
  const span = Math.max(MIN_ZOOM_MS, wholeSeconds((current.to - current.from) / 2));
  const to = Math.min(upToSecond(now), wholeSeconds((current.from + current.to + span) / 2));
  return withinMax(to - span, to);
}

/**
 * The same span moved by half of itself, earlier or later; later stops at `now` (null when the
 * range already ends there: there is nothing later to see).
 */
export function shiftRange(current: ZoomRange, direction: 'earlier' | 'later', now: number): ZoomRange | null {
  const span = Math.min(MAX_RANGE_MS, current.to - current.from);
  if (direction === 'later' && current.to >= now - 1000) return null;
  const step = Math.max(1000, wholeSeconds(span / 2));
  const to = direction === 'earlier' ? current.to - step : Math.min(upToSecond(now), current.to + step);
  return withinMax(to - span, to);
}

/**
 * The range a page shows: the URL's `from`/`to`, else its preset (or `fallback`, the page's
 * default) ending now; null when neither reads.
 */
export function shownRange(params: URLSearchParams, fallback: string, now: number): ZoomRange | null {
  const custom = customRange(params, now);
  if (custom) return custom;
  const span = parseWindow(params.get('range') ?? fallback);
  const to = upToSecond(now);
  return span === null ? null : { from: to - span, to };
}
