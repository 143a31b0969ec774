/**
 * Query strings of the dashboard's pages and endpoints, parsed one way everywhere (issue 19).
 *
 * Unknown parameters are set aside and named, never refused: a link pasted through a chat
 * tool gains a `utm_source`, and that must not blank a page to "Bad link". Pages show a small
 * notice ({@link ignoredNotice}); endpoints answer as usual and name them in the
 * {@link IGNORED_PARAMS_HEADER} header (a header, not a body field, so every answer's shape
 * stays what its schema says, and the live-answer memo keeps it with the body).
 *
 * Known parameters are validated as strictly as before, and a bad one is named. Scoped
 * queries are also held to the range limit that needs the clock (scope.ts rangeIssues).
 */
import type { z } from 'zod';
import { nulTextIssue } from '../http/nul-text';
import { fieldIssues, type FieldIssue } from '../http/problem';
import { rangeIssues, type DashboardQuery, type RangePreset } from './scope';

/** Response header naming the query parameters an endpoint ignored, comma-separated, each percent-encoded. */
export const IGNORED_PARAMS_HEADER = 'dropscope-ignored-params';

/** At most this many ignored names are repeated back; a URL with thousands must not make a huge header or banner. */
export const MAX_IGNORED_NAMED = 10;

export type QueryInput = Record<string, string | string[]>;

/** A parse's outcome; `known` is the input without the ignored keys (for links and live refetches). */
export type QueryParse<T> = { success: true; data: T; ignored: string[]; known: QueryInput } | { success: false; issues: FieldIssue[]; ignored: string[]; known: QueryInput };

/** Split `input` into the keys in `known` and the names of the others (sorted, for a stable notice). */
export function splitParams(input: QueryInput, known: readonly string[]): { known: QueryInput; ignored: string[] } {
  const keep: QueryInput = {};
  const ignored: string[] = [];
  for (const [k, v] of Object.entries(input)) {
    if (known.includes(k)) keep[k] = v;
    else ignored.push(k);
  }
  return { known: keep, ignored: ignored.sort() };
}

/** Schemas whose keys can be listed: zod objects, refined or extended. */
type ObjectSchema = z.ZodType & { shape: Record<string, unknown> };

/** Parse `input` with `schema` after setting aside the keys it does not know. */
export function parseQuery<S extends ObjectSchema>(schema: S, input: QueryInput): QueryParse<z.output<S>> {
  const { known, ignored } = splitParams(input, Object.keys(schema.shape));
  const nul = nulTextIssue(known);
  if (nul) return { success: false, issues: [nul], ignored, known };
  const parsed = schema.safeParse(known);
  if (!parsed.success) return { success: false, issues: fieldIssues(parsed.error), ignored, known };
  return { success: true, data: parsed.data as z.output<S>, ignored, known };
}

/** {@link parseQuery} for a query holding a dashboard scope: the clock-dependent range limit applies too. */
export function parseScopedQuery<S extends ObjectSchema>(schema: S, input: QueryInput, now: Date): QueryParse<z.output<S>> {
  const r = parseQuery(schema, input);
  if (!r.success) return r;
  const issues = rangeIssues(r.data as DashboardQuery, now);
  return issues.length > 0 ? { success: false, issues, ignored: r.ignored, known: r.known } : r;
}

/** The names shown back to a person or script: the first {@link MAX_IGNORED_NAMED}, each cut to 64 characters. */
function shown(ignored: readonly string[]): { names: string[]; more: number } {
  return { names: ignored.slice(0, MAX_IGNORED_NAMED).map((n) => (n.length > 64 ? `${n.slice(0, 63)}…` : n)), more: Math.max(0, ignored.length - MAX_IGNORED_NAMED) };
}

/** "Ignored unknown parameter utm_source" / "Ignored unknown parameters a, b (and 3 more)"; '' when none. */
export function ignoredNotice(ignored: readonly string[]): string {
  if (ignored.length === 0) return '';
  const { names, more } = shown(ignored);
  return `Ignored unknown parameter${ignored.length > 1 ? 's' : ''} ${names.join(', ')}${more > 0 ? ` (and ${more} more)` : ''}`;
}

/** The header value for {@link IGNORED_PARAMS_HEADER}, or undefined when nothing was ignored. */
export function ignoredHeaderValue(ignored: readonly string[]): string | undefined {
  if (ignored.length === 0) return undefined;
  const { names, more } = shown(ignored);
  return [...names.map(encodeURIComponent), ...(more > 0 ? [`+${more}`] : [])].join(',');
}

/** `headers` of a JSON answer with the ignored-parameters header added when there is one. */
export function withIgnoredHeader(ignored: readonly string[], headers: Record<string, string> = {}): Record<string, string> {
  const value = ignoredHeaderValue(ignored);
  return value === undefined ? headers : { ...headers, [IGNORED_PARAMS_HEADER]: value };
}

/**
 * The query string (`?a=1`, or '') of the known parameters only, leaving out `drop` (the
 * page's `tz`, which endpoints do not need): what a page's live refetch asks for, and the
 * link a notice offers without the ignored ones.
 */
export function knownQueryString(known: QueryInput, drop: readonly string[] = []): string {
  const s = new URLSearchParams(Object.entries(known).flatMap(([k, v]) => (typeof v === 'string' && !drop.includes(k) ? [[k, v]] : []))).toString();
  return s ? `?${s}` : '';
}

/**
 * The query string a live page refetches its endpoint with: the known parameters without
 * `drop`, and, when the URL names no range, the preset the page was fitted to
 * (scope.ts fittedRange). The refetch then shows the very range the page showed (it does not
 * widen under the viewer as the data ages), and the live-answer memo refreshes it at that
 * range's cadence (lib/realtime/cadence.ts), not the 24 h default's.
 */
export function liveQueryString(known: QueryInput, fitted: RangePreset, drop: readonly string[] = []): string {
  const named = known.range !== undefined || known.from !== undefined || known.to !== undefined;
  return knownQueryString(named ? known : { range: fitted, ...known }, drop);
}
