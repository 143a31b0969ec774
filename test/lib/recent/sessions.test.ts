import { describe, expect, it } from 'vitest';
import { HOUR_MS, idHash, RecentSessions, type RecentSessionRow } from '../../../lib/recent/sessions';
import { RecentStore } from '../../../lib/recent/store';

const T = Date.parse('2026-11-20T10:00:00Z');

function baseRow(id: string, over: Partial<RecentSessionRow> = {}): RecentSessionRow {
  return {
    id,
    probeId: 1,
    targetName: 'chat',
    proxyName: 'direct',
    proxyKind: 'direct',
    profile: 'idle',
    profileKind: 'idle',
    gapMs: null,
    outcome: 'opened',
    httpStatus: 101,
    attemptedAt: T - 500,
    openedAt: T,
    endedAt: null,
    durationMs: null,
    sinceLastRecvMs: null,
    sinceLastSentMs: null,
    endKind: null,
    closeCode: null,
    ladderSurvived: false,
    egressAddress: null,
    ...over,
  };
}

const endedRow = (id: string, endedAt: number, over: Partial<RecentSessionRow> = {}) => row(id, { endedAt, endKind: 'tcp_fin', durationMs: endedAt - T, sinceLastRecvMs: 1000, sinceLastSentMs: 2000, ...over });

/** The ids these tests use, by hash: the store keeps only the hash. */
const named = new Map<number, string>();
const idOf = (hash: number) => named.get(hash) ?? `#${hash}`;
function row(id: string, over: Partial<RecentSessionRow> = {}): RecentSessionRow {
  named.set(idHash(id), id);
  return baseRow(id, over);
}

/** Every ending held, as (id, endedAt), sorted. */
function endings(store: RecentSessions): [string, number][] {
  const out: [string, number][] = [];
  store.eachBlock(-Infinity, Infinity, (b) => {
    for (let i = 0; i < b.length; i++) out.push([idOf(b.idHash[i]!), b.endedAt[i]!]);
  });
  return out.sort();
}

describe('RecentSessions', () => {
  it('moves a live canary to the hour it ended in, and an ending to where a later change puts it', () => {
    const store = new RecentSessions(T - 24 * HOUR_MS);
    store.upsert(row('a'));
    store.upsert(row('b'));
    expect([...store.live.keys()]).toEqual(['a', 'b']);
    store.upsert(endedRow('a', T + 90 * 60_000), { outcome: 'opened', attemptedAt: T - 500, endedAt: null, endKind: null });
    expect([...store.live.keys()]).toEqual(['b']);
    expect(endings(store)).toEqual([['a', T + 90 * 60_000]]);
    // A corrected end (another event of the session) replaces the row; it is not added twice.
    store.upsert(endedRow('a', T + 30 * 60_000), { outcome: 'opened', attemptedAt: T - 500, endedAt: T + 90 * 60_000, endKind: 'tcp_fin' });
    expect(endings(store)).toEqual([['a', T + 30 * 60_000]]);
    expect(store.endings).toBe(1);
  });

  it('holds a session that neither ended nor is open by its attempt hour, once, and moves it when it ends', () => {
    const store = new RecentSessions(T - 24 * HOUR_MS);
    const attempts = () => [...store.attempts.values()].flatMap((b) => Array.from(b.idHash.subarray(0, b.length), (h, i) => [idOf(h), b.attemptedAt[i]!, b.hour]));
    const refused = { outcome: 'upgrade_refused', openedAt: null, attemptedAt: T + 2 * HOUR_MS + 5 };
    store.upsert(row('r', refused));
    // Attempted 01:59:59.9, and its end arrives first: an ending, whose attempt hour a scan by attempts must reach.
    store.upsert(row('late', { outcome: null, openedAt: null, attemptedAt: T - 100 }));
    expect(attempts()).toEqual([
      ['r', T + 2 * HOUR_MS + 5, Math.floor(T / HOUR_MS) + 2],
      ['late', T - 100, Math.floor(T / HOUR_MS) - 1],
    ]);
    store.upsert(row('r', refused), { outcome: 'upgrade_refused', attemptedAt: T + 2 * HOUR_MS + 5, endedAt: null, endKind: null });
    expect(attempts()).toHaveLength(2);
    store.upsert(endedRow('late', T + 1000, { outcome: null, attemptedAt: T + 5000 }), { outcome: null, attemptedAt: T - 100, endedAt: null, endKind: null });
    expect(attempts()).toEqual([['r', T + 2 * HOUR_MS + 5, Math.floor(T / HOUR_MS) + 2]]);
    expect(endings(store)).toEqual([['late', T + 1000]]);
    expect(store.endBeforeAttemptMs).toBe(4000);
  });

  it('gives back each row its id, also after rows leave and the ids are compacted', () => {
    const store = new RecentSessions(T - HOUR_MS);
    const ids = Array.from({ length: 400 }, (_, i) => `session-${i}-${'x'.repeat(i % 30)}`);
    ids.forEach((id, i) => store.upsert(endedRow(id, T + i)));
    const block = store.blocks.get(Math.floor(T / HOUR_MS))!;
    // Every third stays: the removed ids' bytes pass half the arena, which is then compacted.
    ids.forEach((id, i) => {
      if (i % 3 !== 0) store.upsert(endedRow(id, T + HOUR_MS + i), { outcome: 'opened', attemptedAt: T - 500, endedAt: T + i, endKind: 'tcp_fin' });
    });
    const held = Array.from({ length: block.length }, (_, i) => block.idAt(i)).sort();
    expect(held).toEqual(ids.filter((_, i) => i % 3 === 0).sort());
    for (let i = 0; i < block.length; i++) expect(idHash(block.idAt(i))).toBe(block.idHash[i]);
  });

  it('keeps the rows of a block right when one leaves from its middle', () => {
    const store = new RecentSessions(T - HOUR_MS);
    for (let i = 0; i < 40; i++) store.upsert(endedRow(`s${i}`, T + i * 1000, { closeCode: 4000 + i }));
    store.upsert(endedRow('s7', T + 2 * HOUR_MS), { outcome: 'opened', attemptedAt: T - 500, endedAt: T + 7000, endKind: 'tcp_fin' });
    const block = store.blocks.get(Math.floor(T / HOUR_MS))!;
    expect(block.length).toBe(39);
    for (let i = 0; i < block.length; i++) expect(block.closeCode[i]).toBe(4000 + Number(idOf(block.idHash[i]!).slice(1)));
  });

  it('computes the age and idle time the drop histograms read, as SQL does', () => {
    const store = new RecentSessions(T - HOUR_MS);
    store.upsert(endedRow('fin', T + 61_000, { sinceLastRecvMs: null, sinceLastSentMs: 5000 }));
    store.upsert(endedRow('dark', T + 65_000, { endKind: 'pong_timeout', sinceLastRecvMs: 5000, sinceLastSentMs: 100 }));
    store.upsert(endedRow('none', T + 70_000, { sinceLastRecvMs: null, sinceLastSentMs: null }));
    const b = store.blocks.get(Math.floor(T / HOUR_MS))!;
    const at = (id: string) => b.idHash.indexOf(idHash(id));
    expect([b.age[at('fin')], b.idle[at('fin')]]).toEqual([61_000, 5000]);
    // A silent death is dated by its last byte received; its idle time is unknown.
    expect(b.age[at('dark')]).toBe(60_000);
    expect(b.idle[at('dark')]).toBeNaN();
    expect(b.idle[at('none')]).toBeNaN();
  });

  it('visits only the hours of a range, saying which lie wholly inside it', () => {
    const store = new RecentSessions(T - 10 * HOUR_MS);
    for (let h = -3; h <= 3; h++) store.upsert(endedRow(`h${h}`, T + h * HOUR_MS + 1));
    const seen: [number, boolean][] = [];
    store.eachBlock(T - HOUR_MS + 5, T + 2 * HOUR_MS, (b, whole) => seen.push([b.hour * HOUR_MS - T, whole]));
    expect(seen).toEqual([
      [-HOUR_MS, false],
      [0, true],
      [HOUR_MS, true],
    ]);
  });

  it('holds nothing before its horizon and forgets whole hours as it moves', () => {
    const store = new RecentSessions(T);
    store.upsert(endedRow('old', T - 1));
    store.upsert(endedRow('new', T + HOUR_MS + 1));
    store.upsert(endedRow('newer', T + 2 * HOUR_MS + 1));
    expect(endings(store).map(([id]) => id)).toEqual(['new', 'newer']);
    store.forgetBefore(T + 2 * HOUR_MS + 30 * 60_000);
    expect(endings(store).map(([id]) => id)).toEqual(['newer']);
    expect(store.horizon).toBe(T + 2 * HOUR_MS);
  });
});

describe('idHash', () => {
  it('gives 100,000 ids of one hour 100,000 different integers below 2^52', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 100_000; i++) {
      const h = idHash(`0193a1b2-${i.toString(16).padStart(4, '0')}-7c3d-9e8f-${(i * 7919).toString(16).padStart(12, '0')}`);
      expect(Number.isSafeInteger(h) && h >= 0 && h < 2 ** 52).toBe(true);
      seen.add(h);
    }
    expect(seen.size).toBe(100_000);
  });
});

describe('RecentStore', () => {
  it('answers a scope only when it holds the 5 minutes before it as well', () => {
    const store = new RecentStore(24 * HOUR_MS, T);
    const horizon = store.horizon;
    expect(horizon).toBeLessThanOrEqual(T - 24 * HOUR_MS);
    expect(store.covers(new Date(horizon + 5 * 60_000))).toBe(true);
    expect(store.covers(new Date(horizon + 5 * 60_000 - 1))).toBe(false);
    store.forgetOld(T + 3 * HOUR_MS);
    expect(store.covers(new Date(horizon + 5 * 60_000))).toBe(false);
  });
});
