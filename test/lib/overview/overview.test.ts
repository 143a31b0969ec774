import { describe, expect, it } from 'vitest';
import { HOUR_MS, feedKey, overviewQuerySchema, parseWindow } from '../../../lib/overview/overview';

describe('parseWindow', () => {
  it.each([
    ['1m', 60_000],
    ['15m', 900_000],
    ['1h', HOUR_MS],
    ['24h', 24 * HOUR_MS],
    ['30d', 30 * 24 * HOUR_MS],
  ])('%s → %d ms', (text, ms) => expect(parseWindow(text)).toBe(ms));

  it.each(['', '0h', '01h', '1', 'h', '1.5h', '1w', ' 1h', '31d', '1H', '10000m'])('refuses %j', (text) => {
    expect(parseWindow(text)).toBeNull();
  });
});

describe('overviewQuerySchema', () => {
  it('defaults to one hour', () => {
    expect(overviewQuerySchema.parse({})).toEqual({ window: HOUR_MS });
  });

  it('names the bad field', () => {
    const r = overviewQuerySchema.safeParse({ window: 'soon' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['window']);
  });

  it('refuses unknown parameters', () => {
    const r = overviewQuerySchema.safeParse({ window: '1h', windw: '2h' });
    expect(r.success).toBe(false);
  });
});

describe('feedKey', () => {
  it('keys a live event and the same event rebuilt from its session row alike', () => {
    const live = { id: '6f1c2d0e-event-id', type: 'session.ended' as const, sessionId: 'sess-0001' };
    const rebuilt = { id: 'session.ended:sess-0001', type: 'session.ended' as const, sessionId: 'sess-0001' };
    expect(feedKey(live)).toBe(feedKey(rebuilt));
    expect(feedKey({ ...live, type: 'session.opened' })).not.toBe(feedKey(live));
  });
});
