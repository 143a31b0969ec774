/**
 * The dashboard's scope, kept in the URL so a link reproduces the view: a time range
 * (a preset such as `24h`, or `from`/`to`), filters by probe, label, proxy, target and
 * profile, and the zone times are written in (`tz`). Every page and every dashboard endpoint
 * parses its query string through lib/dashboard/query-params.ts with
 * {@link dashboardScopeSchema}: unknown parameters are set aside and named (a chat tool's
 * `utm_source` must not blank a page), known ones are validated and a bad one is named.
 *
 * One limit for every way of asking for a range (issue 19): `range`, `from` alone (to now),
 * `to` alone (the default span before it), or both, never span more than
 * {@link MAX_RANGE_DAYS} days. A `from` alone depends on the clock, so that half of the
 * check is {@link rangeIssues}, which takes `now`.
 */
import { z } from 'zod';
import type { FieldIssue } from '../http/problem';
import { parseWindow } from '../overview/overview';
import { TIME_ZONE_MODES } from './time';

export const RANGE_PRESETS = ['15m', '1h', '6h', '24h', '7d', '30d'] as const;
export type RangePreset = (typeof RANGE_PRESETS)[number];
export const DEFAULT_RANGE: RangePreset = '24h';

/** The longest span a view may cover, however its range is given (the analysis' long-standing 31 days). */
export const MAX_RANGE_DAYS = 31;
export const MAX_RANGE_MS = MAX_RANGE_DAYS * 86_400_000;
const TOO_LONG = `expected a range of at most ${MAX_RANGE_DAYS} days`;

const name = z.string().min(1).max(128);

/** The scope's parameters, also the list of keys a scoped query knows (query-params.ts). */
export const scopeShape = {
  range: z.enum(RANGE_PRESETS).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  probe: name.optional(),
  /** `key=value`, e.g. region=eu. */
  label: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}=[^=]{1,128}$/, 'expected key=value, e.g. region=eu').optional(),
  proxy: name.optional(),
  target: name.optional(),
  profile: name.optional(),
  /** The zone times are written in; the server always computes in instants, so only the pages read it. */
  tz: z.enum(TIME_ZONE_MODES).optional(),
};

export const dashboardScopeSchema = z
  .strictObject(scopeShape)
  .refine((q) => !q.from || !q.to || Date.parse(q.from) < Date.parse(q.to), { message: 'expected from before to', path: ['from'] })
  .refine((q) => !(q.range && (q.from || q.to)), { message: 'expected either range or from/to, not both', path: ['range'] })
  .refine((q) => !q.from || !q.to || Date.parse(q.to) - Date.parse(q.from) <= MAX_RANGE_MS, { message: TOO_LONG, path: ['to'] });

export type DashboardQuery = z.infer<typeof dashboardScopeSchema>;

/** The query-string keys of the scope, in the order links write them. */
export const SCOPE_KEYS = ['range', 'from', 'to', 'probe', 'label', 'proxy', 'target', 'profile', 'tz'] as const;
export type ScopeKey = (typeof SCOPE_KEYS)[number];

/** The resolved scope a report echoes back (ISO instants, the label as `key=value`), as browsers parse it. */
export const reportScopeSchema = z.object({
  from: z.string(),
  to: z.string(),
  probe: z.string().optional(),
  label: z.string().optional(),
  proxy: z.string().optional(),
  target: z.string().optional(),
  profile: z.string().optional(),
});

/** A resolved scope: absolute instants and the filters. */
export interface DashboardScope {
  from: Date;
  to: Date;
  probe?: string;
  label?: { key: string; value: string };
  proxy?: string;
  target?: string;
  profile?: string;
}

/** What the server knows beside the URL when it resolves a scope. */
export interface ScopeHints {
  /** The oldest stored session's attempt (db/queries/earliest-data.ts); null on an empty database. */
  earliestData?: Date | null;
}

/**
 * The range a URL without `range`, `from` or `to` shows. The default 24 h, unless every
 * stored session is younger than that (a fresh install): then the smallest preset that covers
 * the data with a margin (a minute, or 5 % of its age), so the first minutes fill the chart
 * instead of being a sliver at its right edge.
 */
export function fittedRange(earliestData: Date | null | undefined, now: Date): RangePreset {
  if (!earliestData) return DEFAULT_RANGE;
  const age = Math.max(0, now.getTime() - earliestData.getTime());
  const defaultMs = parseWindow(DEFAULT_RANGE)!;
  if (age >= defaultMs) return DEFAULT_RANGE;
  const wanted = age + Math.max(60_000, age * 0.05);
  return RANGE_PRESETS.find((r) => parseWindow(r)! >= wanted && parseWindow(r)! <= defaultMs) ?? DEFAULT_RANGE;
}

/** The preset the scope bar shows pressed: the URL's, the fitted default, or `custom` for from/to. */
export function effectiveRange(q: Pick<DashboardQuery, 'range' | 'from' | 'to'>, hints: ScopeHints, now: Date): RangePreset | 'custom' {
  if (q.from || q.to) return 'custom';
  return q.range ?? fittedRange(hints.earliestData, now);
}

/** Absolute instants for a parsed query, relative to `now`. */
export function resolveScope(q: DashboardQuery, now: Date, hints: ScopeHints = {}): DashboardScope {
  const to = q.to ? new Date(q.to) : now;
  const preset = q.range ?? (q.to ? DEFAULT_RANGE : fittedRange(hints.earliestData, now));
  const from = q.from ? new Date(q.from) : new Date(to.getTime() - parseWindow(preset)!);
  const [key, value] = q.label ? (q.label.split('=', 2) as [string, string]) : [];
  return {
    from,
    to,
    ...(q.probe && { probe: q.probe }),
    ...(key && value !== undefined && { label: { key, value } }),
    ...(q.proxy && { proxy: q.proxy }),
    ...(q.target && { target: q.target }),
    ...(q.profile && { profile: q.profile }),
  };
}

/**
 * The limits that need the clock: a `from` alone runs to `now`, so it must lie before `now`
 * and no more than {@link MAX_RANGE_DAYS} days back. Together with the schema's own checks,
 * every combination of range, from and to is held to the same maximum. Empty when fine.
 */
export function rangeIssues(q: Pick<DashboardQuery, 'range' | 'from' | 'to'>, now: Date): FieldIssue[] {
  if (!q.from || q.to) return [];
  const from = Date.parse(q.from);
  if (from >= now.getTime()) return [{ path: 'from', message: `expected from before now (${now.toISOString()}), or a to after it` }];
  if (now.getTime() - from > MAX_RANGE_MS) return [{ path: 'from', message: `${TOO_LONG}: from alone runs to now; give a to within ${MAX_RANGE_DAYS} days of it` }];
  return [];
}

/** The query string for a query, in a stable order, without empty values or the default zone. */
export function scopeQueryString(q: Partial<Record<ScopeKey, string | undefined>>): string {
  const p = new URLSearchParams();
  for (const k of SCOPE_KEYS) {
    const v = q[k];
    if (v && !(k === 'tz' && v === 'utc')) p.set(k, v);
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** What the filter bar offers: the values seen in the database. */
export interface ScopeOptions {
  probes: string[];
  labels: string[];
  proxies: string[];
  targets: string[];
  profiles: string[];
  /** The preset a URL without a range shows ({@link fittedRange}); DEFAULT_RANGE when absent. */
  defaultRange?: RangePreset;
}

/** One choice of a filter's dropdown. */
export interface FilterChoice {
  value: string;
  label: string;
  /** The active value is in no stored row: offered anyway, so the control shows what filters the page. */
  noData?: boolean;
}

/**
 * A filter's choices: the values seen, plus the active value when the data lacks it
 * (`/paths?proxy=doesnotexist` shows "doesnotexist (no data)" selected, not "all proxies").
 */
export function filterChoices(seen: readonly string[], active: string | undefined): FilterChoice[] {
  const out: FilterChoice[] = seen.map((v) => ({ value: v, label: v }));
  if (active && !seen.includes(active)) out.unshift({ value: active, label: `${active} (no data)`, noData: true });
  return out;
}
