import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { customRange, MIN_ZOOM_MS, zoomOutRange, zoomQuery, zoomSelection } from '../../../lib/dashboard/brush-zoom';
import { dashboardScopeSchema, MAX_RANGE_MS } from '../../../lib/dashboard/scope';

const NOW = Date.parse('2026-11-22T12:00:00Z');
const at = (iso: string) => Date.parse(iso);

describe('zoomSelection', () => {
  it('zooms to the dragged span, either direction, in whole seconds', () => {
    expect(zoomSelection(at('2026-11-22T10:00:00.400Z'), at('2026-11-22T10:30:00.200Z'), NOW)).toEqual({ from: at('2026-11-22T10:00:00Z'), to: at('2026-11-22T10:30:01Z') });
    expect(zoomSelection(at('2026-11-22T10:30:00Z'), at('2026-11-22T10:00:00Z'), NOW)).toEqual({ from: at('2026-11-22T10:00:00Z'), to: at('2026-11-22T10:30:00Z') });
  });

  it('widens a narrow selection to the minimum around its middle', () => {
    expect(zoomSelection(at('2026-11-22T10:00:00Z'), at('2026-11-22T10:00:10Z'), NOW)).toEqual({ from: at('2026-11-22T09:59:35Z'), to: at('2026-11-22T10:00:35Z') });
  });

  it('stops at now, and refuses a selection wholly in the future or unreadable', () => {
    expect(zoomSelection(at('2026-11-22T11:30:00Z'), at('2026-11-22T13:00:00Z'), NOW)).toEqual({ from: at('2026-11-22T11:30:00Z'), to: NOW });
    expect(zoomSelection(NOW - 5_000, NOW + 60_000, NOW)).toEqual({ from: NOW - MIN_ZOOM_MS, to: NOW });
    expect(zoomSelection(NOW + 1, NOW + 60_000, NOW)).toBeNull();
    expect(zoomSelection(Number.NaN, NOW, NOW)).toBeNull();
  });

  it('always gives a range the scope accepts (property)', () => {
    const t = fc.integer({ min: NOW - 60 * 86_400_000, max: NOW + 86_400_000 });
    fc.assert(
      fc.property(t, t, (a, b) => {
        const r = zoomSelection(a, b, NOW);
        if (Math.min(a, b) >= NOW) {
          expect(r).toBeNull();
          return;
        }
        expect(r).not.toBeNull();
        expect(r!.to).toBeLessThanOrEqual(NOW);
        expect(r!.to - r!.from).toBeGreaterThanOrEqual(MIN_ZOOM_MS);
        expect(r!.to - r!.from).toBeLessThanOrEqual(MAX_RANGE_MS);
      }),
    );
  });

  it('makes links the scope accepts, for any drag up to 40 days, at any millisecond (property)', () => {
    const start = fc.integer({ min: NOW - 60 * 86_400_000, max: NOW - 1 });
    const span = fc.integer({ min: 0, max: 40 * 86_400_000 });
    fc.assert(
      fc.property(start, span, (a, w) => {
        const r = zoomSelection(a, a + w, NOW)!;
        expect(r.to - r.from).toBeLessThanOrEqual(MAX_RANGE_MS);
        expectAccepted(r);
      }),
    );
  });
});

/** The page's own check of a `from`/`to` pair: the link must pass it. */
function expectAccepted(r: { from: number; to: number }) {
  const p = new URLSearchParams(zoomQuery('', r));
  const parsed = dashboardScopeSchema.safeParse({ from: p.get('from'), to: p.get('to') });
  expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
}

describe('zoom out', () => {
  it('doubles the span around its middle', () => {
    expect(zoomOutRange({ from: at('2026-11-22T08:00:00Z'), to: at('2026-11-22T10:00:00Z') }, NOW)).toEqual({ from: at('2026-11-22T07:00:00Z'), to: at('2026-11-22T11:00:00Z') });
  });

  it('ends at now at the latest and never exceeds the maximum range', () => {
    expect(zoomOutRange({ from: at('2026-11-22T10:00:00Z'), to: at('2026-11-22T11:30:00Z') }, NOW)).toEqual({ from: at('2026-11-22T09:00:00Z'), to: NOW });
    const r = zoomOutRange({ from: NOW - 20 * 86_400_000, to: NOW }, NOW);
    expect(r.to - r.from).toBe(MAX_RANGE_MS);
  });

  it('makes links the scope accepts from any range up to 40 days, at any millisecond (property)', () => {
    const start = fc.integer({ min: NOW - 60 * 86_400_000, max: NOW - MIN_ZOOM_MS });
    const span = fc.integer({ min: 1, max: 40 * 86_400_000 });
    fc.assert(
      fc.property(start, span, (a, w) => {
        const r = zoomOutRange({ from: a, to: Math.min(a + w, NOW) }, NOW);
        expect(r.to - r.from).toBeLessThanOrEqual(MAX_RANGE_MS);
        expect(r.to).toBeLessThanOrEqual(NOW);
        expectAccepted(r);
      }),
    );
  });
});

describe('zoomQuery and customRange', () => {
  it('replaces range, from and to and keeps every other parameter', () => {
    const q = zoomQuery('range=24h&proxy=squid&tz=local&bin=1s', { from: at('2026-11-22T10:00:00Z'), to: at('2026-11-22T10:30:00Z') });
    const p = new URLSearchParams(q);
    expect(p.get('range')).toBeNull();
    expect(p.get('from')).toBe('2026-11-22T10:00:00Z');
    expect(p.get('to')).toBe('2026-11-22T10:30:00Z');
    expect([p.get('proxy'), p.get('tz'), p.get('bin')]).toEqual(['squid', 'local', '1s']);
  });

  it('reads the custom range a URL shows, to now when to is absent', () => {
    expect(customRange(new URLSearchParams('from=2026-11-22T10:00:00Z&to=2026-11-22T11:00:00Z'), NOW)).toEqual({ from: at('2026-11-22T10:00:00Z'), to: at('2026-11-22T11:00:00Z') });
    expect(customRange(new URLSearchParams('from=2026-11-22T10:00:00Z'), NOW)).toEqual({ from: at('2026-11-22T10:00:00Z'), to: NOW });
    expect(customRange(new URLSearchParams('range=1h'), NOW)).toBeNull();
    expect(customRange(new URLSearchParams('from=yesterday'), NOW)).toBeNull();
  });
});
