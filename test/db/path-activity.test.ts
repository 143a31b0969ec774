/**
 * Rates over the time with data (issue 19): the SQL data span of each path
 * (db/queries/path-activity.ts) against its oracle (lib/paths/data-time.ts) on seeded
 * sessions, and the fresh install's 54 drops in 6 minutes reading the same rate at 15 min
 * and at 24 h.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { storeBatch } from '../../db/queries/ingest';
import { cellKey, dataSpans } from '../../db/queries/path-activity';
import { pathsMatrix } from '../../db/queries/paths';
import { addProbe } from '../../db/queries/probes';
import { canarySessions } from '../../db/schema';
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

  /** The oracle over every stored session of the cell. */
  async function expected(scope: DashboardScope, target: string, probeId: number | null) {
    const rows = await database.db.select().from(canarySessions);
    const sessions = rows
      .filter((x) => x.targetName === target && x.proxyName === 'direct' && (probeId === null || x.probeId === probeId))
      .map((x) => ({ attemptedAt: x.attemptedAt.getTime(), endedAt: x.endedAt?.getTime() ?? null, opened: x.outcome === 'opened' }));
    return dataSpan(sessions, scope.from.getTime(), scope.to.getTime());
  }

  it.each([
    ['the whole day', { from: at(-2 * HOUR), to: at(22 * HOUR) }],
    ['a range starting inside open sessions', { from: at(HOUR), to: at(3 * HOUR) }],
    ['a 15 min range', { from: at(2 * HOUR), to: at(2 * HOUR + 15 * MIN) }],
    ['a range before any data', { from: at(-10 * HOUR), to: at(-5 * HOUR) }],
  ])('agree with the oracle: %s', async (_name, scope) => {
    const keys = ['api', 'chat', 'feed'].flatMap((target) => [
      { target, proxy: 'direct', probeId: null },
      ...probeIds.map((probeId) => ({ target, proxy: 'direct', probeId })),
    ]);
    const spans = await dataSpans(database.db, scope, keys);
    let some = 0;
    for (const k of keys) {
      const want = await expected(scope, k.target, k.probeId);
      expect(spans.get(cellKey(k)) ?? null, `${cellKey(k)}`).toEqual(want);
      if (want && k.probeId !== null) some += 1;
    }
    // Not vacuous: per-probe cells with data, except before any data.
    if (_name !== 'a range before any data') expect(some).toBeGreaterThan(1);
  });

  it('reads 54 drops in 6 minutes of data as the same rate at 15 min and at 24 h', async () => {
    const now = at(10 * HOUR + 6 * MIN);
    const rates = [];
    for (const rangeMs of [15 * MIN, 24 * HOUR]) {
      const m = await pathsMatrix(database.db, { from: new Date(now.getTime() - rangeMs), to: now, target: 'fresh' }, { byProbe: false });
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
