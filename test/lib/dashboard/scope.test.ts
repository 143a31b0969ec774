import { describe, expect, it } from 'vitest';
import { dashboardScopeSchema, resolveScope, scopeQueryString } from '../../../lib/dashboard/scope';

const NOW = new Date('2026-11-22T12:00:00Z');

describe('dashboard scope', () => {
  it('resolves presets, custom ranges and filters', () => {
    expect(resolveScope(dashboardScopeSchema.parse({}), NOW)).toEqual({ from: new Date('2026-11-21T12:00:00Z'), to: NOW });
    expect(resolveScope(dashboardScopeSchema.parse({ range: '15m', label: 'region=eu', proxy: 'squid' }), NOW)).toEqual({
      from: new Date('2026-11-22T11:45:00Z'), to: NOW, label: { key: 'region', value: 'eu' }, proxy: 'squid',
    });
    expect(resolveScope(dashboardScopeSchema.parse({ from: '2026-11-01T00:00:00Z', to: '2026-11-02T00:00:00Z' }), NOW)).toMatchObject({ from: new Date('2026-11-01T00:00:00Z'), to: new Date('2026-11-02T00:00:00Z') });
  });

  it.each([
    [{ range: '2h' }, 'range'],
    [{ label: 'region' }, 'label'],
    [{ from: '2026-11-02T00:00:00Z', to: '2026-11-01T00:00:00Z' }, 'from'],
    [{ range: '1h', from: '2026-11-01T00:00:00Z' }, 'range'],
    [{ colour: 'red' }, ''],
  ])('refuses %o, naming %s', (q, field) => {
    const r = dashboardScopeSchema.safeParse(q);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.'))).toContain(field);
  });

  it('writes a stable query string without empty values', () => {
    expect(scopeQueryString({ proxy: 'squid', range: '1h', probe: undefined, target: '' })).toBe('?range=1h&proxy=squid');
    expect(scopeQueryString({})).toBe('');
  });
});
