/**
 * Silences (issue 19): "mute what matches these for that long", for a maintenance window or
 * a planned pause. A silenced alert still moves through its states and is shown as
 * silenced; only its notifications are held back (db/queries/alerts-evaluate.ts).
 *
 * Matchers are exact `key: value` pairs and all must match, as in Alertmanager. Keys:
 * `target`, `proxy`, `probe` (the rule's dimensions), `rule` (a rule's name) and
 * `label:<key>` (a probe label). A dimension matches when the alert's labels carry that
 * value (the rule groups by it) or the rule's scope pins it to that value; a rule that
 * covers every target is not silenced by `target=builtin`, since its alert may be about
 * another target. Pure: time is passed in.
 */
import { z } from 'zod';
import type { RuleScope } from './rule';

/** The dimensions a matcher may name besides `rule` and `label:<key>`. */
export const MATCHER_DIMENSIONS = ['target', 'proxy', 'probe'] as const;
export type MatcherDimension = (typeof MATCHER_DIMENSIONS)[number];

/** `key: value`, all of which must match. */
export type SilenceMatchers = Record<string, string>;

/** The longest a silence may last, and how far ahead one may be planned. */
export const MAX_SILENCE_MS = 30 * 86_400_000;
export const MAX_SILENCE_LEAD_MS = 30 * 86_400_000;
/** More matchers than this is a mistake, not a silence. */
export const MAX_MATCHERS = 10;
export const MAX_COMMENT = 500;

const LABEL_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Why `key` is not a matcher key, or null when it is one. */
export function matcherKeyProblem(key: string): string | null {
  if (key === 'rule' || (MATCHER_DIMENSIONS as readonly string[]).includes(key)) return null;
  if (key.startsWith('label:')) return LABEL_KEY.test(key.slice('label:'.length)) ? null : 'expected label:<key> with a key of letters, digits and _, e.g. label:region';
  return 'expected target, proxy, probe, rule or label:<key>';
}

/** Matchers as the API, the CLI and the form send them; each bad one is named by its key (`matchers.region`). */
export const silenceMatchersSchema = z
  .record(z.string(), z.string({ error: 'expected a text value' }))
  .superRefine((m, ctx) => {
    const keys = Object.keys(m);
    if (keys.length === 0) ctx.addIssue({ code: 'custom', message: 'expected at least one matcher, e.g. {"target": "builtin"}' });
    if (keys.length > MAX_MATCHERS) ctx.addIssue({ code: 'custom', message: `expected at most ${MAX_MATCHERS} matchers` });
    for (const key of keys) {
      const keyProblem = matcherKeyProblem(key);
      if (keyProblem) ctx.addIssue({ code: 'custom', path: [key], message: keyProblem });
      const value = m[key]!;
      if (value.length < 1 || value.length > 128) ctx.addIssue({ code: 'custom', path: [key], message: 'expected a value of 1 to 128 characters' });
    }
  });

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 } as const;
const SILENCE_DURATION_RE = /^(?:(\d{1,5})d)?(?:(\d{1,6})h)?(?:(\d{1,7})m)?(?:(\d{1,9})s)?$/;

/** Milliseconds for `2m`, `90s`, `1h30m`, `2d12h`; null for anything else (or zero). */
export function parseSilenceDuration(text: string): number | null {
  const t = text.trim();
  const m = SILENCE_DURATION_RE.exec(t);
  if (!m || t === '') return null;
  const ms = Number(m[1] ?? 0) * UNIT_MS.d + Number(m[2] ?? 0) * UNIT_MS.h + Number(m[3] ?? 0) * UNIT_MS.m + Number(m[4] ?? 0) * UNIT_MS.s;
  return ms > 0 ? ms : null;
}

/** `1h30m`, `2m`, `45s`, `2d`; whole seconds (less is shown as `0s`). */
export function formatSilenceDuration(ms: number): string {
  let rest = Math.max(0, Math.round(ms / 1000)) * 1000;
  if (rest === 0) return '0s';
  let out = '';
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const n = Math.floor(rest / UNIT_MS[unit]);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * UNIT_MS[unit];
  }
  return out;
}

const instant = z.iso.datetime({ offset: true, error: 'expected an ISO 8601 instant, e.g. 2026-12-07T10:00:00Z' });

/**
 * The body of POST /api/v1/silences (and the CLI's command): the end as `endsAt` or as a
 * `duration` from the start, one of them; the start defaults to now. Whether the window is
 * plausible depends on now: resolveSilenceSpec.
 */
export const silenceInputSchema = z
  .strictObject({
    matchers: silenceMatchersSchema,
    startsAt: instant.optional(),
    endsAt: instant.optional(),
    duration: z.string().optional(),
    comment: z.string().trim().max(MAX_COMMENT, `expected at most ${MAX_COMMENT} characters`).default(''),
  })
  .superRefine((s, ctx) => {
    if (s.endsAt === undefined && s.duration === undefined) ctx.addIssue({ code: 'custom', path: ['duration'], message: 'expected a duration such as 2m or 1h30m (or endsAt)' });
    if (s.endsAt !== undefined && s.duration !== undefined) ctx.addIssue({ code: 'custom', path: ['duration'], message: 'give either duration or endsAt, not both' });
    if (s.duration !== undefined && parseSilenceDuration(s.duration) === null) ctx.addIssue({ code: 'custom', path: ['duration'], message: 'expected a duration such as 2m, 90s or 1h30m' });
  });
export type SilenceInput = z.output<typeof silenceInputSchema>;

/** A silence to store: its window decided. */
export interface SilenceSpec {
  matchers: SilenceMatchers;
  startsAt: Date;
  endsAt: Date;
  comment: string;
}

export type SpecResult = { ok: true; spec: SilenceSpec } | { ok: false; issues: { path: string; message: string }[] };

/**
 * The window of `input` at `now`, checked: it ends after it starts and after now, lasts at
 * most 30 days, and starts no more than 30 days ahead. Issues name the field at fault.
 */
export function resolveSilenceSpec(input: SilenceInput, now: Date): SpecResult {
  const startsAt = input.startsAt === undefined ? now : new Date(input.startsAt);
  const endField = input.endsAt !== undefined ? 'endsAt' : 'duration';
  const endsAt = input.endsAt !== undefined ? new Date(input.endsAt) : new Date(startsAt.getTime() + (parseSilenceDuration(input.duration ?? '') ?? 0));
  const issues: { path: string; message: string }[] = [];
  if (startsAt.getTime() - now.getTime() > MAX_SILENCE_LEAD_MS) issues.push({ path: 'startsAt', message: 'expected a start at most 30 days ahead' });
  if (endsAt.getTime() <= startsAt.getTime()) issues.push({ path: endField, message: 'expected the silence to end after it starts' });
  else if (endsAt.getTime() <= now.getTime()) issues.push({ path: endField, message: 'expected an end in the future: this silence would be over already' });
  else if (endsAt.getTime() - startsAt.getTime() > MAX_SILENCE_MS) issues.push({ path: endField, message: 'expected a silence of at most 30 days' });
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, spec: { matchers: input.matchers, startsAt, endsAt, comment: input.comment } };
}

/** What a silence is compared with: the rule (name and scope) and the alert's labels. */
export interface SilenceSubject {
  rule: { name: string; scope: RuleScope };
  labels: Record<string, string>;
}

function matcherMatches(key: string, value: string, s: SilenceSubject): boolean {
  if (key === 'rule') return s.rule.name === value;
  if ((MATCHER_DIMENSIONS as readonly string[]).includes(key)) return s.labels[key] === value || s.rule.scope[key as MatcherDimension] === value;
  if (key.startsWith('label:')) {
    const label = key.slice('label:'.length);
    // A probe label reaches an alert through the rule's scope (`region=eu`); an alert's
    // own labels (profile, a signature's id) can be named the same way.
    return s.rule.scope.label === `${label}=${value}` || s.labels[label] === value;
  }
  return false;
}

/** True when every matcher matches the subject. */
export function silenceMatches(matchers: SilenceMatchers, subject: SilenceSubject): boolean {
  const entries = Object.entries(matchers);
  return entries.length > 0 && entries.every(([k, v]) => matcherMatches(k, v, subject));
}

export interface SilenceWindow {
  startsAt: Date;
  endsAt: Date;
}

/** In force at `now`: started, not yet ended (the end is exclusive). */
export function activeAt(s: SilenceWindow, now: Date): boolean {
  return s.startsAt.getTime() <= now.getTime() && now.getTime() < s.endsAt.getTime();
}

export const SILENCE_STATES = ['active', 'pending', 'expired'] as const;
export type SilenceState = (typeof SILENCE_STATES)[number];

export function silenceState(s: SilenceWindow, now: Date): SilenceState {
  if (s.endsAt.getTime() <= now.getTime()) return 'expired';
  return s.startsAt.getTime() > now.getTime() ? 'pending' : 'active';
}

/**
 * The silence muting `subject` at `now` among `silences`: of those active and matching, the
 * one that ends last (ties: the lowest id), so the alert shows the silence that holds it
 * longest. Null when none does.
 */
export function silencingOf<S extends SilenceWindow & { id: number; matchers: SilenceMatchers }>(silences: readonly S[], subject: SilenceSubject, now: Date): S | null {
  let best: S | null = null;
  for (const s of silences) {
    if (!activeAt(s, now) || !silenceMatches(s.matchers, subject)) continue;
    if (!best || s.endsAt.getTime() > best.endsAt.getTime() || (s.endsAt.getTime() === best.endsAt.getTime() && s.id < best.id)) best = s;
  }
  return best;
}

/** `target=builtin, proxy=squid`, keys in a stable order. */
export function describeMatchers(m: SilenceMatchers): string {
  return Object.entries(m)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

/** A silence as the API, the CLI and the page show it: plain JSON. */
export interface SilenceView {
  id: number;
  matchers: SilenceMatchers;
  startsAt: string;
  endsAt: string;
  comment: string;
  createdBy: string;
  createdAt: string;
  /** Who ended it before its time; null when it ran (or runs) its course. */
  endedBy: string | null;
  state: SilenceState;
}

/** What an alert says of silences (alert_states), beside lib/alerts/views.ts AlertView (db/queries/alerts-history.ts). */
export interface AlertSilencing {
  /** The silence muting it at its last evaluation; null when none does. */
  silencedBy: number | null;
  /** Receivers were told of its current firing. */
  notified: boolean;
}

/** What a transition says of silences: the silence that held its notification back, or null. */
export interface TransitionSilencing {
  silencedBy: number | null;
}

/** `?state=` of GET /api/v1/silences and `dropscope silence list --state`. */
export const SILENCE_LIST_STATES = [...SILENCE_STATES, 'all'] as const;
export type SilenceListState = (typeof SILENCE_LIST_STATES)[number];
export const silenceListStateSchema = z.enum(SILENCE_LIST_STATES, { error: 'expected active, pending, expired or all' }).default('all');

/** The durations the form offers; "custom" takes any `parseSilenceDuration` text. */
export const SILENCE_DURATION_PRESETS = ['15m', '1h', '2h', '4h', '8h', '1d', '7d'] as const;

/** One matcher row of the form: a key (`label:` takes its label key in `labelKey`) and a value. */
export interface MatcherRow {
  key: 'target' | 'proxy' | 'probe' | 'rule' | 'label';
  labelKey: string;
  value: string;
}

/**
 * The form's rows as matchers, with a message per row index for a row the API would refuse
 * (so the form can say it beside the row). Rows left empty are skipped.
 */
export function matchersFromRows(rows: readonly MatcherRow[]): { matchers: SilenceMatchers; errors: Record<number, string> } {
  const matchers: SilenceMatchers = {};
  const errors: Record<number, string> = {};
  rows.forEach((row, i) => {
    const value = row.value.trim();
    const key = row.key === 'label' ? `label:${row.labelKey.trim()}` : row.key;
    if (value === '' && (row.key !== 'label' || row.labelKey.trim() === '')) return;
    const keyProblem = matcherKeyProblem(key);
    if (keyProblem) errors[i] = keyProblem;
    else if (value === '' || value.length > 128) errors[i] = 'expected a value of 1 to 128 characters';
    else if (key in matchers) errors[i] = `${key} is already matched: a silence matches one value per key`;
    else matchers[key] = value;
  });
  return { matchers, errors };
}

/**
 * Matcher rows that would silence exactly this alert: its rule, its labels that are
 * dimensions, and its profile (a rule grouped by profile has alerts that differ only there).
 */
export function rowsForAlert(rule: string, labels: Record<string, string>): MatcherRow[] {
  const rows: MatcherRow[] = [{ key: 'rule', labelKey: '', value: rule }];
  for (const dim of MATCHER_DIMENSIONS) if (labels[dim] !== undefined) rows.push({ key: dim, labelKey: '', value: labels[dim]! });
  if (labels.profile !== undefined) rows.push({ key: 'label', labelKey: 'profile', value: labels.profile });
  return rows;
}
