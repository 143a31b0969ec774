import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { customRange, MIN_ZOOM_MS, shiftRange, shownRange, zoomInRange, zoomOutRange, zoomQuery, zoomSelection } from '../../../lib/dashboard/brush-zoom';
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

describe('moves from the keyboard', () => {
  const hour = { from: at('2026-11-22T08:00:00Z'), to: at('2026-11-22T10:00:00Z') };

  it('zoom in halves the span around its middle, down to a minute', () => {
    expect(zoomInRange(hour, NOW)).toEqual({ from: at('2026-11-22T08:30:00Z'), to: at('2026-11-22T09:30:00Z') });
    expect(zoomInRange({ from: at('2026-11-22T08:00:00Z'), to: at('2026-11-22T08:01:30Z') }, NOW)).toEqual({ from: at('2026-11-22T08:00:15Z'), to: at('2026-11-22T08:01:15Z') });
    // Zooming out after zooming in is where one started.
    expect(zoomOutRange(zoomInRange(hour, NOW), NOW)).toEqual(hour);
  });

  it('earlier and later move by half the span and keep it; later stops at now', () => {
    expect(shiftRange(hour, 'earlier', NOW)).toEqual({ from: at('2026-11-22T07:00:00Z'), to: at('2026-11-22T09:00:00Z') });
    expect(shiftRange(hour, 'later', NOW)).toEqual({ from: at('2026-11-22T09:00:00Z'), to: at('2026-11-22T11:00:00Z') });
    expect(shiftRange({ from: at('2026-11-22T09:00:00Z'), to: at('2026-11-22T11:30:00Z') }, 'later', NOW)).toEqual({ from: at('2026-11-22T09:30:00Z'), to: NOW });
    expect(shiftRange({ from: NOW - 3_600_000, to: NOW }, 'later', NOW)).toBeNull();
    // Now is rarely a whole second: a move that stops there keeps the span all the same.
    const stopped = shiftRange({ from: NOW - 4_500_000, to: NOW - 900_000 }, 'later', NOW + 400)!;
    expect(stopped).toEqual({ from: NOW + 1000 - 3_600_000, to: NOW + 1000 });
    const zoomed = zoomInRange({ from: NOW - 600_000, to: NOW + 400 }, NOW + 400);
    expect(zoomed.to - zoomed.from).toBe(300_000);
  });

  it('start from what the page shows: its custom range, else its preset or default ending now', () => {
    expect(shownRange(new URLSearchParams('from=2026-11-22T08:00:00Z&to=2026-11-22T10:00:00Z&range=1h'), '24h', NOW)).toEqual(hour);
    expect(shownRange(new URLSearchParams('range=1h'), '24h', NOW)).toEqual({ from: NOW - 3_600_000, to: NOW });
    expect(shownRange(new URLSearchParams(''), '6h', NOW)).toEqual({ from: NOW - 6 * 3_600_000, to: NOW });
    // In whole seconds, so that moves from it keep its span exactly.
    expect(shownRange(new URLSearchParams('range=1h'), '24h', NOW + 400)).toEqual({ from: NOW + 1000 - 3_600_000, to: NOW + 1000 });
    expect(shiftRange(shownRange(new URLSearchParams('range=1h'), '24h', NOW + 400)!, 'earlier', NOW + 400)).toEqual({ from: NOW + 1000 - 5_400_000, to: NOW + 1000 - 1_800_000 });
  });

  it('any sequence of moves keeps a whole-second span and makes links the scope accepts (property)', () => {
    const move = fc.constantFrom('in', 'out', 'earlier', 'later') as fc.Arbitrary<'in' | 'out' | 'earlier' | 'later'>;
    fc.assert(
      fc.property(fc.integer({ min: 60, max: 31 * 86_400 }), fc.integer({ min: 0, max: 60 * 86_400 }), fc.array(move, { maxLength: 12 }), fc.integer({ min: 0, max: 999 }), (spanS, agoS, moves, ms) => {
        const now = NOW + ms;
        let r = { from: NOW - (agoS + spanS) * 1000, to: NOW - agoS * 1000 };
        for (const m of moves) {
          const span = r.to - r.from;
          const next = m === 'in' ? zoomInRange(r, now) : m === 'out' ? zoomOutRange(r, now) : (shiftRange(r, m, now) ?? r);
          if (m === 'earlier' || m === 'later') expect(next.to - next.from).toBe(span);
          r = next;
          expect(r.from % 1000).toBe(0);
          expect(r.to - r.from).toBeGreaterThanOrEqual(MIN_ZOOM_MS);
          // Never past the second now is in.
          expect(r.to).toBeLessThanOrEqual(NOW + (ms > 0 ? 1000 : 0));
          expectAccepted(r);
        }
      }),
    );
  });
});
