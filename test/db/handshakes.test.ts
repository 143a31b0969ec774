/**
 * The handshake page's queries on every backend, on attempts whose answers are known:
 * upgrades and refusals spread over an hour, per-minute ratios, failures per status,
 * proxy reply and socket error with the paths they hit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { handshakesReport } from '../../db/queries/handshakes';
import { storeBatch } from '../../db/queries/ingest';
import { addProbe } from '../../db/queries/probes';
import type { IngestEvent } from '../../lib/contracts/ingest';
import { bucketFor } from '../../lib/handshakes/report';
import { backends } from '../helpers/databases';
import { ended, failed, opened, path } from '../helpers/events';

const BASE = new Date('2026-11-20T00:00:00Z');
const HOUR = 3_600_000;
const SCOPE = { from: BASE, to: new Date(BASE.getTime() + HOUR) };
const at = (min: number) => new Date(BASE.getTime() + min * 60_000 + 1000);

function events(): IngestEvent[] {
  const direct = path();
  const squid = path({ proxy: 'squid', kind: 'http' });
  const mobile = path({ proxy: 'mobile', kind: 'socks5' });
  return [
    ...['o-0', 'o-1', 'o-2'].map((id) => opened(id, { path: direct }, at(0))),
    // An opened session that later ended with a socket error: not a handshake failure.
    ended('o-0', 5000, { path: direct, endKind: 'error', errorCode: 'ECONNRESET' }, at(0)),
    failed('f-403', { path: direct, httpStatus: 403 }, at(0)),
    failed('f-502-a', { path: squid, httpStatus: 502 }, at(5)),
    failed('f-502-b', { path: squid, httpStatus: 502 }, at(5)),
    failed('f-px', { path: mobile, outcome: 'proxy_refused', httpStatus: undefined, proxyReply: 'Socks5 proxy rejected connection - NotAllowed' }, at(5)),
    failed('f-dial-1', { path: squid, outcome: 'dial_failed', httpStatus: undefined, errorCode: 'ECONNREFUSED' }, at(10)),
    failed('f-dial-2', { path: direct, outcome: 'dial_failed', httpStatus: undefined, errorCode: 'ECONNREFUSED' }, at(10)),
    opened('o-3', { path: squid }, at(10)),
    // Before the range.
    failed('f-old', { path: direct, httpStatus: 426 }, new Date(BASE.getTime() - 60_000)),
  ];
}

describe('bucketFor', () => {
  it('picks the smallest bucket giving at most 120 points', () => {
    const b = (ms: number) => bucketFor(ms).name;
    expect([b(15 * 60_000), b(HOUR), b(6 * HOUR), b(24 * HOUR), b(7 * 24 * HOUR), b(30 * 24 * HOUR), b(365 * 24 * HOUR)]).toEqual(['1m', '1m', '5m', '15m', '6h', '6h', '1d']);
    expect(() => bucketFor(0)).toThrow(RangeError);
  });
});

describe.each(backends())('handshake queries on $name', (backend) => {
  let database: Database;

  beforeAll(async () => {
    database = await backend.open();
    const { probe } = await addProbe(database.db, { name: 'edge-fra-1', labels: { region: 'eu' } });
    await storeBatch(database.db, probe.id, events(), new Date(BASE.getTime() + 2 * HOUR));
  }, 120_000);
  afterAll(() => database.close());

  it('counts attempts and 101 upgrades per minute, dense over the range', async () => {
    const r = await handshakesReport(database.db, SCOPE);
    expect(r).toMatchObject({ bucket: '1m', bucketMs: 60_000, attempts: 10, upgrades: 4, ratio: 0.4 });
    expect(r.series).toHaveLength(60);
    expect(r.series[0]).toEqual({ at: BASE.toISOString(), attempts: 4, upgrades: 3, ratio: 0.75 });
    expect(r.series[1]).toEqual({ at: new Date(BASE.getTime() + 60_000).toISOString(), attempts: 0, upgrades: 0, ratio: null });
    expect(r.series[5]).toMatchObject({ attempts: 3, upgrades: 0, ratio: 0 });
    expect(r.series[10]).toMatchObject({ attempts: 3, upgrades: 1, ratio: 1 / 3 });
    expect(r.outcomes).toEqual([
      { outcome: 'opened', count: 4 },
      { outcome: 'upgrade_refused', count: 3 },
      { outcome: 'dial_failed', count: 2 },
      { outcome: 'proxy_refused', count: 1 },
    ]);
  });

  it('groups failures by status, proxy reply and socket error, with the paths they hit', async () => {
    const r = await handshakesReport(database.db, SCOPE);
    expect(r.byStatus).toEqual([
      { value: 502, count: 2, paths: [{ target: 'canary', proxy: 'squid', count: 2 }] },
      { value: 403, count: 1, paths: [{ target: 'canary', proxy: 'direct', count: 1 }] },
    ]);
    expect(r.byProxyReply).toEqual([{ value: 'Socks5 proxy rejected connection - NotAllowed', count: 1, paths: [{ target: 'canary', proxy: 'mobile', count: 1 }] }]);
    expect(r.byErrorCode).toEqual([
      { value: 'ECONNREFUSED', count: 2, paths: [{ target: 'canary', proxy: 'direct', count: 1 }, { target: 'canary', proxy: 'squid', count: 1 }] },
    ]);
  });

  it('applies the scope filters, and answers an empty range with zeros', async () => {
    const squid = await handshakesReport(database.db, { ...SCOPE, proxy: 'squid' });
    expect(squid).toMatchObject({ attempts: 4, upgrades: 1, ratio: 0.25 });
    expect((await handshakesReport(database.db, { ...SCOPE, label: { key: 'region', value: 'us' } })).attempts).toBe(0);
    const before = await handshakesReport(database.db, { from: new Date(BASE.getTime() - HOUR), to: BASE });
    expect(before).toMatchObject({ attempts: 1, upgrades: 0, ratio: 0, byStatus: [{ value: 426, count: 1 }] });
    const empty = await handshakesReport(database.db, { from: new Date(BASE.getTime() + 2 * HOUR), to: new Date(BASE.getTime() + 3 * HOUR) });
    expect(empty).toMatchObject({ attempts: 0, upgrades: 0, ratio: null, outcomes: [], byStatus: [], byProxyReply: [], byErrorCode: [] });
    expect(empty.series.every((b) => b.ratio === null)).toBe(true);
  });

  it('reads whole quarter-hours of a long range from the rollup and its partial edges from the sessions, with the same answers', async () => {
    // 6 h buckets: whole quarter-hours from attempt_rollup; the 70 s before BASE (holding
    // the 426) and the 5 minutes after the last whole quarter from the session rows.
    const week = { from: new Date(BASE.getTime() - 70_000), to: new Date(BASE.getTime() + 7 * 24 * HOUR + 20 * 60_000) };
    const r = await handshakesReport(database.db, week);
    expect(r).toMatchObject({ bucket: '6h', attempts: 11, upgrades: 4 });
    expect(r.series.reduce((n, b) => n + b.attempts, 0)).toBe(11);
    expect(r.series[0]).toMatchObject({ at: new Date(BASE.getTime() - 6 * HOUR).toISOString(), attempts: 1, upgrades: 0 });
    expect(r.series[1]).toMatchObject({ at: BASE.toISOString(), attempts: 10, upgrades: 4 });
    expect(r.byStatus.map((g) => [g.value, g.count])).toEqual([[502, 2], [403, 1], [426, 1]]);
    expect(r.outcomes).toEqual([
      { outcome: 'opened', count: 4 },
      { outcome: 'upgrade_refused', count: 4 },
      { outcome: 'dial_failed', count: 2 },
      { outcome: 'proxy_refused', count: 1 },
    ]);
    expect(r.byErrorCode).toEqual((await handshakesReport(database.db, SCOPE)).byErrorCode);
    const squid = await handshakesReport(database.db, { ...week, proxy: 'squid', label: { key: 'region', value: 'eu' } });
    expect(squid).toMatchObject({ attempts: 4, upgrades: 1 });
  });
});
