/**
 * The drops page's queries on every backend, on a fleet whose answers are known: a proxy
 * cutting at 60 s, a load balancer closing at 5 min, two silent deaths, sessions the probe
 * closed itself (not drops) and one drop outside the range.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readsRunConcurrently, type Database } from '../../db/client';
import { analyzeScope } from '../../db/queries/analysis';
import { dropsReport } from '../../db/queries/drops';
import { dropFilter } from '../../db/queries/drop-values';
import { canarySessions as s } from '../../db/schema';
import { sql } from 'drizzle-orm';
import { shapeBins } from '../../lib/drops/bins';
import { storeBatch } from '../../db/queries/ingest';
import { addProbe } from '../../db/queries/probes';
import { BUILTIN_LAYERS } from '../../lib/analysis/catalogue';
import type { IngestEvent } from '../../lib/contracts/ingest';
import type { DashboardScope } from '../../lib/dashboard/scope';
import type { DropsParams } from '../../db/queries/drops';
import { backends } from '../helpers/databases';
import { ended, opened, path } from '../helpers/events';

const BASE = new Date('2026-11-20T00:00:00Z');
const NOW = new Date(BASE.getTime() + 6 * 3_600_000);
const at = (min: number) => new Date(BASE.getTime() + min * 60_000);
const SCOPE: DashboardScope = { from: BASE, to: NOW };
const opts = { now: NOW, layers: BUILTIN_LAYERS };
const SHORT_AGES = [12_340, 12_360, 12_380, 12_420, 14_950];
const params = (over: Partial<DropsParams> = {}): DropsParams => ({ bin: '1s', scale: 'linear', ...over });

function fra(): IngestEvent[] {
  const squid = path({ proxy: 'squid', kind: 'http' });
  const direct = path();
  const out: IngestEvent[] = [];
  for (let i = 0; i < 10; i++) {
    // Cut at 60 s of silence through squid.
    out.push(opened(`sq-${i}`, { path: squid, egressAddress: '198.51.100.7' }, at(10 + i * 5)), ended(`sq-${i}`, 60_000 + i * 10, { path: squid, endKind: 'tcp_fin', closeCode: 1006 }, at(10 + i * 5)));
  }
  for (let i = 0; i < 2; i++) {
    // Silent deaths: 45 s open, 15 s of that without a byte: age 30 s; no idle (unknown).
    out.push(ended(`pt-${i}`, 45_000, { path: direct, endKind: 'pong_timeout', closeCode: undefined, sinceLastRecvMs: 15_000, sinceLastSentMs: 5_000 }, at(100 + i)));
  }
  for (let i = 0; i < 3; i++) out.push(ended(`pc-${i}`, 500_000, { path: direct, endKind: 'probe_closed', closeCode: 1000 }, at(120 + i)));
  // Before the range.
  out.push(ended('old-1', 60_000, { path: squid }, new Date(BASE.getTime() - 3_600_000)));
  // Five hours before the range, a signature with more members than the analysis reads:
  // 100 older cuts at 59.8 s, then 500 newer ones at 60.00-60.05 s (the sample it reads).
  for (let i = 0; i < 600; i++) {
    const ageMs = i < 100 ? 59_800 + (i % 10) : 60_000 + (i % 50);
    out.push(ended(`many-${i}`, ageMs, { path: squid, endKind: 'tcp_fin', closeCode: 1006 }, at(-300 + i * 0.05)));
  }
  // Half an hour before the range, short drops only: auto bins them under a second.
  for (let i = 0; i < 5; i++) out.push(ended(`short-${i}`, SHORT_AGES[i]!, { path: direct, endKind: 'tcp_reset', closeCode: 1006 }, at(-30 + i)));
  return out;
}

function nyc(): IngestEvent[] {
  const lb = path({ proxy: 'direct', profile: 'chatty' });
  return Array.from({ length: 4 }, (_, i) => ended(`lb-${i}`, 300_500, { path: lb, endKind: 'close_frame', closeCode: 1001, sinceLastRecvMs: 1000, sinceLastSentMs: 2000 }, at(200 + i)));
}

describe.each(backends())('drops queries on $name', (backend) => {
  let database: Database;

  beforeAll(async () => {
    database = await backend.open();
    const f = await addProbe(database.db, { name: 'edge-fra-1', labels: { region: 'eu' } });
    const n = await addProbe(database.db, { name: 'edge-nyc-1', labels: { region: 'us' } });
    await storeBatch(database.db, f.probe.id, fra(), NOW);
    await storeBatch(database.db, n.probe.id, nyc(), NOW);
  }, 120_000);
  afterAll(() => database.close());

  it('bins ages at the picked width (centred bins), silent deaths dated by their last byte, dense from 0', async () => {
    const r = await dropsReport(database.db, SCOPE, params(), opts);
    expect(r.totalDrops).toBe(16);
    expect(r.binWidthMs).toBe(1000);
    expect(r.age.dense).toBe(true);
    // Centred 1 s bins from the one on 0 s to the one on 301 s (300.5 s rounds up).
    expect(r.age.bins).toHaveLength(302);
    const filled = r.age.bins.filter((b) => b.count > 0);
    expect(filled).toEqual([
      { startMs: 29_500, count: 2 },
      { startMs: 59_500, count: 10 },
      { startMs: 300_500, count: 4 },
    ]);
  });

  it('bins idle time before the drop, pong timeouts left out', async () => {
    const r = await dropsReport(database.db, SCOPE, params({ bin: '1m' }), opts);
    expect(r.idle.total).toBe(14);
    // Centred 1 min bins: 1 s idle on 0; 60.00-60.09 s on 1 min; ages 30 s (an edge) and
    // 60 s on 1 min, 300.5 s on 5 min.
    expect(r.idle.bins).toEqual([
      { startMs: -30_000, count: 4 },
      { startMs: 30_000, count: 10 },
    ]);
    expect(r.age.bins).toEqual([
      { startMs: -30_000, count: 0 },
      { startMs: 30_000, count: 12 },
      { startMs: 90_000, count: 0 },
      { startMs: 150_000, count: 0 },
      { startMs: 210_000, count: 0 },
      { startMs: 270_000, count: 4 },
    ]);
  });

  it('bins drops younger than half a minute at a sub-second auto width, centred as at any width', async () => {
    const r = await dropsReport(database.db, { from: at(-40), to: at(-20) }, params({ bin: 'auto' }), opts);
    // 500 ms: its centred bins start on 250 ms steps, which only a pass at 50 ms can sum.
    expect(r.binWidthMs).toBe(500);
    const expected = new Map<number, number>();
    for (const a of SHORT_AGES) expected.set(Math.floor(a / 500 + 0.5), (expected.get(Math.floor(a / 500 + 0.5)) ?? 0) + 1);
    expect(r.age.bins.filter((b) => b.count > 0)).toEqual([...expected].map(([k, count]) => ({ startMs: (k - 0.5) * 500, count })));
  });

  it('picks a round width for auto, and sends fine bins sparse when they would be too many', async () => {
    expect((await dropsReport(database.db, SCOPE, params({ bin: 'auto' }), opts)).binWidthMs).toBe(10_000);
    const fine = await dropsReport(database.db, SCOPE, params({ bin: '100ms' }), opts);
    expect(fine.age.dense).toBe(false);
    // [bin index, count] of centred 100 ms bins: 60 000-60 040 ms on 60.0 s, 60 050-60 090 on 60.1 s.
    expect(fine.age.bins.map((b) => [b.startMs / 100 + 0.5, b.count])).toEqual([
      [299, 0], [300, 2], [301, 0], [599, 0], [600, 5], [601, 5], [602, 0], [3004, 0], [3005, 4], [3006, 0],
    ]);
  });

  it('breaks drops down by ending and close code', async () => {
    const r = await dropsReport(database.db, SCOPE, params(), opts);
    expect(r.endKinds).toEqual([
      { endKind: 'tcp_fin', count: 10 },
      { endKind: 'close_frame', count: 4 },
      { endKind: 'pong_timeout', count: 2 },
    ]);
    expect(r.closeCodes).toEqual([
      { closeCode: 1006, count: 10 },
      { closeCode: 1001, count: 4 },
      { closeCode: null, count: 2 },
    ]);
  });

  it('applies the scope filters (proxy, label, profile)', async () => {
    expect((await dropsReport(database.db, { ...SCOPE, proxy: 'squid' }, params(), opts)).totalDrops).toBe(10);
    const us = await dropsReport(database.db, { ...SCOPE, label: { key: 'region', value: 'us' } }, params(), opts);
    expect(us.totalDrops).toBe(4);
    // The signatures are of the same drops: the analysis takes the label and profile too.
    expect(us.signaturesIgnoreFilters).toBe(false);
    expect((await analyzeScope(database.db, { ...SCOPE, label: { key: 'region', value: 'us' } }, opts)).totalDrops).toBe(4);
    expect((await analyzeScope(database.db, { ...SCOPE, profile: 'chatty' }, opts)).totalDrops).toBe(4);
    expect((await dropsReport(database.db, { ...SCOPE, profile: 'chatty' }, params(), opts)).endKinds).toEqual([{ endKind: 'close_frame', count: 4 }]);
    expect((await dropsReport(database.db, { ...SCOPE, probe: 'edge-fra-1' }, params(), opts)).totalDrops).toBe(12);
  });

  it('finds the 60 s signature and lists its cluster, newest first', async () => {
    const r = await dropsReport(database.db, SCOPE, params({ cluster: 60 }), opts);
    const sig = r.signatures.find((g) => g.nSeconds === 60);
    expect(sig).toMatchObject({ dimension: 'age', count: 10, minMs: 60_000, maxMs: 60_090 });
    expect(r.cluster?.signature?.key).toBe(sig!.key);
    expect(r.cluster?.total).toBe(10);
    expect(r.cluster?.drops.map((d) => d.sessionId)).toEqual(Array.from({ length: 10 }, (_, i) => `sq-${9 - i}`));
    expect(r.cluster?.drops[0]).toMatchObject({ probe: 'edge-fra-1', proxy: 'squid', endKind: 'tcp_fin', closeCode: 1006, egress: '198.51.100.7', durationMs: 60_090, idleMs: 60_090 });
  });

  it('finds the signatures the analysis finds alone, from the bins it read beside its histograms', async () => {
    const alone = (await analyzeScope(database.db, SCOPE, opts)).signatures.map((g) => [g.key, g.count, g.nMs, g.minMs, g.maxMs]);
    expect(alone.length).toBeGreaterThan(0);
    for (const bin of ['1s', '1m', '100ms', 'auto'] as const) {
      expect((await dropsReport(database.db, SCOPE, params({ bin }), opts)).signatures.map((g) => [g.key, g.count, g.nMs, g.minMs, g.maxMs])).toEqual(alone);
    }
    const eu = { ...SCOPE, label: { key: 'region', value: 'eu' } };
    const euAlone = (await analyzeScope(database.db, eu, opts)).signatures.map((g) => [g.key, g.count, g.nMs]);
    expect(euAlone.length).toBeGreaterThan(0);
    expect((await dropsReport(database.db, eu, params(), opts)).signatures.map((g) => [g.key, g.count, g.nMs])).toEqual(euAlone);
  });

  it('gives the same report when its statements run at once (on PostgreSQL, each on its own connection)', async () => {
    if (!readsRunConcurrently(database)) return;
    for (const p of [params({ cluster: 60 }), params({ bin: 'auto' })]) {
      expect(await dropsReport(database.db, SCOPE, p, { ...opts, concurrent: true })).toEqual(await dropsReport(database.db, SCOPE, p, opts));
    }
    const concurrent = await analyzeScope(database.db, SCOPE, { ...opts, concurrent: true });
    expect(concurrent.signatures.length).toBeGreaterThan(0);
    expect(concurrent).toEqual(await analyzeScope(database.db, SCOPE, opts));
  });

  it('counts endings and close codes from the rollup and the partial quarter-hours at the edges alike', async () => {
    for (const scope of [SCOPE, { from: at(7), to: at(201.5) }, { from: at(12), to: at(13) }, { ...SCOPE, from: at(40), label: { key: 'region', value: 'eu' } }]) {
      const r = await dropsReport(database.db, scope, params(), opts);
      const rows = await database.db
        .select({ k: sql<string>`${s.endKind}::text`, c: s.closeCode, n: sql<number>`count(*)`.mapWith(Number) })
        .from(s)
        .where(dropFilter(scope))
        .groupBy(s.endKind, s.closeCode);
      const sum = <K,>(key: (x: (typeof rows)[number]) => K) => {
        const m = new Map<K, number>();
        for (const x of rows) m.set(key(x), (m.get(key(x)) ?? 0) + x.n);
        return m;
      };
      expect(new Map(r.endKinds.map((e) => [e.endKind as string, e.count]))).toEqual(sum((x) => x.k));
      expect(new Map(r.closeCodes.map((e) => [e.closeCode, e.count]))).toEqual(sum((x) => x.c));
      expect(r.endKinds.reduce((n, e) => n + e.count, 0)).toBe(r.totalDrops);
    }
  });

  it("lists a cluster by the signature's window, also when it has more members than the analysis reads", async () => {
    const r = await dropsReport(database.db, { from: at(-310), to: at(-200) }, params({ cluster: 60 }), opts);
    const sig = r.signatures.find((g) => g.nSeconds === 60);
    expect(sig).toMatchObject({ count: 600, window: { lowMs: expect.any(Number), highMs: expect.any(Number) } });
    // The members read are the newest 500: none of the older cuts at 59.8 s among them.
    expect(sig!.minMs).toBeGreaterThanOrEqual(60_000);
    expect(sig!.window.lowMs).toBeLessThanOrEqual(59_800);
    expect(r.cluster?.total).toBe(600);
  });

  it('names a cluster it cannot find, and answers an empty range with nothing', async () => {
    const r = await dropsReport(database.db, SCOPE, params({ cluster: 42 }), opts);
    expect(r.cluster).toEqual({ nSeconds: 42, signature: null, total: 0, drops: [] });
    const empty = await dropsReport(database.db, { from: new Date(NOW.getTime() + 1), to: new Date(NOW.getTime() + 2) }, params({ bin: 'auto' }), opts);
    expect(empty).toMatchObject({ totalDrops: 0, age: { total: 0, bins: [] }, idle: { total: 0, bins: [] }, endKinds: [], closeCodes: [], signatures: [] });
  });
});

describe('shapeBins', () => {
  it('keeps negative bins dense, without a gap to 0', () => {
    expect(shapeBins([{ bin: -1, count: 1 }, { bin: 1, count: 2 }], 10)).toEqual({ total: 3, dense: true, bins: [{ startMs: -15, count: 1 }, { startMs: -5, count: 0 }, { startMs: 5, count: 2 }] });
  });
});
