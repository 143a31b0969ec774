/** Silences, pure: matchers, durations, the window's plausibility, which silence holds an alert. */
import { describe, expect, it } from 'vitest';
import { fieldIssues } from '../../../lib/http/problem';
import {
  activeAt,
  describeMatchers,
  formatSilenceDuration,
  matchersFromRows,
  parseSilenceDuration,
  resolveSilenceSpec,
  silenceInputSchema,
  silenceMatches,
  silenceMatchersSchema,
  silenceState,
  silencingOf,
  rowsForAlert,
  type MatcherRow,
  type SilenceSubject,
} from '../../../lib/alerts/silence';

const T = new Date('2026-12-07T10:00:00Z');
const at = (ms: number) => new Date(T.getTime() + ms);
const M = 60_000;
const D = 86_400_000;

const subject = (scope: SilenceSubject['rule']['scope'], labels: Record<string, string> = {}, name = 'direct drops'): SilenceSubject => ({ rule: { name, scope }, labels });

describe('silence matchers', () => {
  it.each([
    [{ target: 'builtin' }, subject({}, { target: 'builtin' }), true],
    [{ target: 'builtin' }, subject({ target: 'builtin' }), true],
    [{ target: 'builtin' }, subject({ target: 'other' }), false],
    // A rule over every target may be alerting about another one: not silenced by one target.
    [{ target: 'builtin' }, subject({ proxy: 'direct' }), false],
    [{ target: 'builtin' }, subject({}, { target: 'builtinx' }), false],
    [{ proxy: 'direct' }, subject({ proxy: 'direct' }, { target: 'builtin' }), true],
    [{ probe: 'edge-1' }, subject({}, { probe: 'edge-1' }), true],
    [{ probe: 'edge-1' }, subject({}, { probe: 'edge-2' }), false],
    [{ rule: 'direct drops' }, subject({}), true],
    [{ rule: 'direct' }, subject({}), false],
    [{ 'label:region': 'eu' }, subject({ label: 'region=eu' }), true],
    [{ 'label:region': 'eu' }, subject({ label: 'region=us' }), false],
    [{ 'label:region': 'eu' }, subject({ label: 'tier=eu' }), false],
    [{ 'label:profile': 'idle' }, subject({}, { profile: 'idle' }), true],
    // Every matcher must match.
    [{ target: 'builtin', proxy: 'squid' }, subject({ target: 'builtin' }, { proxy: 'squid' }), true],
    [{ target: 'builtin', proxy: 'squid' }, subject({ target: 'builtin' }, { proxy: 'direct' }), false],
    [{ target: 'builtin', rule: 'other' }, subject({ target: 'builtin' }), false],
    [{}, subject({ target: 'builtin' }), false],
  ])('%j against %j: %s', (matchers, s, want) => {
    expect(silenceMatches(matchers, s)).toBe(want);
  });

  it.each([
    [{}, '(root)'],
    [{ path: 'x' }, 'path'],
    [{ 'label:': 'x' }, 'label:'],
    [{ 'label:re gion': 'x' }, 'label:re gion'],
    [{ target: '' }, 'target'],
    [{ target: 'x'.repeat(129) }, 'target'],
    [{ target: 3 }, 'target'],
  ])('refuses %j naming %s', (matchers, field) => {
    const parsed = silenceMatchersSchema.safeParse(matchers);
    expect(parsed.success).toBe(false);
    expect(fieldIssues(parsed.error!).map((i) => i.path)).toContain(field);
  });

  it('accepts every kind of key, values up to 128 characters', () => {
    const m = { target: 'builtin', proxy: 'p', probe: 'edge', rule: 'r', 'label:region': 'x'.repeat(128) };
    expect(silenceMatchersSchema.parse(m)).toEqual(m);
  });

  it('describes matchers in a stable order', () => {
    expect(describeMatchers({ target: 'builtin', 'label:region': 'eu', proxy: 'x' })).toBe('label:region=eu, proxy=x, target=builtin');
  });
});

describe('silence durations', () => {
  it.each([
    ['2m', 2 * M],
    ['90s', 90_000],
    ['1h30m', 90 * M],
    ['2d12h', 60 * 60 * M],
    [' 1h ', 60 * M],
    ['1d2h3m4s', D + 2 * 60 * M + 3 * M + 4000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseSilenceDuration(text)).toBe(ms);
    expect(parseSilenceDuration(formatSilenceDuration(ms))).toBe(ms);
  });

  it.each(['', '0m', '2', 'm', '30m1h', '1.5h', '-2m', '2 m', '2mins', '1w'])('refuses %j', (text) => {
    expect(parseSilenceDuration(text)).toBeNull();
  });

  it('formats the largest units first', () => {
    expect(formatSilenceDuration(90 * M)).toBe('1h30m');
    expect(formatSilenceDuration(2 * M)).toBe('2m');
    expect(formatSilenceDuration(D + 1000)).toBe('1d1s');
    expect(formatSilenceDuration(0)).toBe('0s');
  });
});

describe('a silence window', () => {
  const input = (over: Record<string, unknown>) => silenceInputSchema.parse({ matchers: { target: 'builtin' }, ...over });

  it('starts now and lasts the duration by default', () => {
    const r = resolveSilenceSpec(input({ duration: '2m', comment: ' pause ' }), T);
    expect(r).toEqual({ ok: true, spec: { matchers: { target: 'builtin' }, startsAt: T, endsAt: at(2 * M), comment: 'pause' } });
  });

  it('takes an explicit start and end', () => {
    const r = resolveSilenceSpec(input({ startsAt: '2026-12-07T11:00:00Z', endsAt: '2026-12-07T13:30:00+01:00' }), T);
    expect(r).toEqual({ ok: true, spec: { matchers: { target: 'builtin' }, startsAt: at(60 * M), endsAt: at(150 * M), comment: '' } });
    // 12:00+01:00 is 11:00Z: no later than the start.
    expect(resolveSilenceSpec(input({ startsAt: '2026-12-07T11:00:00Z', endsAt: '2026-12-07T12:00:00+01:00' }), T)).toMatchObject({ ok: false, issues: [{ path: 'endsAt' }] });
  });

  it.each([
    [{ startsAt: '2026-12-07T11:00:00Z', endsAt: '2026-12-07T10:30:00Z' }, 'endsAt', 'after it starts'],
    [{ startsAt: '2026-12-07T09:00:00Z', endsAt: '2026-12-07T09:30:00Z' }, 'endsAt', 'future'],
    [{ duration: '31d' }, 'duration', '30 days'],
    [{ startsAt: '2027-01-07T10:00:01Z', duration: '1h' }, 'startsAt', '30 days ahead'],
  ])('refuses %j naming %s', (over, field, words) => {
    const r = resolveSilenceSpec(input(over), T);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => i.path)).toContain(field);
    expect(r.issues.find((i) => i.path === field)!.message).toContain(words);
  });

  it('accepts 30 days exactly, starting 30 days ahead', () => {
    expect(resolveSilenceSpec(input({ duration: '30d' }), T).ok).toBe(true);
    expect(resolveSilenceSpec(input({ startsAt: '2027-01-06T10:00:00Z', duration: '30d' }), T).ok).toBe(true);
  });

  it.each([
    [{ matchers: { target: 'builtin' } }, 'duration'],
    [{ matchers: { target: 'builtin' }, duration: '2m', endsAt: '2026-12-07T11:00:00Z' }, 'duration'],
    [{ matchers: { target: 'builtin' }, duration: 'soon' }, 'duration'],
    [{ matchers: { target: 'builtin' }, endsAt: 'tomorrow' }, 'endsAt'],
    [{ matchers: { target: 'builtin' }, duration: '2m', comment: 'x'.repeat(501) }, 'comment'],
    [{ matchers: { target: 'builtin' }, duration: '2m', createdBy: 'me' }, '(root)'],
    [{ duration: '2m' }, 'matchers'],
    [{ matchers: { where: 'x' }, duration: '2m' }, 'matchers.where'],
  ])('the input schema refuses %j naming %s', (body, field) => {
    const parsed = silenceInputSchema.safeParse(body);
    expect(parsed.success).toBe(false);
    expect(fieldIssues(parsed.error!).map((i) => i.path)).toContain(field);
  });

  it('is active from its start to just before its end, pending before, expired after', () => {
    const s = { startsAt: at(M), endsAt: at(3 * M) };
    expect([0, M, 2 * M, 3 * M - 1, 3 * M].map((ms) => activeAt(s, at(ms)))).toEqual([false, true, true, true, false]);
    expect([0, M, 3 * M].map((ms) => silenceState(s, at(ms)))).toEqual(['pending', 'active', 'expired']);
  });
});

describe('the silence holding an alert', () => {
  const s = (id: number, startMs: number, endMs: number, matchers: Record<string, string>) => ({ id, startsAt: at(startMs), endsAt: at(endMs), matchers });
  const alert = subject({ proxy: 'direct' }, { target: 'builtin' });

  it('is the active matching one that ends last; ties go to the lowest id', () => {
    const list = [s(1, 0, 10 * M, { target: 'builtin' }), s(2, 0, 20 * M, { proxy: 'direct' }), s(3, 0, 30 * M, { target: 'other' }), s(4, 5 * M, 40 * M, { target: 'builtin' }), s(5, 0, 20 * M, { rule: 'direct drops' })];
    expect(silencingOf(list, alert, at(M))?.id).toBe(2);
    expect(silencingOf(list, alert, at(6 * M))?.id).toBe(4);
    expect(silencingOf(list, alert, at(40 * M))).toBeNull();
    expect(silencingOf(list, subject({}, { target: 'elsewhere' }, 'other rule'), at(M))).toBeNull();
    expect(silencingOf(list, subject({}, { target: 'elsewhere' }), at(M))?.id).toBe(5);
  });
});

describe('the silence form', () => {
  const row = (key: MatcherRow['key'], value: string, labelKey = ''): MatcherRow => ({ key, value, labelKey });

  it('turns rows into matchers, skipping empty ones', () => {
    expect(matchersFromRows([row('target', ' builtin '), row('proxy', ''), row('label', 'eu', 'region')])).toEqual({ matchers: { target: 'builtin', 'label:region': 'eu' }, errors: {} });
  });

  it('names the row at fault', () => {
    expect(matchersFromRows([row('target', 'a'), row('target', 'b')]).errors).toEqual({ 1: 'target is already matched: a silence matches one value per key' });
    expect(matchersFromRows([row('label', 'eu', 're gion')]).errors[0]).toContain('label:<key>');
    expect(matchersFromRows([row('label', '', 'region')]).errors[0]).toContain('1 to 128');
    expect(matchersFromRows([row('probe', 'x'.repeat(129))]).errors[0]).toContain('1 to 128');
  });

  it('proposes the rows that silence one alert', () => {
    expect(rowsForAlert('drops', { proxy: 'squid', profile: 'idle', target: 'builtin' })).toEqual([row('rule', 'drops'), row('target', 'builtin'), row('proxy', 'squid'), row('label', 'idle', 'profile')]);
    // What the rows make silences exactly that alert.
    const { matchers } = matchersFromRows(rowsForAlert('drops', { proxy: 'squid' }));
    expect(silenceMatches(matchers, subject({}, { proxy: 'squid' }, 'drops'))).toBe(true);
    expect(silenceMatches(matchers, subject({}, { proxy: 'direct' }, 'drops'))).toBe(false);
    // A rule grouped by profile: its alerts differ only there, and the rows tell them apart.
    const byProfile = matchersFromRows(rowsForAlert('idle drops', { profile: 'idle' }));
    expect(byProfile).toEqual({ matchers: { rule: 'idle drops', 'label:profile': 'idle' }, errors: {} });
    expect(silenceMatches(byProfile.matchers, subject({}, { profile: 'idle' }, 'idle drops'))).toBe(true);
    expect(silenceMatches(byProfile.matchers, subject({}, { profile: 'bulk' }, 'idle drops'))).toBe(false);
  });
});
