/**
 * Rates over the time with data (issue 19): the SQL data span of each path
 * (db/queries/path-activity.ts) against its oracle (lib/paths/data-time.ts) on seeded
 * sessions, and the fresh install's 54 drops in 6 minutes reading the same rate at 15 min
 * and at 24 h.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { storeBatch } from '../../db/queries/ingest';
import { cellKey, dataSpans, longestSessionMs } from '../../db/queries/path-activity';
import { pathsMatrix } from '../../db/queries/paths';
import { addProbe } from '../../db/queries/probes';
import { PROBE_SILENT_AFTER_MS } from '../../db/queries/probe-silence';
import { canarySessions, probes } from '../../db/schema';
import type { IngestEvent } from '../../lib/contracts/ingest';
import type { DashboardScope } from '../../lib/dashboard/scope';
import { dataSpan, perHourOfData, type ActivitySession } from '../../lib/paths/data-time';
import { rng } from '../../bench/attribution/rng';
import { backends } from '../helpers/databases';
import { ended, failed, opened, path, T0 } from '../helpers/events';

const MIN = 60_000;
const HOUR = 60 * MIN;
const at = (ms: number) => new Date(T0.getTime() + ms);

describe('dataSpan, the definition', () => {
  const s = (attemptedAt: number, endedAt: number | null, isOpen = true): ActivitySession => ({ attemptedAt, endedAt, opened: isOpen });
  it('runs from the first attempt to the last end when nothing crosses the edges', () => {
    expect(dataSpan([s(10, 50), s(20, 90)], 0, 1000)).toEqual({ startMs: 10, endMs: 90, dataMs: 80 });
  });
  it('starts at the range start when a session opened before it was still open', () => {
    expect(dataSpan([s(-100, 40), s(60, 70)], 0, 1000)).toEqual({ startMs: 0, endMs: 70, dataMs: 70 });
  });
  it('ends at the range end when a session is still open, or ended after it', () => {
    expect(dataSpan([s(10, null)], 0, 1000)!.endMs).toBe(1000);
    expect(dataSpan([s(10, 5000)], 0, 1000)!.endMs).toBe(1000);
  });
  it('a failed attempt is data at its attempt only; a range without sessions has none', () => {
    expect(dataSpan([s(10, null, false), s(30, 31, false)], 0, 1000)).toEqual({ startMs: 10, endMs: 31, dataMs: 21 });
    expect(dataSpan([s(-500, -400)], 0, 1000)).toBeNull();
    expect(perHourOfData(3, 0)).toBeNull();
    expect(perHourOfData(54, 6 * MIN)).toBe(540);
  });
});

describe.each(backends())('data spans on $name', (backend) => {
  let database: Database;
  const probeIds: number[] = [];
  beforeAll(async () => {
    database = await backend.open();
    const { probe: p1 } = await addProbe(database.db, { name: 'edge-1', labels: {} });
    const { probe: p2 } = await addProbe(database.db, { name: 'edge-2', labels: {} });
    probeIds.push(p1.id, p2.id);
    // Random sessions on three paths from two probes over 6 h, before and after the ranges'
    // edges: long and short lives, some still open, some failed attempts.
    const r = rng(19);
    const batches = new Map<number, IngestEvent[]>([
      [p1.id, []],
      [p2.id, []],
    ]);
    const targets = ['api', 'chat', 'feed'];
    for (let i = 0; i < 90; i++) {
      const pp = path({ target: targets[i % 3]! });
      const probe = r() < 0.5 ? p1.id : p2.id;
      const begin = at(Math.floor(r() * 6 * HOUR) - HOUR);
      const id = `act-${String(i).padStart(3, '0')}-aaaa`;
      const list = batches.get(probe)!;
      const dice = r();
      if (dice < 0.15) list.push(failed(id, { path: pp }, begin));
      else {
        list.push(opened(id, { path: pp }, begin));
        if (dice > 0.3) list.push(ended(id, Math.floor(r() * 2 * HOUR), { path: pp }, begin));
      }
    }
    for (const [probe, list] of batches) await storeBatch(database.db, probe, list, at(6 * HOUR));
    // A fresh install: 54 drops in 6 minutes on fresh/direct, the newest just before `now`.
    const fresh: IngestEvent[] = [];
    for (let i = 0; i < 54; i++) {
      const begin = at(10 * HOUR + Math.floor((i * 6 * MIN) / 54));
      fresh.push(opened(`fresh-${String(i).padStart(2, '0')}-aaaa`, { path: path({ target: 'fresh' }) }, begin));
      fresh.push(ended(`fresh-${String(i).padStart(2, '0')}-aaaa`, 5000, { path: path({ target: 'fresh' }) }, begin));
    }
    await storeBatch(database.db, p1.id, fresh, at(11 * HOUR));
  });
  afterAll(() => database.close());

  /**
   * The oracle over every stored session of the cell, read at `now`: the open canaries of a
   * probe silent then are vouched for up to its last report.
   */
  async function expected(scope: DashboardScope, target: string, probeId: number | null, now: Date, longestMs: number) {
    const rows = await database.db.select().from(canarySessions);
    const heard = new Map((await database.db.select().from(probes)).map((p) => [p.id, p]));
    const silentSince = (id: number) => {
      const p = heard.get(id)!;
      const last = p.lastSeenAt?.getTime() ?? -Infinity;
      return p.revokedAt !== null || last < now.getTime() - PROBE_SILENT_AFTER_MS ? last : undefined;
    };
    const sessions = rows
      .filter((x) => x.targetName === target && x.proxyName === 'direct' && (probeId === null || x.probeId === probeId))
      .map((x): ActivitySession => {
        const until = x.endedAt === null ? silentSince(x.probeId) : undefined;
        return { attemptedAt: x.attemptedAt.getTime(), endedAt: x.endedAt?.getTime() ?? null, opened: x.outcome === 'opened', ...(until !== undefined && { vouchedUntil: until }) };
      });
    return dataSpan(sessions, scope.from.getTime(), scope.to.getTime(), longestMs);
  }

  const RANGES = [
    ['the whole day', { from: at(-2 * HOUR), to: at(22 * HOUR) }],
    ['a range starting inside open sessions', { from: at(HOUR), to: at(3 * HOUR) }],
    ['a 15 min range', { from: at(2 * HOUR), to: at(2 * HOUR + 15 * MIN) }],
    ['a range ending inside open sessions', { from: at(2 * HOUR), to: at(5 * HOUR + 30 * MIN) }],
    ['a range before any data', { from: at(-10 * HOUR), to: at(-5 * HOUR) }],
  ] as const;
  // Both probes heard from at 6 h; both silent long after (edge-2 since 6 h, edge-1 since 11 h).
  // The look-back bound at the ingest's default, and at 1 h (shorter than some lives: it must bind alike).
  const READS = [
    ['probes heard from', at(6 * HOUR), longestSessionMs()],
    ['probes silent', at(30 * HOUR), longestSessionMs()],
    ['probes silent, lives bounded at 1 h', at(30 * HOUR), HOUR],
    ['probes heard from, lives bounded at 1 h', at(6 * HOUR), HOUR],
  ] as const;

  it.each(RANGES.flatMap(([name, scope]) => READS.map(([read, now, longestMs]) => [`${name}, ${read}`, scope, now, longestMs] as const)))(
    'agree with the oracle: %s',
    async (name, scope, now, longestMs) => {
      const keys = ['api', 'chat', 'feed'].flatMap((target) => [
        { target, proxy: 'direct', probeId: null },
        ...probeIds.map((probeId) => ({ target, proxy: 'direct', probeId })),
      ]);
      const spans = await dataSpans(database.db, scope, keys, { now, longestSessionMs: longestMs });
      let some = 0;
      for (const k of keys) {
        const want = await expected(scope, k.target, k.probeId, now, longestMs);
        expect(spans.get(cellKey(k)) ?? null, `${cellKey(k)}`).toEqual(want);
        if (want && k.probeId !== null) some += 1;
      }
      // Not vacuous: per-probe cells with data, except before any data.
      if (!name.startsWith('a range before any data')) expect(some).toBeGreaterThan(1);
    },
  );

  it('a silent probe\'s open canary is no data past the probe\'s last report; a heard one\'s runs to the range end', async () => {
    const scope = { from: at(5 * HOUR), to: at(5 * HOUR + 30 * MIN) };
    const keys = ['api', 'chat', 'feed'].map((target) => ({ target, proxy: 'direct', probeId: probeIds[1]! }));
    const heard = await dataSpans(database.db, scope, keys, { now: at(6 * HOUR) });
    const silent = await dataSpans(database.db, scope, keys, { now: at(30 * HOUR) });
    // edge-2 reported last at 6 h: at 30 h its open canaries are unknown, and at 5.5 h it still vouched for them.
    const ends = (m: Map<string, { endMs: number }>) => keys.map((k) => m.get(cellKey(k))?.endMs ?? null);
    expect(ends(heard)).toContain(scope.to.getTime());
    expect(ends(silent)).toEqual(ends(heard));
    // Past its last report: heard from (60 s later, under the 90 s of silence) it vouches for them up to now; silent, it does not.
    const late = { from: at(5 * HOUR), to: at(6 * HOUR + 30_000) };
    const heardLate = ends(await dataSpans(database.db, late, keys, { now: at(6 * HOUR + 60_000) }));
    const silentLate = ends(await dataSpans(database.db, late, keys, { now: at(30 * HOUR) }));
    expect(heardLate.some((end, i) => end === late.to.getTime() && silentLate[i] !== late.to.getTime())).toBe(true);
    for (const [i, end] of silentLate.entries()) expect(end).toBeLessThanOrEqual(heardLate[i]!);
  });

  it('an ended session attempted longer ago than the longest life is not open across an edge', async () => {
    const keys = ['api', 'chat', 'feed'].flatMap((target) => probeIds.map((probeId) => ({ target, proxy: 'direct', probeId })));
    const edges = async (longestMs: number) => {
      const out: (number | null)[] = [];
      for (let h = 0; h < 6; h++) {
        const m = await dataSpans(database.db, { from: at(h * HOUR), to: at(h * HOUR + 20 * MIN) }, keys, { now: at(6 * HOUR), longestSessionMs: longestMs });
        for (const k of keys) out.push(m.get(cellKey(k))?.startMs ?? null, m.get(cellKey(k))?.endMs ?? null);
      }
      return out;
    };
    // Lives up to 2 h: a bound of 1 ms leaves only the live canaries open across an edge, so some edge moves (not vacuous).
    expect(await edges(longestSessionMs())).not.toEqual(await edges(1));
  });

  it('reads 54 drops in 6 minutes of data as the same rate at 15 min and at 24 h', async () => {
    const now = at(10 * HOUR + 6 * MIN);
    const rates = [];
    for (const rangeMs of [15 * MIN, 24 * HOUR]) {
      const m = await pathsMatrix(database.db, { from: new Date(now.getTime() - rangeMs), to: now, target: 'fresh' }, { byProbe: false, now });
      const cell = m.cells[0]!;
      expect(cell.drops).toBe(54);
      // From the first attempt to the last end: 6 min less one spacing, plus the last life.
      expect(cell.dataMs).toBe(Math.floor((53 * 6 * MIN) / 54) + 5 + 5000);
      rates.push(cell.dropsPerHour);
    }
    expect(rates[0]).toBeCloseTo(rates[1]!, 9);
    expect(rates[0]).toBeGreaterThan(500);
  });
});
