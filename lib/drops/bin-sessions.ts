/**
 * Drill-down from a histogram bar to its sessions (issue 19: "clicking a histogram bar does
 * nothing"). A bar is a duration bin of one measure (the drops page's age or idle time, the
 * overview's duration) within the page's scope; the page keeps the selected bar in its URL
 * (`bar=age:19500-20500`, or `bar=age:30000-` for an overflow bar with no upper end) and
 * lists the bar's sessions from GET /api/v1/sessions with `minDurationMs`/`maxDurationMs`.
 *
 * One module for the URL form, the API's query schema and its answer, so the page, the
 * route and the query agree on what a bar holds: values in [min, max) of the measure, the
 * same half-open interval the histogram bins use (lib/overview/histogram-bins.ts).
 */
import { z } from 'zod';
import { endKinds } from '../contracts/ingest';
import { dashboardScopeSchema, reportScopeSchema } from '../dashboard/scope';

/**
 * What a bar measures: `duration` (open to end), `age` (the drops page: a silent death dated
 * by its last byte, db/queries/drop-values.ts AGE) or `idle` (silence both ways before the end).
 */
export const BAR_MEASURES = ['duration', 'age', 'idle'] as const;
export type BarMeasure = (typeof BAR_MEASURES)[number];

/** Which sessions a bar counts: every ended one (the overview), or drops only (the drops page). */
export const BAR_KINDS = ['ended', 'drops'] as const;
export type BarKind = (typeof BAR_KINDS)[number];

/** A selected bar: values of `measure` in [minMs, maxMs); maxMs null for an overflow bar. */
export interface BarSelection {
  measure: BarMeasure;
  minMs: number;
  maxMs: number | null;
}

/** The largest duration a bar may name: the ingest contract's longest session is 7 days. */
const MAX_MS = 1e10;
const BAR_RE = /^(duration|age|idle):(-?\d{1,11}(?:\.\d{1,3})?)-(\d{1,11}(?:\.\d{1,3})?)?$/;

/** `age:19500-20500` → the bar; null for anything else (an empty bar, min ≥ max, too long). */
export function parseBar(text: string | null | undefined): BarSelection | null {
  if (!text) return null;
  const m = BAR_RE.exec(text);
  if (!m) return null;
  const minMs = Number(m[2]);
  const maxMs = m[3] === undefined ? null : Number(m[3]);
  if (Math.abs(minMs) > MAX_MS || (maxMs !== null && (maxMs > MAX_MS || maxMs <= minMs))) return null;
  return { measure: m[1] as BarMeasure, minMs, maxMs };
}

/** The URL form of a bar, which {@link parseBar} reads back. */
export function formatBar(bar: BarSelection): string {
  const n = (v: number) => String(Math.round(v * 1000) / 1000);
  return `${bar.measure}:${n(bar.minMs)}-${bar.maxMs === null ? '' : n(bar.maxMs)}`;
}

/** The `bar` query parameter of a page, checked as {@link parseBar} reads it. */
export const barParamSchema = z.string().refine((v) => parseBar(v) !== null, {
  message: 'expected measure:minMs-maxMs with measure one of duration, age, idle, e.g. age:19500-20500 (maxMs may be left out)',
});

/** Rows of a page of the list at most, and by default. */
export const BIN_SESSIONS_MAX_LIMIT = 200;
export const BIN_SESSIONS_DEFAULT_LIMIT = 50;

const ms = z.coerce.number().finite().min(-MAX_MS).max(MAX_MS);

/**
 * A page of the list after the row the cursor names: `<ended_at in µs since the epoch>_<id>`,
 * newest first, so rows stored meanwhile neither shift nor repeat the pages.
 */
const CURSOR_RE = /^(\d{1,17})_([A-Za-z0-9_-]{1,64})$/;
export interface BinCursor {
  endedAtMicros: string;
  id: string;
}
export function parseCursor(text: string): BinCursor | null {
  const m = CURSOR_RE.exec(text);
  return m ? { endedAtMicros: m[1]!, id: m[2]! } : null;
}
export function formatCursor(c: BinCursor): string {
  return `${c.endedAtMicros}_${c.id}`;
}

/**
 * GET /api/v1/sessions in its drill-down form: the dashboard scope (range or from/to and the
 * filters; sessions ENDED in the range, as the histograms count them) and the bar.
 */
export const binSessionsQuerySchema = dashboardScopeSchema
  .safeExtend({
    /** Values at or above this (ms). */
    minDurationMs: ms,
    /** Values below this (ms); left out for an overflow bar. */
    maxDurationMs: ms.optional(),
    measure: z.enum(BAR_MEASURES).default('duration'),
    kind: z.enum(BAR_KINDS).default('ended'),
    cursor: z.string().refine((v) => parseCursor(v) !== null, { message: 'expected a cursor from a previous answer (nextCursor)' }).optional(),
    limit: z.coerce.number().int().min(1).max(BIN_SESSIONS_MAX_LIMIT).default(BIN_SESSIONS_DEFAULT_LIMIT),
  })
  .refine((q) => q.maxDurationMs === undefined || q.maxDurationMs > q.minDurationMs, { message: 'expected maxDurationMs above minDurationMs', path: ['maxDurationMs'] })
  .refine((q) => q.measure !== 'age' || q.kind === 'drops', { message: 'expected kind=drops with measure=age (age is a drop\'s)', path: ['kind'] })
  .refine((q) => q.measure !== 'idle' || q.kind === 'drops', { message: 'expected kind=drops with measure=idle (idle is a drop\'s)', path: ['kind'] });
export type BinSessionsQuery = z.infer<typeof binSessionsQuerySchema>;

/** Whether a sessions query string asks for the drill-down form (the keys only it has). */
export function isBinSessionsQuery(params: URLSearchParams): boolean {
  return params.has('minDurationMs') || params.has('maxDurationMs');
}

export const binSessionSchema = z.object({
  sessionId: z.string(),
  probe: z.string(),
  target: z.string(),
  proxy: z.string(),
  profile: z.string(),
  attemptedAt: z.string(),
  endedAt: z.string(),
  durationMs: z.number().nullable(),
  /** The value the bar measures (duration, age or idle). */
  valueMs: z.number().nullable(),
  endKind: z.enum(endKinds),
  closeCode: z.number().nullable(),
  closeReason: z.string().nullable(),
});
export type BinSession = z.infer<typeof binSessionSchema>;

export const binSessionsAnswerSchema = z.object({
  scope: reportScopeSchema,
  measure: z.enum(BAR_MEASURES),
  kind: z.enum(BAR_KINDS),
  minDurationMs: z.number(),
  maxDurationMs: z.number().nullable(),
  /** Sessions in the bar in all (every page). */
  total: z.number().int().nonnegative(),
  sessions: z.array(binSessionSchema),
  /** Pass as `cursor` for the next page; null on the last. */
  nextCursor: z.string().nullable(),
});
export type BinSessionsAnswer = z.infer<typeof binSessionsAnswerSchema>;

/**
 * The API query string for a bar within a page's scope: the scope's own keys as the page
 * has them (`scope`, already a query string without `?`), then the bar's.
 */
export function binSessionsQueryString(scope: string, bar: BarSelection, kind: BarKind, options: { cursor?: string; limit?: number } = {}): string {
  const p = new URLSearchParams(scope);
  // The page's own keys are not the API's.
  for (const k of [...p.keys()]) if (!SCOPE_PARAM_KEYS.has(k)) p.delete(k);
  p.set('minDurationMs', String(bar.minMs));
  if (bar.maxMs !== null) p.set('maxDurationMs', String(bar.maxMs));
  p.set('measure', bar.measure);
  p.set('kind', kind);
  if (options.cursor) p.set('cursor', options.cursor);
  if (options.limit) p.set('limit', String(options.limit));
  return p.toString();
}

/** The scope's keys (lib/dashboard/scope.ts), which the drill-down API takes too, but `tz` (a page's). */
const SCOPE_PARAM_KEYS = new Set(['range', 'from', 'to', 'probe', 'label', 'proxy', 'target', 'profile']);
