import { describe, expect, it } from 'vitest';
import { liveCadenceMs, queryCadenceMs, querySpanMs } from '../../../lib/realtime/cadence';

const H = 3_600_000;
const q = (s: string) => new URLSearchParams(s);

describe('liveCadenceMs', () => {
  it.each([
    [null, 2000],
    [15 * 60_000, 2000],
    [H, 2000],
    [6 * H, 5000],
    [24 * H, 10_000],
    [7 * 24 * H, 30_000],
    [30 * 24 * H, 60_000],
  ])('a view of %s ms refreshes at most every %s ms', (span, cadence) => {
    expect(liveCadenceMs(span)).toBe(cadence);
  });

  it('never refreshes a longer view more often than a shorter one', () => {
    let last = 0;
    for (let span = 60_000; span <= 31 * 24 * H; span += 17 * 60_000) {
      const c = liveCadenceMs(span);
      expect(c).toBeGreaterThanOrEqual(last);
      last = c;
    }
  });
});

describe('querySpanMs', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  it('reads the dashboard scope: range, from/to, an open-ended from, or the 24 h default', () => {
    expect(querySpanMs(q('range=1h&proxy=x'), { kind: 'scope' }, now)).toBe(H);
    expect(querySpanMs(q('from=2026-12-01T00:00:00Z&to=2026-12-01T06:00:00Z'), { kind: 'scope' }, now)).toBe(6 * H);
    expect(querySpanMs(q('from=2026-12-01T10:00:00Z'), { kind: 'scope' }, now)).toBe(2 * H);
    expect(querySpanMs(q(''), { kind: 'scope' }, now)).toBe(24 * H);
  });

  it("reads the overview's window (1 h by default), and nothing for a view without a range", () => {
    expect(querySpanMs(q('window=7d'), { kind: 'window' }, now)).toBe(7 * 24 * H);
    expect(querySpanMs(q(''), { kind: 'window' }, now)).toBe(H);
    expect(querySpanMs(q('range=30d'), { kind: 'none' }, now)).toBeNull();
  });

  it('gives the default for a value the endpoint will refuse', () => {
    expect(querySpanMs(q('range=forever'), { kind: 'scope' }, now)).toBe(24 * H);
    expect(querySpanMs(q('window=forever'), { kind: 'window' }, now)).toBe(H);
  });

  it('a 7-day view refreshes every 30 s, a 1-hour view every 2 s', () => {
    expect(queryCadenceMs(q('range=7d'), { kind: 'scope' }, now)).toBe(30_000);
    expect(queryCadenceMs(q('range=1h'), { kind: 'scope' }, now)).toBe(2000);
  });
});
