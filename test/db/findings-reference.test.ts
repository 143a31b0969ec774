/**
 * egressStats, rttBeforeDrops and refusalGroups against their definitions, computed in
 * memory from the rows the database holds, on a seeded mix with the edge cases a set-wise rewrite can get
 * wrong: drops exactly 5 s from an opening or 5 min after an RTT minute, sessions opened
 * before the scope or ending after it, an address pool that alternates, null addresses,
 * and scopes narrowed to a probe, proxy or target.
 */
import { eq, isNotNull, sql, type SQL } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import type { AnalysisScope } from '../../db/queries/analysis';
import { egressStats, refusalGroups, rttBeforeDrops } from '../../db/queries/findings';
import { storeBatch } from '../../db/queries/ingest';
import { addProbe } from '../../db/queries/probes';
import { canarySessions as s, probes, rttMinutes as rm } from '../../db/schema';
import type { EgressStat, RefusalGroup, RttBeforeDrops } from '../../lib/analysis/findings';
import type { EndKind, IngestEvent } from '../../lib/contracts/ingest';
import { backends } from '../helpers/databases';
import { ended, failed, opened, path } from '../helpers/events';
import { rng } from '../lib/analysis/synthetic';

const MIN = 60_000;
const BASE = Date.parse('2026-11-10T00:00:00.000Z');
const FROM = new Date(BASE);
const TO = new Date(BASE + 60 * MIN);
const PROBES = ['edge-a', 'edge-b'];
const TARGETS = ['api', 'chat'];
const PROXIES = [
  { name: 'rot', kind: 'socks5' as const },
  { name: 'pool', kind: 'http' as const },
  { name: 'direct', kind: 'direct' as const },
];
const ENDS: EndKind[] = ['tcp_reset', 'tcp_fin', 'close_frame', 'pong_timeout', 'probe_closed'];
const iso = (ms: number) => new Date(ms).toISOString();

interface SessionRow {
  probe: string;
  target: string;
  proxy: string;
  egress: string | null;
  openedAt: number;
  endedAt: number | null;
  endKind: string | null;
}
interface AttemptRow {
  id: string;
  probe: string;
  target: string;
  proxy: string;
  attemptedAt: number;
  outcome: string | null;
  httpStatus: number | null;
  proxyReply: string | null;
  errorCode: string | null;
  server: string | null;
  headers: Record<string, string> | null;
  errorMessage: string | null;
  bodyExcerpt: string | null;
}
interface RttRow {
  probe: string;
  minute: number;
  target: string;
  proxy: string;
  count: number;
  sumMs: number;
}

/** The seeded mix: per probe, its sessions' and RTT samples' events. */
function mix(seed: number): Map<string, IngestEvent[]> {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const out = new Map<string, IngestEvent[]>(PROBES.map((p) => [p, []]));
  const usedOpen = new Set<number>([BASE + 30 * MIN, BASE + 40 * MIN + 5000, BASE + 44 * MIN, BASE + 46 * MIN - 5001, BASE + 100, BASE - 4000, BASE + 60 * MIN - 2000, BASE + 60 * MIN + 7000]);
  for (let i = 0; i < 700; i++) {
    const probe = pick(PROBES);
    // Few sessions to chat, so that its drops leave minutes uncovered by "5 minutes before a drop".
    const target = r() < 0.93 ? 'api' : 'chat';
    const proxy = pick(PROXIES);
    const p = { ...path({ target, proxy: proxy.name, kind: proxy.kind }) };
    // Opened from 10 min before the scope to 5 min after it, never twice at the same instant
    // (lag() over opened_at is only defined without ties).
    let openedAt = BASE - 10 * MIN + Math.floor(r() * 75 * MIN);
    while (usedOpen.has(openedAt)) openedAt += 1;
    usedOpen.add(openedAt);
    // The rotating proxy changes address every 3 min; the pool hands out one of two.
    const egress =
      r() < 0.08 ? undefined : proxy.name === 'rot' ? `198.51.100.${1 + (Math.floor(openedAt / (3 * MIN)) % 50)}` : proxy.name === 'pool' ? pick(['192.0.2.1', '192.0.2.2']) : '203.0.113.1';
    const sessionId = `s-${seed}-${String(i).padStart(5, '0')}`;
    const events = out.get(probe)!;
    events.push(opened(sessionId, { path: p, attemptedAt: iso(openedAt - 5), openedAt: iso(openedAt), ...(egress && { egressAddress: egress }) }));
    const u = r();
    if (u < 0.08) continue; // still open
    let endedAt: number;
    if (proxy.name === 'rot' && u < 0.45) {
      // Around the next rotation, some exactly 5 s after it.
      const change = (Math.floor(openedAt / (3 * MIN)) + 1) * 3 * MIN;
      endedAt = change + pick([-5000, 5000, -5001, 5001, Math.floor(r() * 14_000) - 7000]);
    } else if (target === 'chat' ? u < 0.6 : u < 0.7) {
      // On a whole minute or a millisecond off one: the edges of "the 5 minutes before a drop".
      endedAt = (Math.floor(openedAt / MIN) + 2 + Math.floor(r() * 10)) * MIN + pick([0, 0, 1, -1]);
    } else if (u < 0.75) {
      endedAt = openedAt + 500 + Math.floor(r() * 8000);
    } else {
      endedAt = openedAt + Math.floor(r() * 40 * MIN);
    }
    if (endedAt <= openedAt) endedAt = openedAt + 1;
    events.push(ended(sessionId, endedAt - openedAt, { path: p, attemptedAt: iso(openedAt - 5), endedAt: iso(endedAt), endKind: pick(ENDS) }));
  }
  // Refused and failed attempts, some just outside the scope.
  for (let i = 0; i < 120; i++) {
    const target = pick(TARGETS);
    const proxy = pick(PROXIES);
    const attemptedAt = BASE - 5 * MIN + Math.floor(r() * 70 * MIN);
    const kind = pick(['upgrade_refused', 'proxy_refused', 'dial_failed'] as const);
    out.get(pick(PROBES))!.push(
      failed(`f-${seed}-${i}`, {
        path: path({ target, proxy: proxy.name, kind: proxy.kind }),
        attemptedAt: iso(attemptedAt),
        failedAt: iso(attemptedAt + 30),
        outcome: kind,
        httpStatus: kind === 'upgrade_refused' ? pick([403, 426, 502]) : undefined,
        proxyReply: kind === 'proxy_refused' ? pick(['HTTP/1.1 403 Forbidden', 'NotAllowed']) : undefined,
        errorCode: kind === 'dial_failed' ? pick(['ECONNREFUSED', 'ETIMEDOUT']) : undefined,
        errorMessage: r() < 0.5 ? `message ${i}` : undefined,
        // Same Server, other headers: one group whose latest attempt decides the evidence.
        responseHeaders: kind === 'upgrade_refused' && r() < 0.7 ? { server: pick(['nginx', 'squid/5.7']), ...(r() < 0.5 && { via: `1.1 hop-${i}` }) } : undefined,
        bodyExcerpt: r() < 0.5 ? `page ${i}` : undefined,
      }),
    );
  }
  // Openings exactly 5 s and 5.001 s from a drop, and just outside the scope on either side.
  const rot = path({ proxy: 'rot', kind: 'socks5' });
  const edges: [number, number | null, string][] = [
    [BASE + 30 * MIN, BASE + 40 * MIN, '10.0.0.1'],
    [BASE + 40 * MIN + 5000, null, '10.0.0.2'],
    [BASE + 44 * MIN, BASE + 46 * MIN, '10.0.0.3'],
    [BASE + 46 * MIN - 5001, BASE + 49 * MIN, '10.0.0.4'],
    [BASE + 100, BASE + 1000, '10.0.0.5'],
    [BASE - 4000, BASE + 20 * MIN, '10.0.0.6'],
    [BASE + 60 * MIN - 2000, BASE + 60 * MIN + 3000, '10.0.0.7'],
    [BASE + 60 * MIN + 7000, null, '10.0.0.8'],
  ];
  edges.forEach(([openedAt, endedAt, egressAddress], i) => {
    const sessionId = `edge-${seed}-${i}`;
    out.get('edge-b')!.push(opened(sessionId, { path: rot, attemptedAt: iso(openedAt - 5), openedAt: iso(openedAt), egressAddress }));
    if (endedAt !== null) out.get('edge-b')!.push(ended(sessionId, endedAt - openedAt, { path: rot, attemptedAt: iso(openedAt - 5), endedAt: iso(endedAt), endKind: 'tcp_reset' }));
  });
  // A sticky proxy: one address for every session of the scope, so only the openings just
  // past the scope (one 2 s after its end, one 3 s after a drop that ends half an hour later)
  // show that a drop ended near another address.
  const sticky = path({ proxy: 'sticky', kind: 'http' });
  const stickyEdges: [number, number | null, string][] = [
    [BASE + 10 * MIN, BASE + 12 * MIN, '10.1.0.1'],
    [BASE + 50 * MIN, BASE + 60 * MIN - 1000, '10.1.0.1'],
    [BASE + 60 * MIN + 2000, null, '10.1.0.2'],
    [BASE + 55 * MIN, BASE + 90 * MIN, '10.1.0.1'],
    [BASE + 90 * MIN + 3000, null, '10.1.0.3'],
  ];
  stickyEdges.forEach(([openedAt, endedAt, egressAddress], i) => {
    const sessionId = `sticky-${seed}-${i}`;
    out.get('edge-b')!.push(opened(sessionId, { path: sticky, attemptedAt: iso(openedAt - 5), openedAt: iso(openedAt), egressAddress }));
    if (endedAt !== null) out.get('edge-b')!.push(ended(sessionId, endedAt - openedAt, { path: sticky, attemptedAt: iso(openedAt - 5), endedAt: iso(endedAt), endKind: 'tcp_reset' }));
  });
  // RTT: per probe and path, bursts of samples from 20 min before the scope to 20 min after.
  let n = 0;
  for (const probe of PROBES) {
    for (const target of TARGETS) {
      for (const proxy of PROXIES) {
        for (let k = 0; k < 12; k++) {
          const start = BASE - 20 * MIN + Math.floor(r() * 100 * MIN);
          const level = 5 + r() * 300;
          out.get(probe)!.push({
            type: 'rtt.samples',
            id: `rtt-${seed}-${n}`,
            sessionId: `rtt-${seed}-${n++}`,
            path: path({ target, proxy: proxy.name, kind: proxy.kind }),
            samples: Array.from({ length: 30 }, (_, j) => ({ at: iso(start + j * 7000), rttMs: Math.round(level + r() * 20) })),
          });
        }
      }
    }
  }
  return out;
}

const dropped = (s: SessionRow) => s.endKind !== null && s.endKind !== 'probe_closed';

function inScope(s: { probe: string; target: string; proxy: string }, scope: AnalysisScope): boolean {
  return (!scope.probe || s.probe === scope.probe) && (!scope.proxy || s.proxy === scope.proxy) && (!scope.target || s.target === scope.target);
}

/** egressStats by its definition (see its TSDoc). */
function egressReference(all: readonly SessionRow[], scope: AnalysisScope): EgressStat[] {
  const e = all.filter((s) => s.egress !== null && s.openedAt >= scope.from.getTime() && s.openedAt < scope.to.getTime() && inScope(s, scope));
  const groups = new Map<string, SessionRow[]>();
  for (const s of e) groups.set(`${s.probe}|${s.proxy}`, [...(groups.get(`${s.probe}|${s.proxy}`) ?? []), s]);
  return [...groups.values()].map((rows) => {
    const sorted = [...rows].sort((a, b) => a.openedAt - b.openedAt);
    const { probe, proxy } = sorted[0]!;
    const drops = sorted.filter(dropped);
    return {
      probe,
      proxy,
      addresses: new Set(sorted.map((s) => s.egress)).size,
      changes: sorted.filter((s, i) => i > 0 && sorted[i - 1]!.egress !== s.egress).length,
      drops: drops.length,
      // Any session of the probe × proxy (in scope or not) that opened within 5 s of the drop with another address.
      dropsNearChange: drops.filter((d) =>
        all.some((c) => c.probe === d.probe && c.proxy === d.proxy && c.egress !== null && c.egress !== d.egress && Math.abs(c.openedAt - d.endedAt!) <= 5000),
      ).length,
    };
  });
}

/** refusalGroups by its definition: refusals by path, outcome, reason and Server, beside the path's attempts. */
function refusalReference(all: readonly AttemptRow[], scope: AnalysisScope): RefusalGroup[] {
  const attempts = all.filter((a) => a.outcome !== null && a.attemptedAt >= scope.from.getTime() && a.attemptedAt < scope.to.getTime() && inScope(a, scope));
  const reasonOf = (a: AttemptRow) => a.httpStatus?.toString() ?? a.proxyReply ?? a.errorCode ?? 'unknown';
  const groups = new Map<string, RefusalGroup & { latest: AttemptRow }>();
  // The latest attempt by time, then by id compared bytewise.
  const later = (a: AttemptRow, b: AttemptRow) => a.attemptedAt > b.attemptedAt || (a.attemptedAt === b.attemptedAt && Buffer.compare(Buffer.from(a.id), Buffer.from(b.id)) > 0);
  for (const a of attempts) {
    if (a.outcome === 'opened') continue;
    const key = JSON.stringify([a.target, a.proxy, a.outcome, reasonOf(a), a.server]);
    const g = groups.get(key) ?? { target: a.target, proxy: a.proxy, outcome: a.outcome as RefusalGroup['outcome'], reason: reasonOf(a), server: a.server, count: 0, attempts: 0, directCount: 0, latest: a };
    g.count += 1;
    if (later(a, g.latest)) g.latest = a;
    groups.set(key, g);
  }
  const list = [...groups.values()];
  return list.map(({ latest, ...g }) => ({
    ...g,
    headers: latest.headers ?? {},
    errorCode: latest.errorCode,
    errorMessage: latest.errorMessage,
    bodyExcerpt: latest.bodyExcerpt,
    attempts: attempts.filter((a) => a.target === g.target && a.proxy === g.proxy).length,
    directCount: list.filter((d) => d.proxy === 'direct' && d.target === g.target && d.reason === g.reason).reduce((n, d) => n + d.count, 0),
  }));
}

/** rttBeforeDrops by its definition (see its TSDoc). */
function rttReference(sessions: readonly SessionRow[], all: readonly RttRow[], scope: AnalysisScope): RttBeforeDrops[] {
  const from = scope.from.getTime();
  const to = scope.to.getTime();
  const drops = sessions.filter((s) => dropped(s) && s.endedAt! >= from && s.endedAt! < to && inScope(s, scope));
  const rtt = all.filter((r) => inScope(r, scope));
  const paths = new Map<string, { target: string; proxy: string }>();
  for (const r of rtt) if (r.minute >= from && r.minute < to) paths.set(`${r.target}|${r.proxy}`, { target: r.target, proxy: r.proxy });
  return [...paths.values()]
    .map(({ target, proxy }) => {
      const onPath = <T extends { target: string; proxy: string }>(x: T) => x.target === target && x.proxy === proxy;
      const base = rtt.filter((r) => onPath(r) && r.minute >= from && r.minute < to);
      const pathDrops = drops.filter(onPath);
      const before = rtt.filter((r) => onPath(r) && pathDrops.some((d) => r.minute >= d.endedAt! - 5 * MIN && r.minute <= d.endedAt!));
      const sum = (xs: RttRow[], f: (r: RttRow) => number) => xs.reduce((a, r) => a + f(r), 0);
      const beforeCount = sum(before, (r) => r.count);
      return {
        target,
        proxy,
        baselineMs: sum(base, (r) => r.sumMs) / sum(base, (r) => r.count),
        baselineSamples: sum(base, (r) => r.count),
        beforeMs: beforeCount ? sum(before, (r) => r.sumMs) / beforeCount : 0,
        beforeSamples: beforeCount,
        drops: pathDrops.length,
      };
    })
    .filter((r) => r.baselineSamples > 0);
}

const byKey = <T extends object>(xs: readonly T[]) => [...xs].sort((a, b) => JSON.stringify(Object.values(a).slice(0, 2)).localeCompare(JSON.stringify(Object.values(b).slice(0, 2))));

describe.each(backends())('findings statements against their definitions on $name', (backend) => {
  let database: Database;
  let sessions: SessionRow[];
  let rtt: RttRow[];
  let attempts: AttemptRow[];

  beforeAll(async () => {
    database = await backend.open();
    for (const [probe, events] of mix(7)) {
      const { probe: row } = await addProbe(database.db, { name: probe, labels: {} });
      for (let i = 0; i < events.length; i += 500) await storeBatch(database.db, row.id, events.slice(i, i + 500), new Date(BASE + 2 * 60 * MIN));
    }
    // The reference reads back what the database holds, so it tests the statements, not ingest.
    const epochMs = (c: SQL) => sql<number | null>`(extract(epoch from ${c}) * 1000)::float8`.mapWith((v) => (v === null ? null : Number(v)));
    sessions = (await database.db
      .select({ probe: probes.name, target: s.targetName, proxy: s.proxyName, egress: s.egressAddress, openedAt: epochMs(sql`${s.openedAt}`), endedAt: epochMs(sql`${s.endedAt}`), endKind: sql<string | null>`${s.endKind}::text` })
      .from(s)
      .innerJoin(probes, eq(probes.id, s.probeId))
      // Attempts that never opened have neither an opening nor an end: no part in these two.
      .where(isNotNull(s.openedAt))) as SessionRow[];
    attempts = (await database.db
      .select({
        id: s.id, probe: probes.name, target: s.targetName, proxy: s.proxyName, attemptedAt: epochMs(sql`${s.attemptedAt}`), outcome: sql<string | null>`${s.outcome}::text`,
        httpStatus: s.httpStatus, proxyReply: s.proxyReply, errorCode: s.errorCode, server: sql<string | null>`${s.responseHeaders}->>'server'`,
        headers: s.responseHeaders, errorMessage: s.errorMessage, bodyExcerpt: s.bodyExcerpt,
      })
      .from(s)
      .innerJoin(probes, eq(probes.id, s.probeId))) as AttemptRow[];
    rtt = (await database.db
      .select({ probe: probes.name, minute: epochMs(sql`${rm.minute}`), target: rm.targetName, proxy: rm.proxyName, count: rm.count, sumMs: rm.sumMs })
      .from(rm)
      .innerJoin(probes, eq(probes.id, rm.probeId))) as RttRow[];
  }, 60_000);
  afterAll(() => database.close());

  const scopes: [string, AnalysisScope][] = [
    ['the whole hour', { from: FROM, to: TO }],
    ['one probe', { from: FROM, to: TO, probe: 'edge-b' }],
    ['one proxy', { from: FROM, to: TO, proxy: 'rot' }],
    ['one target', { from: FROM, to: TO, target: 'chat' }],
    ['ten minutes', { from: new Date(BASE + 20 * MIN), to: new Date(BASE + 30 * MIN) }],
    ['whole quarter-hours and partial ones at both ends', { from: new Date(BASE + 7 * MIN + 1234), to: new Date(BASE + 52 * MIN) }],
  ];

  it('seeds what the edge cases need', () => {
    expect(sessions).toHaveLength(713);
    expect(new Set(refusalReference(attempts, { from: FROM, to: TO }).map((g) => `${g.outcome} ${g.reason} ${g.server}`)).size).toBeGreaterThanOrEqual(8);
    expect(sessions.filter((x) => x.endedAt === null).length).toBeGreaterThan(10);
    expect(sessions.filter((x) => x.egress === null).length).toBeGreaterThan(10);
    const stats = egressReference(sessions, { from: FROM, to: TO });
    expect(stats.filter((x) => x.dropsNearChange > 0 && x.dropsNearChange < x.drops).length).toBeGreaterThanOrEqual(4);
    expect(stats.find((x) => x.proxy === 'sticky')).toMatchObject({ addresses: 1, changes: 0, drops: 3, dropsNearChange: 2 });
    const before = rttReference(sessions, rtt, { from: FROM, to: TO });
    // Some paths' drops leave minutes out of "the 5 minutes before a drop", so the two means differ.
    expect(before.filter((x) => x.beforeSamples > 0 && x.beforeSamples < x.baselineSamples).length).toBeGreaterThanOrEqual(2);
  });

  it.each(scopes)('egressStats over %s', async (_label, scope) => {
    expect(byKey(await egressStats(database.db, scope))).toEqual(byKey(egressReference(sessions, scope)));
  });

  it.each(scopes)('refusalGroups over %s', async (_label, scope) => {
    const order = (xs: readonly RefusalGroup[]) => [...xs].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    expect(order(await refusalGroups(database.db, scope))).toEqual(order(refusalReference(attempts, scope)));
  });

  it.each(scopes)('rttBeforeDrops over %s', async (_label, scope) => {
    const got = byKey(await rttBeforeDrops(database.db, scope));
    const want = byKey(rttReference(sessions, rtt, scope));
    expect(got.map(({ baselineMs, beforeMs, ...rest }) => rest)).toEqual(want.map(({ baselineMs, beforeMs, ...rest }) => rest));
    got.forEach((g, i) => {
      expect(g.baselineMs).toBeCloseTo(want[i]!.baselineMs, 9);
      expect(g.beforeMs).toBeCloseTo(want[i]!.beforeMs, 9);
    });
  });
});
