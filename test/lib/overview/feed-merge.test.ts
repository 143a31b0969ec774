import { describe, expect, it } from 'vitest';
import { mergeFeed } from '../../../lib/overview/feed-merge';
import type { FeedItem } from '../../../lib/realtime/feed';

const item = (type: FeedItem['type'], sessionId: string, at: string, id = `${type}:${sessionId}`): FeedItem => ({
  id, type, probe: 'p', at, sessionId,
});

describe('mergeFeed', () => {
  it('puts newer events first and keeps one copy of an event seen live and refetched', () => {
    const current = [item('session.opened', 's1', '2026-11-01T12:00:01.000Z')];
    const live = [
      item('session.ended', 's1', '2026-11-01T12:01:01.000Z', 'evt-uuid-1'),
      item('session.opened', 's1', '2026-11-01T12:00:01.000Z', 'evt-uuid-0'),
    ];
    const merged = mergeFeed(current, live, 50);
    expect(merged.map((i) => i.id)).toEqual(['evt-uuid-1', 'evt-uuid-0']);
  });

  it('leaves RTT samples and heartbeats out', () => {
    const merged = mergeFeed([], [
      { id: 'h1', type: 'probe.heartbeat', probe: 'p', at: '2026-11-01T12:00:00.000Z' },
      { id: 'r1', type: 'rtt.samples', probe: 'p', at: '2026-11-01T12:00:00.000Z', sessionId: 's9' },
    ], 50);
    expect(merged).toEqual([]);
  });

  it('orders an end before an open of the same instant, and caps the list', () => {
    const t = '2026-11-01T12:00:00.000Z';
    const merged = mergeFeed([], [item('session.opened', 'b', t), item('session.ended', 'a', t), item('session.opened', 'c', '2026-11-01T11:00:00.000Z')], 2);
    expect(merged.map((i) => i.id)).toEqual(['session.ended:a', 'session.opened:b']);
  });

  it('does not change its inputs', () => {
    const current = Object.freeze([item('session.opened', 's1', '2026-11-01T12:00:00.000Z')]);
    expect(() => mergeFeed(current, [item('session.ended', 's1', '2026-11-01T12:00:05.000Z')], 1)).not.toThrow();
    expect(current).toHaveLength(1);
  });
});
