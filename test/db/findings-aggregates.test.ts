/**
 * The findings' aggregates (migration 0015; db/queries/finding-*.ts): every finding read
 * with sealed hours equals the one the rows alone give (test/db/findings-raw.ts, the
 * statements as they were before the aggregates), before any seal, with some hours
 * sealed and others not, with all sealed, and after late writes into sealed hours (a late
 * end, a late opening with another address near a sealed drop, a later refusal, RTT
 * samples added to a sealed minute) until and after they are sealed again; for scopes on
 * and off the hour and every filter. The seeded fleet plants what hour-wise reads can get
 * wrong: drops exactly on a minute and in the first minutes of an hour (their "5 minutes
 * before" reach into the hour before), openings within 5 s of a drop across an hour's
 * end, sessions opened before the scope or ending hours after it, silent deaths with
 * repeated, missing and never-answered quiet times, refusals tied on attempted_at.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import type { AnalysisScope } from '../../db/queries/analysis';
import { FINDINGS_AGGREGATES, egressStats, ladderRungs, refusalGroups, rttBeforeDrops, silentGroups } from '../../db/queries/findings';
import { storeBatch } from '../../db/queries/ingest';
import { addProbe } from '../../db/queries/probes';
import { sealReportBins } from '../../db/queries/report-bins';
import { sealAggregate } from '../../db/queries/sealed-aggregate';
import { rowsOf } from '../../db/queries/scope';
import type { EndKind, IngestEvent, PathDescriptor, SessionEnded } from '../../lib/contracts/ingest';
import { backends } from '../helpers/databases';
import { ended, failed, opened, path } from '../helpers/events';
import { rng } from '../lib/analysis/synthetic';
import * as raw from './findings-raw';

const MIN = 60_000;
const HOUR = 60 * MIN;
const BASE = Date.parse('2026-11-20T00:00:00.000Z');
const at = (ms: number) => new Date(BASE + ms);
const iso = (ms: number) => at(ms).toISOString();
const LATER = at(30 * HOUR);

const PROBES: [string, string][] = [
  ['edge-a', 'eu'],
  ['edge-b', 'us'],
  ['edge-c', 'eu'],
];
const PROXIES = [
  { name: 'rot', kind: 'socks5' as const },
  { name: 'pool', kind: 'http' as const },
  { name: 'sticky', kind: 'http' as const },
  { name: 'direct', kind: 'direct' as const },
];
const PROFILES: { profile: string; profileKind?: 'heartbeat' | 'ladder'; gapMs?: number }[] = [
  { profile: 'idle' },
  { profile: 'hb', profileKind: 'heartbeat' },
  { profile: 'ladder-30', profileKind: 'ladder', gapMs: 30_000 },
  { profile: 'ladder-90', profileKind: 'ladder', gapMs: 90_000 },
];
const ENDS: EndKind[] = ['tcp_reset', 'tcp_fin', 'close_frame', 'pong_timeout', 'probe_closed'];

/** Six hours of a fleet of three probes, and the planted edge cases; per probe. */
function fleet(seed: number): Map<string, IngestEvent[]> {
  const r = rng(seed);
  const pick = <T,>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const out = new Map<string, IngestEvent[]>(PROBES.map(([p]) => [p, []]));
  // No two openings of a probe × proxy at one instant: the order of their addresses would be the plan's.
  const used = new Set<string>();
  const openAt = (probe: string, proxy: string, ms: number) => {
    let t = ms;
    while (used.has(`${probe}|${proxy}|${t}`)) t += 1;
    used.add(`${probe}|${proxy}|${t}`);
    return t;
  };
  const egressOf = (proxy: string, t: number) =>
    proxy === 'rot' ? `198.51.100.${1 + (Math.floor(t / (20 * MIN)) % 7)}` : proxy === 'pool' ? pick(['192.0.2.1', '192.0.2.2']) : proxy === 'sticky' ? '203.0.113.9' : '203.0.113.1';
  const session = (id: string, probe: string, p: PathDescriptor, openedMs: number, egress: string | undefined, end: { at: number; kind: EndKind; over?: Partial<SessionEnded> } | null) => {
    const events = out.get(probe)!;
    events.push(opened(id, { path: p, attemptedAt: iso(openedMs - 5), openedAt: iso(openedMs), ...(egress && { egressAddress: egress }) }));
    if (end) events.push(ended(id, Math.max(1, end.at - openedMs), { path: p, attemptedAt: iso(openedMs - 5), endedAt: iso(end.at), endKind: end.kind, ...end.over }));
  };
  for (let i = 0; i < 900; i++) {
    const [probe] = pick(PROBES);
    const proxy = pick(PROXIES);
    const prof = pick(PROFILES);
    const target = r() < 0.8 ? 'api' : 'chat';
    const p: PathDescriptor = { ...path({ target, proxy: proxy.name, kind: proxy.kind, profile: prof.profile }), ...(prof.profileKind && { profileKind: prof.profileKind }), ...(prof.gapMs && { gapMs: prof.gapMs }) };
    const openedMs = openAt(probe, proxy.name, -20 * MIN + Math.floor(r() * 6 * HOUR));
    const egress = r() < 0.06 ? undefined : egressOf(proxy.name, openedMs);
    const u = r();
    if (u < 0.08) {
      session(`s-${i}`, probe, p, openedMs, egress, null);
      continue;
    }
    let endMs: number;
    if (u < 0.3) {
      // On a whole minute, a millisecond off one, or in the first minutes of an hour.
      const m = Math.floor(openedMs / MIN) + 1 + Math.floor(r() * 30);
      endMs = m * MIN + pick([0, 0, 1, -1, 1500]);
    } else if (proxy.name === 'rot' && u < 0.5) {
      // Around the next rotation, some exactly 5 s from it.
      endMs = (Math.floor(openedMs / (20 * MIN)) + 1) * 20 * MIN + pick([-5000, 5000, -5001, 5001, Math.floor(r() * 14_000) - 7000]);
    } else {
      endMs = openedMs + Math.floor(r() * (u < 0.9 ? 20 * MIN : 3 * HOUR));
    }
    if (endMs <= openedMs) endMs = openedMs + 1;
    const kind = pick(ENDS);
    const over: Partial<SessionEnded> = {};
    if (kind === 'pong_timeout') {
      const quiet = pick([3000, 3000, 3000.125, 45_000, 45_000.5, undefined, 'never'] as const);
      if (quiet === 'never') over.sinceLastRecvMs = endMs - openedMs + 10;
      else if (quiet === undefined) over.sinceLastRecvMs = undefined;
      else over.sinceLastRecvMs = quiet;
    }
    if (kind === 'probe_closed' && prof.profileKind === 'ladder' && r() < 0.7) over.closeReason = `ladder: survived ${prof.gapMs! / 1000}s idle`;
    if (kind === 'close_frame') over.closeCode = pick([1006, 1001, 4000, 1011]);
    session(`s-${i}`, probe, p, openedMs, egress, { at: endMs, kind, over });
  }
  // Drops near an address change across the end of an hour: a drop at 02:59:58 on the rotating
  // proxy of edge-b and an opening with another address at 03:00:02; a sticky one at 03:59:57.5
  // near an opening with another address exactly 5 s later, and one at 04:59:59 whose
  // opening 5.001 s later is not near.
  const rot = path({ proxy: 'rot', kind: 'socks5' });
  const sticky = path({ proxy: 'sticky', kind: 'http' });
  session('edge-1', 'edge-b', rot, openAt('edge-b', 'rot', 2 * HOUR + 30 * MIN), '10.0.0.1', { at: 3 * HOUR - 2000, kind: 'tcp_reset' });
  session('edge-2', 'edge-b', rot, openAt('edge-b', 'rot', 3 * HOUR + 2000), '10.0.0.2', { at: 3 * HOUR + 40 * MIN, kind: 'tcp_fin' });
  session('edge-3', 'edge-b', sticky, openAt('edge-b', 'sticky', 3 * HOUR + 10 * MIN), '10.1.0.1', { at: 4 * HOUR - 2500, kind: 'tcp_reset' });
  session('edge-4', 'edge-b', sticky, openAt('edge-b', 'sticky', 4 * HOUR + 2500), '10.1.0.2', null);
  session('edge-5', 'edge-b', sticky, openAt('edge-b', 'sticky', 4 * HOUR + 10 * MIN), '10.1.0.1', { at: 5 * HOUR - 1000, kind: 'tcp_reset' });
  session('edge-6', 'edge-b', sticky, openAt('edge-b', 'sticky', 5 * HOUR + 4001), '10.1.0.3', null);
  // Drops exactly on an hour, a minute after one, and in minute 4 (their RTT minutes lie in the hour before).
  const api = path({ target: 'api' });
  session('edge-7', 'edge-a', api, openAt('edge-a', 'direct', 90 * MIN), '203.0.113.1', { at: 2 * HOUR, kind: 'tcp_fin' });
  session('edge-8', 'edge-a', api, openAt('edge-a', 'direct', 150 * MIN), '203.0.113.1', { at: 3 * HOUR + MIN, kind: 'tcp_fin' });
  session('edge-9', 'edge-c', api, openAt('edge-c', 'direct', 210 * MIN), '203.0.113.1', { at: 4 * HOUR + 4 * MIN + 30_000, kind: 'tcp_reset' });
  // Refusals, some tied on attempted_at (the id decides the latest), some just outside the scopes.
  for (let i = 0; i < 160; i++) {
    const [probe] = pick(PROBES);
    const proxy = pick(PROXIES);
    const kind = pick(['upgrade_refused', 'proxy_refused', 'dial_failed'] as const);
    const attempted = i % 9 === 0 ? 2 * HOUR + 7 * MIN : -10 * MIN + Math.floor(r() * 6 * HOUR);
    out.get(probe)!.push(
      failed(`f-${String(i).padStart(3, '0')}`, {
        path: path({ target: pick(['api', 'chat']), proxy: proxy.name, kind: proxy.kind, profile: pick(PROFILES).profile }),
        attemptedAt: iso(attempted),
        failedAt: iso(attempted + 30),
        outcome: kind,
        httpStatus: kind === 'upgrade_refused' ? pick([403, 426, 502]) : undefined,
        proxyReply: kind === 'proxy_refused' ? pick(['HTTP/1.1 403 Forbidden', 'NotAllowed']) : undefined,
        errorCode: kind === 'dial_failed' ? pick(['ECONNREFUSED', 'ETIMEDOUT']) : undefined,
        errorMessage: r() < 0.5 ? `message ${i}` : undefined,
        responseHeaders: kind === 'upgrade_refused' && r() < 0.7 ? { server: pick(['nginx', 'squid/5.7']), ...(r() < 0.5 && { via: `1.1 hop-${i}` }) } : undefined,
        bodyExcerpt: r() < 0.5 ? `page ${i}` : undefined,
      }),
    );
  }
  // RTT: per probe and path, bursts from 20 min before the first hour to the end.
  let n = 0;
  for (const [probe] of PROBES) {
    for (const target of ['api', 'chat']) {
      for (const proxy of PROXIES) {
        for (let k = 0; k < 10; k++) {
          const start = -20 * MIN + Math.floor(r() * 6 * HOUR);
          const level = 5 + r() * 300;
          out.get(probe)!.push({
            type: 'rtt.samples',
            id: `rtt-${n}`,
            sessionId: `rtt-${n++}`,
            path: path({ target, proxy: proxy.name, kind: proxy.kind }),
            samples: Array.from({ length: 40 }, (_, j) => ({ at: iso(start + j * 9000), rttMs: Math.round(level + r() * 20) + (j % 4) / 8 })),
          });
        }
      }
    }
  }
  return out;
}

const SCOPES: [string, AnalysisScope][] = [
  ['the whole fleet', { from: at(-HOUR), to: at(8 * HOUR) }],
  ['edges inside hours', { from: at(HOUR + 17 * MIN + 123), to: at(4 * HOUR + 3 * MIN + 7) }],
  ['whole hours', { from: at(2 * HOUR), to: at(5 * HOUR) }],
  ['one hour edge to edge', { from: at(3 * HOUR + 30 * MIN), to: at(3 * HOUR + 50 * MIN) }],
  ['a probe', { from: at(30 * MIN), to: at(6 * HOUR), probe: 'edge-b' }],
  ['a label', { from: at(30 * MIN), to: at(6 * HOUR), label: { key: 'region', value: 'eu' } }],
  ['a target', { from: at(30 * MIN), to: at(6 * HOUR), target: 'chat' }],
  ['a proxy', { from: at(0), to: at(6 * HOUR + 1), proxy: 'rot' }],
  ['a profile', { from: at(0), to: at(6 * HOUR), profile: 'ladder-30' }],
  ['a target and a profile', { from: at(45 * MIN), to: at(5 * HOUR), target: 'api', profile: 'idle' }],
];

type Finding = 'refusalGroups' | 'silentGroups' | 'ladderRungs' | 'egressStats' | 'rttBeforeDrops';
const NEW = { refusalGroups, silentGroups, ladderRungs, egressStats, rttBeforeDrops };

/** A finding's rows in a stable order, RTT means apart: they are float sums taken in another order. */
function comparable(name: Finding, rows: readonly object[]): { exact: unknown[]; means: number[] } {
  const sorted = [...rows].map((r) => ({ ...r })).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  if (name === 'ladderRungs') return { exact: [...rows], means: [] }; // ordered by the statement
  if (name !== 'rttBeforeDrops') return { exact: sorted, means: [] };
  const rtt = sorted as { baselineMs: number; beforeMs: number }[];
  const strip = rtt.map(({ baselineMs, beforeMs, ...rest }) => rest).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  const key = (x: object) => JSON.stringify(Object.values(x).slice(0, 2));
  const byKey = [...rtt].sort((a, b) => (key(a) < key(b) ? -1 : 1));
  return { exact: strip, means: byKey.flatMap((r) => [r.baselineMs, r.beforeMs]) };
}

describe.each(backends())('findings aggregates on $name', (backend) => {
  let database: Database;
  const probeIds = new Map<string, number>();
  const count = async (table: string) => Number(rowsOf<{ n: string | number }>(await database.db.execute(sql`select count(*) as n from ${sql.identifier(table)}`))[0]!.n);
  const dirtyLeft = async () => {
    let n = 0;
    for (const a of FINDINGS_AGGREGATES) n += await count(`${a.name}_dirty`);
    return n;
  };

  /** Every finding over every scope, read both ways, equal. */
  async function expectEqualToRows(): Promise<void> {
    for (const [label, scope] of SCOPES) {
      for (const name of Object.keys(NEW) as Finding[]) {
        const [got, want] = await Promise.all([NEW[name](database.db, scope), raw[name](database.db, scope)]);
        const g = comparable(name, got);
        const w = comparable(name, want);
        expect(g.exact, `${name} over ${label}`).toEqual(w.exact);
        expect(g.means.length).toBe(w.means.length);
        g.means.forEach((m, i) => expect(Math.abs(m - w.means[i]!), `${name} over ${label}`).toBeLessThanOrEqual(1e-9 * Math.abs(w.means[i]!)));
      }
    }
  }

  beforeAll(async () => {
    database = await backend.open();
    for (const [name, region] of PROBES) probeIds.set(name, (await addProbe(database.db, { name, labels: { region } })).probe.id);
    for (const [probe, events] of fleet(20261206)) {
      for (let i = 0; i < events.length; i += 400) await storeBatch(database.db, probeIds.get(probe)!, events.slice(i, i + 400), LATER);
    }
  }, 180_000);
  afterAll(() => database?.close());

  it('seeds what the edge cases need', async () => {
    const scope = SCOPES[0]![1];
    const [refusals, silent, rungs, egress, rtt] = await Promise.all([
      raw.refusalGroups(database.db, scope),
      raw.silentGroups(database.db, scope),
      raw.ladderRungs(database.db, scope),
      raw.egressStats(database.db, scope),
      raw.rttBeforeDrops(database.db, scope),
    ]);
    expect(refusals.length).toBeGreaterThan(15);
    expect(silent.some((g) => (g.neverAnswered ?? 0) > 0 && g.count % 2 === 0)).toBe(true);
    expect(rungs.some((r) => r.survived > 0) && rungs.some((r) => r.died > 0)).toBe(true);
    expect(egress.filter((e) => e.dropsNearChange > 0 && e.dropsNearChange < e.drops).length).toBeGreaterThanOrEqual(3);
    expect(egress.find((e) => e.probe === 'edge-b' && e.proxy === 'sticky')!.dropsNearChange).toBeGreaterThanOrEqual(1);
    expect(rtt.filter((x) => x.beforeSamples > 0 && x.beforeSamples < x.baselineSamples).length).toBeGreaterThanOrEqual(3);
  });

  it('answers as the rows do before any seal, with some hours sealed, and with all', async () => {
    expect(await dirtyLeft()).toBeGreaterThan(30);
    await expectEqualToRows();

    // A few pairs of each aggregate sealed, the rest dirty: hours from both sources side by side.
    for (const a of FINDINGS_AGGREGATES) await sealAggregate(database.db, a, { now: LATER, limit: 4 });
    expect(await dirtyLeft()).toBeGreaterThan(0);
    await expectEqualToRows();

    expect(await sealReportBins(database.db, { now: LATER, limit: 10_000 })).toMatchObject({ left: 0 });
    expect(await dirtyLeft()).toBe(0);
    for (const a of FINDINGS_AGGREGATES) expect(await count(a.name), a.name).toBeGreaterThan(0);
    await expectEqualToRows();
  });

  it('reads hours written after their seal from the rows until they are sealed again', async () => {
    const a = probeIds.get('edge-a')!;
    const b = probeIds.get('edge-b')!;
    const rot = path({ proxy: 'rot', kind: 'socks5' });
    const api = path({ target: 'api' });
    // A sealed drop of edge-b through rot: an opening with another address lands 4 s after its end.
    const [drop] = rowsOf<{ ended_at: string | Date; egress_address: string }>(
      await database.db.execute(sql`select ended_at, egress_address from canary_sessions where probe_id = ${b} and proxy_name = 'rot' and end_kind = 'tcp_reset'
        and egress_address is not null and ended_at >= ${iso(HOUR)}::timestamptz and ended_at < ${iso(4 * HOUR)}::timestamptz order by ended_at limit 1`),
    );
    const nearMs = new Date(drop!.ended_at).getTime() + 4000 - BASE;
    await storeBatch(database.db, b, [opened('late-near', { path: rot, attemptedAt: iso(nearMs - 5), openedAt: iso(nearMs), egressAddress: '10.9.9.9' })], LATER);
    // A late silent death and a late drop exactly on a minute in sealed hours; a later refusal; RTT added to a sealed minute.
    await storeBatch(
      database.db,
      a,
      [
        opened('late-silent', { path: api, attemptedAt: iso(2 * HOUR - 5), openedAt: iso(2 * HOUR), egressAddress: '203.0.113.1' }),
        ended('late-silent', 30_000, { path: api, attemptedAt: iso(2 * HOUR - 5), endedAt: iso(2 * HOUR + 30_000), endKind: 'pong_timeout', sinceLastRecvMs: 3000 }),
        opened('late-minute', { path: api, attemptedAt: iso(3 * HOUR - 5), openedAt: iso(3 * HOUR), egressAddress: '203.0.113.1' }),
        ended('late-minute', 20 * MIN, { path: api, attemptedAt: iso(3 * HOUR - 5), endedAt: iso(3 * HOUR + 20 * MIN), endKind: 'tcp_fin' }),
        failed('late-refusal', { path: api, attemptedAt: iso(2 * HOUR + 7 * MIN), outcome: 'upgrade_refused', httpStatus: 403, responseHeaders: { server: 'nginx', 'x-late': '1' } }),
        { type: 'rtt.samples', id: 'late-rtt', sessionId: 'late-rtt', path: api, samples: [{ at: iso(3 * HOUR + 17 * MIN + 1000), rttMs: 999.5 }] },
      ],
      LATER,
    );
    expect(await dirtyLeft()).toBeGreaterThanOrEqual(6);
    expect(await count('finding_egress_near_dirty')).toBeGreaterThan(0);
    expect(await count('rtt_hours_dirty')).toBe(1);
    await expectEqualToRows();

    expect(await sealReportBins(database.db, { now: LATER, limit: 10_000 })).toMatchObject({ left: 0 });
    expect(await dirtyLeft()).toBe(0);
    await expectEqualToRows();
  });
});
