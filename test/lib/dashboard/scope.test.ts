import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  dashboardScopeSchema,
  DEFAULT_RANGE,
  effectiveRange,
  filterChoices,
  fittedRange,
  MAX_RANGE_MS,
  rangeIssues,
  resolveScope,
  scopeQueryString,
} from '../../../lib/dashboard/scope';
import { parseWindow } from '../../../lib/overview/overview';

const NOW = new Date('2026-11-22T12:00:00Z');
const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

describe('dashboard scope', () => {
  it('resolves presets, custom ranges and filters', () => {
    expect(resolveScope(dashboardScopeSchema.parse({}), NOW)).toEqual({ from: new Date('2026-11-21T12:00:00Z'), to: NOW });
    expect(resolveScope(dashboardScopeSchema.parse({ range: '15m', label: 'region=eu', proxy: 'squid' }), NOW)).toEqual({
      from: new Date('2026-11-22T11:45:00Z'), to: NOW, label: { key: 'region', value: 'eu' }, proxy: 'squid',
    });
    expect(resolveScope(dashboardScopeSchema.parse({ from: '2026-11-01T00:00:00Z', to: '2026-11-02T00:00:00Z' }), NOW)).toMatchObject({ from: new Date('2026-11-01T00:00:00Z'), to: new Date('2026-11-02T00:00:00Z') });
    // The zone is the page's business: it never changes what is computed.
    expect(resolveScope(dashboardScopeSchema.parse({ range: '1h', tz: 'local' }), NOW)).toEqual({ from: new Date('2026-11-22T11:00:00Z'), to: NOW });
  });

  it.each([
    [{ range: '2h' }, 'range'],
    [{ label: 'region' }, 'label'],
    [{ from: '2026-11-02T00:00:00Z', to: '2026-11-01T00:00:00Z' }, 'from'],
    [{ range: '1h', from: '2026-11-01T00:00:00Z' }, 'range'],
    [{ from: '2026-10-01T00:00:00Z', to: '2026-11-02T00:00:01Z' }, 'to'],
    [{ tz: 'mars' }, 'tz'],
    [{ colour: 'red' }, ''],
  ])('the schema refuses %o, naming %s', (q, field) => {
    const r = dashboardScopeSchema.safeParse(q);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.'))).toContain(field);
  });

  it('writes a stable query string without empty values, carrying tz=local but not the default zone', () => {
    expect(scopeQueryString({ proxy: 'squid', range: '1h', probe: undefined, target: '' })).toBe('?range=1h&proxy=squid');
    expect(scopeQueryString({ tz: 'local', range: '1h' })).toBe('?range=1h&tz=local');
    expect(scopeQueryString({ tz: 'utc', range: '1h' })).toBe('?range=1h');
    expect(scopeQueryString({})).toBe('');
  });
});

describe('range limits, whatever parameters are given', () => {
  it('refuses a from alone more than 31 days back, naming from', () => {
    expect(rangeIssues({ from: '2020-01-01T00:00:00Z' }, NOW)).toEqual([{ path: 'from', message: expect.stringContaining('at most 31 days') }]);
    expect(rangeIssues({ from: new Date(NOW.getTime() - 31 * DAY).toISOString() }, NOW)).toEqual([]);
    expect(rangeIssues({ from: new Date(NOW.getTime() - 31 * DAY - 1000).toISOString() }, NOW)).toHaveLength(1);
  });

  it('refuses a from alone at or after now, naming from', () => {
    expect(rangeIssues({ from: NOW.toISOString() }, NOW)).toEqual([{ path: 'from', message: expect.stringContaining('before now') }]);
  });

  it('leaves the other combinations to the schema (their span does not depend on the clock)', () => {
    expect(rangeIssues({ from: '2020-01-01T00:00:00Z', to: '2020-01-02T00:00:00Z' }, NOW)).toEqual([]);
    expect(rangeIssues({ to: '2020-01-02T00:00:00Z' }, NOW)).toEqual([]);
    expect(rangeIssues({ range: '30d' }, NOW)).toEqual([]);
  });

  // The oracle: a query is accepted exactly when the range it resolves to is non-empty and at
  // most MAX_RANGE_MS long, whichever of range, from and to it gives.
  it('holds every combination of range, from and to to the same maximum (property)', () => {
    const offset = fc.integer({ min: -40 * DAY, max: 2 * DAY }).map((ms) => new Date(NOW.getTime() + Math.round(ms / 1000) * 1000).toISOString());
    const query = fc.record(
      {
        range: fc.constantFrom('15m', '1h', '6h', '24h', '7d', '30d'),
        from: offset,
        to: offset,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(query, (q) => {
        const schema = dashboardScopeSchema.safeParse(q);
        const accepted = schema.success && rangeIssues(schema.data, NOW).length === 0;
        if (q.range && (q.from || q.to)) {
          expect(accepted).toBe(false);
          return;
        }
        const to = q.to ? Date.parse(q.to) : NOW.getTime();
        const from = q.from ? Date.parse(q.from) : to - parseWindow(q.range ?? DEFAULT_RANGE)!;
        const ok = from < to && to - from <= MAX_RANGE_MS;
        expect(accepted).toBe(ok);
        if (accepted) {
          const s = resolveScope(schema.data!, NOW);
          expect(s.to.getTime() - s.from.getTime()).toBeLessThanOrEqual(MAX_RANGE_MS);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('the default range fitted to the data', () => {
  const ago = (ms: number) => new Date(NOW.getTime() - ms);

  it.each([
    [null, '24h'],
    [ago(30 * DAY), '24h'],
    [ago(DAY), '24h'],
    [ago(6 * MIN), '15m'],
    [ago(13 * MIN), '15m'],
    [ago(14 * MIN + 30_000), '1h'],
    [ago(55 * MIN), '1h'],
    [ago(58 * MIN), '6h'],
    [ago(5 * HOUR), '6h'],
    [ago(23 * HOUR), '24h'],
    // Clock skew: data "from the future" still fits the smallest preset.
    [new Date(NOW.getTime() + MIN), '15m'],
  ] as const)('earliest data %s → %s', (earliest, preset) => {
    expect(fittedRange(earliest, NOW)).toBe(preset);
  });

  it('covers the data with a margin, so the first session is not at the chart edge', () => {
    for (let age = 0; age < DAY; age += 7 * MIN + 13_000) {
      const preset = fittedRange(ago(age), NOW);
      expect(parseWindow(preset)!).toBeGreaterThanOrEqual(age + MIN);
    }
  });

  it('applies only when the URL names no range, from or to', () => {
    const hints = { earliestData: ago(6 * MIN) };
    expect(resolveScope(dashboardScopeSchema.parse({}), NOW, hints).from).toEqual(ago(15 * MIN));
    expect(resolveScope(dashboardScopeSchema.parse({ range: '6h' }), NOW, hints).from).toEqual(ago(6 * HOUR));
    expect(resolveScope(dashboardScopeSchema.parse({ to: '2026-11-22T11:00:00Z' }), NOW, hints).from).toEqual(new Date('2026-11-21T11:00:00Z'));
    expect(resolveScope(dashboardScopeSchema.parse({ from: '2026-11-22T11:00:00Z' }), NOW, hints).from).toEqual(new Date('2026-11-22T11:00:00Z'));
    expect(effectiveRange({}, hints, NOW)).toBe('15m');
    expect(effectiveRange({ range: '7d' }, hints, NOW)).toBe('7d');
    expect(effectiveRange({ from: '2026-11-22T11:00:00Z' }, hints, NOW)).toBe('custom');
    expect(effectiveRange({}, {}, NOW)).toBe('24h');
  });
});

describe('filter choices', () => {
  it('offers and marks an active value the data does not have', () => {
    expect(filterChoices(['direct', 'squid'], 'doesnotexist')).toEqual([
      { value: 'doesnotexist', label: 'doesnotexist (no data)', noData: true },
      { value: 'direct', label: 'direct' },
      { value: 'squid', label: 'squid' },
    ]);
  });

  it('adds nothing when the active value is known or no filter is active', () => {
    expect(filterChoices(['direct', 'squid'], 'squid')).toEqual([{ value: 'direct', label: 'direct' }, { value: 'squid', label: 'squid' }]);
    expect(filterChoices([], undefined)).toEqual([]);
  });
});
