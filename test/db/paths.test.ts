/**
 * The paths matrix and the path page's queries against seeded sessions whose answers are
 * known: medians by percentile_cont, upgrade ratios, drop shares, RTT quantiles from
 * merged buckets, phase percentiles, egress changes and ladder rungs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { storeBatch } from '../../db/queries/ingest';
import { pathDetail, pathExists } from '../../db/queries/path-detail';
import { pathsMatrix } from '../../db/queries/paths';
import { addProbe } from '../../db/queries/probes';
import type { IngestEvent } from '../../lib/contracts/ingest';
import type { DashboardScope } from '../../lib/dashboard/scope';
import { parsePathId, pathId } from '../../lib/paths/path-id';
import { MEDIAN_LIFETIME_RELATIVE_ERROR } from '../../lib/rollups/lifetime-bins';
import { backends } from '../helpers/databases';
import { ended, failed, opened, path, rtt, T0 } from '../helpers/events';

const at = (ms: number) => new Date(T0.getTime() + ms);
const scope: DashboardScope = { from: at(-3_600_000), to: at(2 * 3_600_000) };
const NOW = at(2 * 3_600_000);

/** A median read from the lifetime bins: within the stated relative error of percentile_cont's. */
function expectMedian(actual: number | null | undefined, exact: number) {
  expect(actual).not.toBeNull();
  expect(Math.abs(actual! - exact)).toBeLessThanOrEqual(exact * MEDIAN_LIFETIME_RELATIVE_ERROR);
}

describe.each(backends())('paths on $name', (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await backend.open();
    const { probe: e1 } = await addProbe(database.db, { name: 'edge-1', labels: { region: 'eu' } });
    const { probe: e2 } = await addProbe(database.db, { name: 'edge-2', labels: { region: 'us' } });
    const squid = path({ proxy: 'squid', kind: 'http' });
    const tiny = path({ proxy: 'tiny', kind: 'http' });
    const other = path({ target: 'other' });
    const one: IngestEvent[] = [];
    const two: IngestEvent[] = [];
    // canary/direct: 10 sessions living 60..600 s, closed by the probe; tcp 1..10 ms.
    // edge-1 has the first six (egress changes once, at the fourth), edge-2 the rest.
    for (let i = 0; i < 10; i++) {
      const base = at(i * 60_000);
      const list = i < 6 ? one : two;
      list.push(opened(`dir-${i}-aaaa`, { timings: { dnsMs: 0.5, tcpMs: i + 1, upgradeMs: 3 }, ...(i < 6 && { egressAddress: i < 3 ? '198.51.100.1' : '198.51.100.2' }) }, base));
      list.push(ended(`dir-${i}-aaaa`, (i + 1) * 60_000, { endKind: 'probe_closed', closeCode: 1000 }, base));
    }
    // canary/squid from edge-1: one 426, two cut at 20 s, one closed at 30 s.
    one.push(failed('sq-refused-a', { path: squid, httpStatus: 426 }, at(0)));
    one.push(opened('sq-0-aaaaaa', { path: squid, timings: { tcpMs: 2, proxyMs: 4, upgradeMs: 6 } }, at(1000)));
    one.push(ended('sq-0-aaaaaa', 20_000, { path: squid }, at(1000)));
    one.push(opened('sq-1-aaaaaa', { path: squid }, at(2000)));
    one.push(ended('sq-1-aaaaaa', 20_000, { path: squid, endKind: 'tcp_reset' }, at(2000)));
    one.push(opened('sq-2-aaaaaa', { path: squid }, at(3000)));
    one.push(ended('sq-2-aaaaaa', 30_000, { path: squid, endKind: 'probe_closed' }, at(3000)));
    one.push({
      type: 'target.session_ended', id: 'tv-sq-0-aaaaaa', sessionId: 'sq-0-aaaaaa', target: 'canary', peerAddress: '203.0.113.9',
      openedAt: at(1005).toISOString(), endedAt: at(21_005).toISOString(), durationMs: 20_000, closeFrameReceived: false,
      endKind: 'tcp_fin', sinceLastRecvMs: 20_000, sinceLastSentMs: 20_000, messagesIn: 0, messagesOut: 0,
    });
    // RTT through squid: 19 samples at 10 ms and one at 200 ms, over two minutes.
    one.push(rtt('sq-0-aaaaaa', [...Array(19).fill(10), 200], { path: squid }, at(1000)));
    // canary/tiny: a ladder whose 30 s rungs survive and 90 s rungs die at 60 s.
    for (let i = 0; i < 3; i++) {
      const l30 = { ...tiny, profile: 'ladder/30s', profileKind: 'ladder' as const, gapMs: 30_000 };
      const l90 = { ...tiny, profile: 'ladder/90s', profileKind: 'ladder' as const, gapMs: 90_000 };
      one.push(opened(`l30-${i}-aaaa`, { path: l30 }, at(i * 1000)));
      one.push(ended(`l30-${i}-aaaa`, 30_010, { path: l30, endKind: 'probe_closed', closeReason: 'ladder: survived 30s idle' }, at(i * 1000)));
      one.push(opened(`l90-${i}-aaaa`, { path: l90 }, at(i * 1000)));
      one.push(ended(`l90-${i}-aaaa`, 60_000, { path: l90 }, at(i * 1000)));
    }
    // other/direct from edge-2: one still open, one closed at 50 s.
    two.push(opened('oth-live-aaaa', { path: other }, at(0)));
    two.push(opened('oth-done-aaaa', { path: other }, at(0)));
    two.push(ended('oth-done-aaaa', 50_000, { path: other, endKind: 'probe_closed' }, at(0)));
    // Outside the range: must not count.
    two.push(opened('old-aaaaaaaa', {}, at(-5 * 3_600_000)));
    two.push(ended('old-aaaaaaaa', 1000, {}, at(-5 * 3_600_000)));
    await storeBatch(database.db, e1.id, one, NOW);
    await storeBatch(database.db, e2.id, two, NOW);
  });
  afterAll(() => database.close());

  it('computes each cell of targets × proxies', async () => {
    const m = await pathsMatrix(database.db, scope, { byProbe: false, now: NOW });
    expect(m.targets).toEqual(['canary', 'other']);
    expect(m.proxies).toEqual(['direct', 'squid', 'tiny']);
    const cell = (t: string, p: string) => m.cells.find((c) => c.target === t && c.proxy === p)!;
    expect(m.medianLifetimeRelativeError).toBe(MEDIAN_LIFETIME_RELATIVE_ERROR);
    expect(cell('canary', 'direct')).toMatchObject({ attempts: 10, opened: 10, upgradeRatio: 1, ended: 10, drops: 0, dropShare: 0, health: 'healthy', probe: null });
    expectMedian(cell('canary', 'direct').medianLifetimeMs, 330_000);
    expect(cell('canary', 'squid')).toMatchObject({ attempts: 4, opened: 3, upgradeRatio: 0.75, ended: 3, drops: 2, health: 'failing' });
    expectMedian(cell('canary', 'squid').medianLifetimeMs, 20_000);
    expect(cell('canary', 'squid').dropShare).toBeCloseTo(2 / 3);
    // Per hour of data, not of the 3 h range: the squid path had data from its first attempt
    // (at 0) to its last end (sq-2: attempted at 3 s, ended 5 ms + 30 s later).
    expect(cell('canary', 'squid').dataMs).toBe(33_005);
    expect(cell('canary', 'squid').dropsPerHour).toBeCloseTo((2 * 3_600_000) / 33_005);
    // The path's own median life is its drops' (both cut at 20 s); the probe closed one.
    expectMedian(cell('canary', 'squid').medianDropLifetimeMs, 20_000);
    expect(cell('canary', 'squid').probeClosed).toBe(1);
    // Every session of canary/direct was closed by the probe: no life of the path's own.
    expect(cell('canary', 'direct')).toMatchObject({ medianDropLifetimeMs: null, probeClosed: 10 });
    // other/direct has a session still open at the range's end: data up to the end.
    expect(cell('other', 'direct').dataMs).toBe(scope.to.getTime() - T0.getTime());
    expect(cell('other', 'direct')).toMatchObject({ attempts: 2, opened: 2, ended: 1, drops: 0, health: 'healthy' });
    expectMedian(cell('other', 'direct').medianLifetimeMs, 50_000);
    expect(cell('canary', 'squid').id).toBe('canary~squid');
  });

  it('splits by probe, and filters by probe and label', async () => {
    const m = await pathsMatrix(database.db, scope, { byProbe: true, now: NOW });
    expect(m.probes).toEqual(['edge-1', 'edge-2']);
    const direct = m.cells.filter((c) => c.target === 'canary' && c.proxy === 'direct');
    expect(direct.map((c) => [c.probe, c.attempts])).toEqual([['edge-1', 6], ['edge-2', 4]]);
    expectMedian(direct[0]!.medianLifetimeMs, 210_000);
    expectMedian(direct[1]!.medianLifetimeMs, 510_000);
    const us = await pathsMatrix(database.db, { ...scope, label: { key: 'region', value: 'us' } }, { byProbe: false, now: NOW });
    expect(us.cells.map((c) => c.id)).toEqual(['canary~direct', 'other~direct']);
    const e1 = await pathsMatrix(database.db, { ...scope, probe: 'edge-1', proxy: 'squid' }, { byProbe: false, now: NOW });
    expect(e1.cells.map((c) => c.id)).toEqual(['canary~squid']);
  });

  it('gives no rate, not 0/h, for drops without time with data', async () => {
    // An end reported without its open, at the instant of its attempt: a drop, and no time with data.
    const base = at(-8 * 3_600_000);
    const id = (await addProbe(database.db, { name: 'edge-instant', labels: {} })).probe.id;
    await storeBatch(database.db, id, [ended('inst-aaaaaaaa', 0, { path: path({ target: 'instant' }), endedAt: base.toISOString() }, base)], NOW);
    const m = await pathsMatrix(database.db, { from: at(-9 * 3_600_000), to: at(-7 * 3_600_000), target: 'instant' }, { byProbe: false, now: NOW });
    expect(m.cells).toHaveLength(1);
    expect(m.cells[0]).toMatchObject({ drops: 1, dataMs: 0, dropsPerHour: null });
  });

  it('is empty for a range without sessions', async () => {
    const m = await pathsMatrix(database.db, { from: at(10 * 3_600_000), to: at(11 * 3_600_000) }, { byProbe: false, now: NOW });
    expect(m).toMatchObject({ cells: [], targets: [], proxies: [] });
  });

  it('knows which paths exist', async () => {
    expect(await pathExists(database.db, { target: 'canary', proxy: 'squid' })).toBe(true);
    expect(await pathExists(database.db, { target: 'canary', proxy: 'nope' })).toBe(false);
  });

  it('builds the path page: timeline, egress changes, phases, sessions with the target view', async () => {
    const d = await pathDetail(database.db, { target: 'canary', proxy: 'direct' }, scope, NOW);
    expect(d.summary).toMatchObject({ attempts: 10 });
    expectMedian(d.summary!.medianLifetimeMs, 330_000);
    expect(d.medianLifetimeRelativeError).toBe(MEDIAN_LIFETIME_RELATIVE_ERROR);
    expect(d.timeline.total).toBe(10);
    expect(d.timeline.sessions.map((b) => b.id)).toEqual(Array.from({ length: 10 }, (_, i) => `dir-${9 - i}-aaaa`));
    expect(d.egressChanges).toEqual([{ at: at(3 * 60_000 + 5).toISOString(), probe: 'edge-1', previous: '198.51.100.1', address: '198.51.100.2' }]);
    const tcp = d.phases.find((p) => p.phase === 'tcp')!;
    expect(tcp.count).toBe(10);
    expect(tcp.p50Ms).toBeCloseTo(5.5);
    expect(tcp.p95Ms).toBeCloseTo(9.55);
    expect(d.phases.find((p) => p.phase === 'tls')).toEqual({ phase: 'tls', count: 0, p50Ms: null, p95Ms: null });
    expect(d.sessions).toHaveLength(10);
    expect(d.sessions[0]).toMatchObject({ id: 'dir-9-aaaa', probeName: 'edge-2', closeCode: 1000, endKind: 'probe_closed', targetView: null });

    const sq = await pathDetail(database.db, { target: 'canary', proxy: 'squid' }, scope, NOW);
    expect(sq.sessions.find((x) => x.id === 'sq-0-aaaaaa')!.targetView).toMatchObject({ peerAddress: '203.0.113.9', endKind: 'tcp_fin', closeFrameReceived: false });
    expect(sq.sessions.find((x) => x.id === 'sq-refused-a')).toMatchObject({ outcome: 'upgrade_refused', httpStatus: 426 });
    // The refused attempt never opened: not on the timeline.
    expect(sq.timeline.total).toBe(3);
    expect(sq.phases.find((p) => p.phase === 'proxy')).toMatchObject({ count: 1, p50Ms: 4 });
  });

  it('puts the sessions opened before the range and still open in it after those opened in it, latest first', async () => {
    // dir-i opens at i min and lives i + 1 min. From 2.5 min on: dir-0 (ended at 1 min) is
    // not open in the range; dir-1 and dir-2 opened before it and were still open.
    const later = { from: at(150_000), to: scope.to };
    const d = await pathDetail(database.db, { target: 'canary', proxy: 'direct' }, later, NOW);
    expect(d.timeline.sessions.map((b) => b.id)).toEqual(Array.from({ length: 9 }, (_, i) => `dir-${9 - i}-aaaa`));
    expect(d.timeline.total).toBe(9);
  });

  it('reads RTT p50/p95 back from merged minute buckets, in at most 200 points', async () => {
    const d = await pathDetail(database.db, { target: 'canary', proxy: 'squid' }, scope, NOW);
    expect(d.rtt.bucketMs).toBe(60_000);
    expect(d.rtt.points.reduce((n, p) => n + p.count, 0)).toBe(20);
    expect(d.rtt.points.length).toBeGreaterThanOrEqual(1);
    for (const point of d.rtt.points) expect(Date.parse(point.at) % 60_000).toBe(0);
    // A range that starts mid-minute (as "last 15 minutes" does): the point of the minute
    // 12:00 is dated 12:00, not at the range's start (11:59:29.5) with the label 11:59.
    const midMinute = await pathDetail(database.db, { target: 'canary', proxy: 'squid' }, { from: at(-30_500), to: scope.to }, NOW);
    expect(midMinute.rtt.points.map((p) => [p.at, p.count])).toEqual([[T0.toISOString(), 20]]);
    // 30 days: one point holds every minute; the merged buckets give the quantiles.
    const wide = await pathDetail(database.db, { target: 'canary', proxy: 'squid' }, { from: at(-29 * 86_400_000), to: at(86_400_000) }, NOW);
    expect(wide.rtt.bucketMs).toBe(216 * 60_000);
    expect(wide.rtt.points).toHaveLength(1);
    const [p] = wide.rtt.points;
    expect(p!.count).toBe(20);
    expect(p!.maxMs).toBe(200);
    expect(Math.abs(p!.p50Ms! - 10) / 10).toBeLessThan(0.1);
    expect(p!.p95Ms!).toBeGreaterThan(10);
    expect(p!.p95Ms!).toBeLessThanOrEqual(200);
  });

  it('marks an open session of a probe silent for three heartbeats as probeSilent, and only that one', async () => {
    const fresh = await pathDetail(database.db, { target: 'other', proxy: 'direct' }, scope, NOW);
    expect(fresh.sessions.map((x) => [x.id, x.probeSilent])).toEqual(expect.arrayContaining([['oth-live-aaaa', false], ['oth-done-aaaa', false]]));
    // An hour later, nothing heard from edge-2: its open canary is unknown; the ended one is not.
    const later = await pathDetail(database.db, { target: 'other', proxy: 'direct' }, scope, at(3 * 3_600_000));
    expect(later.sessions.find((x) => x.id === 'oth-live-aaaa')!.probeSilent).toBe(true);
    expect(later.sessions.find((x) => x.id === 'oth-done-aaaa')!.probeSilent).toBe(false);
  });

  it('reports the ladder on its path', async () => {
    const d = await pathDetail(database.db, { target: 'canary', proxy: 'tiny' }, scope, NOW);
    expect(d.ladder.rungs).toEqual([
      { probe: 'edge-1', target: 'canary', proxy: 'tiny', gapMs: 30_000, survived: 3, died: 0 },
      { probe: 'edge-1', target: 'canary', proxy: 'tiny', gapMs: 90_000, survived: 0, died: 3 },
    ]);
    expect(d.ladder.findings[0]!.title).toBe('edge-1 → tiny → canary: survives 30 s idle, dies by 90 s');
  });
});

describe('path ids', () => {
  it('round-trips names with ~, / and spaces, and refuses malformed ids', () => {
    const key = { target: 'app ~ eu/1', proxy: 'socks%5' };
    expect(parsePathId(pathId(key))).toEqual(key);
    expect(parsePathId('a~b')).toEqual({ target: 'a', proxy: 'b' });
    for (const bad of ['ab', 'a~b~c', '~b', 'a~', '%E0%A4%A~b', `${'x'.repeat(129)}~b`]) expect(parsePathId(bad)).toBeNull();
  });
});
