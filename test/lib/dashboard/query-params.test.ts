import { describe, expect, it } from 'vitest';
import {
  IGNORED_PARAMS_HEADER,
  ignoredHeaderValue,
  ignoredNotice,
  knownQueryString,
  liveQueryString,
  MAX_IGNORED_NAMED,
  parseQuery,
  parseScopedQuery,
  splitParams,
  withIgnoredHeader,
} from '../../../lib/dashboard/query-params';
import { dashboardScopeSchema } from '../../../lib/dashboard/scope';
import { dropsQuerySchema, splitDropsQuery } from '../../../lib/drops/query';
import { overviewQuerySchema } from '../../../lib/overview/overview';

const NOW = new Date('2026-11-22T12:00:00Z');

describe('splitParams', () => {
  it('keeps the known keys and names the others, sorted', () => {
    expect(splitParams({ range: '1h', utm_source: 'chat', fbclid: 'x', proxy: ['a', 'b'] }, ['range', 'proxy'])).toEqual({
      known: { range: '1h', proxy: ['a', 'b'] },
      ignored: ['fbclid', 'utm_source'],
    });
  });
});

describe('parseQuery and parseScopedQuery', () => {
  it('ignores an unknown parameter and still parses the known ones', () => {
    const r = parseScopedQuery(dashboardScopeSchema, { range: '1h', utm_source: 'chat' }, NOW);
    expect(r).toEqual({ success: true, data: { range: '1h' }, ignored: ['utm_source'], known: { range: '1h' } });
  });

  it('still validates a known parameter, naming it, and reports the ignored ones beside', () => {
    const r = parseScopedQuery(dashboardScopeSchema, { range: '2h', utm_source: 'chat' }, NOW);
    expect(r.success).toBe(false);
    expect(r.ignored).toEqual(['utm_source']);
    if (!r.success) expect(r.issues).toEqual([{ path: 'range', message: expect.stringContaining('15m') }]);
  });

  it('refuses a repeated known parameter instead of picking one value', () => {
    const r = parseScopedQuery(dashboardScopeSchema, { proxy: ['a', 'b'] }, NOW);
    expect(r.success).toBe(false);
    if (!r.success) expect(r.issues[0]!.path).toBe('proxy');
  });

  it('applies the clock-dependent range limit to scoped queries, drops included', () => {
    const r = parseScopedQuery(dropsQuerySchema, { from: '2020-01-01T00:00:00Z', bin: '1s' }, NOW);
    expect(r.success).toBe(false);
    if (!r.success) expect(r.issues).toEqual([{ path: 'from', message: expect.stringContaining('at most 31 days') }]);
    const ok = parseScopedQuery(dropsQuerySchema, { from: '2026-11-22T00:00:00Z', bin: '1s', cluster: '60' }, NOW);
    expect(ok).toMatchObject({ success: true, data: { from: '2026-11-22T00:00:00Z', bin: '1s', cluster: 60 }, ignored: [] });
  });

  it('knows the drops page\'s open histogram bar, validates it, and keeps it out of the scope', () => {
    const r = parseScopedQuery(dropsQuerySchema, { range: '1h', bar: 'age:19500-20500' }, NOW);
    expect(r).toMatchObject({ success: true, ignored: [] });
    if (r.success) expect(splitDropsQuery(r.data).scope).toEqual({ range: '1h' });
    const bad = parseScopedQuery(dropsQuerySchema, { bar: 'tall' }, NOW);
    expect(bad.success).toBe(false);
    if (!bad.success) expect(bad.issues[0]!.path).toBe('bar');
  });

  it('knows the page-only zone parameter', () => {
    expect(parseScopedQuery(dashboardScopeSchema, { tz: 'local' }, NOW)).toMatchObject({ success: true, data: { tz: 'local' }, ignored: [] });
  });

  it('works for schemas without a scope (the overview window)', () => {
    expect(parseQuery(overviewQuerySchema, { window: '15m', ref: 'x' })).toMatchObject({ success: true, data: { window: 900_000 }, ignored: ['ref'] });
    const bad = parseQuery(overviewQuerySchema, { window: 'soon' });
    expect(bad.success).toBe(false);
    if (!bad.success) expect(bad.issues[0]!.path).toBe('window');
  });
});

describe('what is said about ignored parameters', () => {
  it('writes a notice for people', () => {
    expect(ignoredNotice([])).toBe('');
    expect(ignoredNotice(['utm_source'])).toBe('Ignored unknown parameter utm_source');
    expect(ignoredNotice(['a', 'b'])).toBe('Ignored unknown parameters a, b');
    const many = Array.from({ length: MAX_IGNORED_NAMED + 3 }, (_, i) => `p${i}`);
    expect(ignoredNotice(many)).toMatch(/p9 \(and 3 more\)$/);
    expect(ignoredNotice(['x'.repeat(200)])).toHaveLength('Ignored unknown parameter '.length + 64);
  });

  it('writes a header for scripts, percent-encoding names', () => {
    expect(ignoredHeaderValue([])).toBeUndefined();
    expect(ignoredHeaderValue(['utm_source', 'a b,c'])).toBe('utm_source,a%20b%2Cc');
    const many = Array.from({ length: MAX_IGNORED_NAMED + 2 }, (_, i) => `p${i}`);
    expect(ignoredHeaderValue(many)!.split(',')).toHaveLength(MAX_IGNORED_NAMED + 1);
    expect(ignoredHeaderValue(many)!.endsWith(',+2')).toBe(true);
    expect(withIgnoredHeader(['x'], { 'cache-control': 'no-store' })).toEqual({ 'cache-control': 'no-store', [IGNORED_PARAMS_HEADER]: 'x' });
    expect(withIgnoredHeader([], { 'cache-control': 'no-store' })).toEqual({ 'cache-control': 'no-store' });
    // A header value must be a valid ByteString whatever the name was.
    expect(() => new Headers(withIgnoredHeader(['é\n\u2028']))).not.toThrow();
  });

  it('writes the known parameters back as a query string, leaving out the ones asked', () => {
    expect(knownQueryString({ range: '1h', tz: 'local', proxy: ['a', 'b'] })).toBe('?range=1h&tz=local');
    expect(knownQueryString({ range: '1h', tz: 'local' }, ['tz'])).toBe('?range=1h');
    expect(knownQueryString({})).toBe('');
  });

  it('gives a live refetch the fitted range when the URL names none, and the URL\'s otherwise', () => {
    expect(liveQueryString({ proxy: 'squid', tz: 'local' }, '15m', ['tz'])).toBe('?range=15m&proxy=squid');
    expect(liveQueryString({ range: '6h' }, '15m')).toBe('?range=6h');
    expect(liveQueryString({ from: '2026-11-22T10:00:00Z' }, '15m')).toBe('?from=2026-11-22T10%3A00%3A00Z');
    expect(liveQueryString({ to: '2026-11-22T10:00:00Z' }, '15m')).toBe('?to=2026-11-22T10%3A00%3A00Z');
  });
});
