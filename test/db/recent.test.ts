/**
 * The in-memory store (lib/recent) answers every report exactly as the tables do: the same
 * drops page, the same analysis, the same findings, for scopes with and without filters and
 * with edges inside hours, whether the store was kept by ingest batch by batch (shuffled,
 * replayed, ends before opens, another probe reusing ids) or loaded from the database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { analysisReport } from '../../db/queries/analysis-report';
import { dropsReport } from '../../db/queries/drops';
import { storeBatch } from '../../db/queries/ingest';
import { AGE, IDLE, dropFilter } from '../../db/queries/drop-values';
import { canarySessions } from '../../db/schema';
import { latestMembers } from '../../lib/recent/members';
import { sql } from 'drizzle-orm';
import { addProbe } from '../../db/queries/probes';
import { egressStats, ladderRungs, rttBeforeDrops, silentGroups } from '../../db/queries/findings';
import { loadRecent, probeRefs } from '../../db/recent';
import type { RttBeforeDrops } from '../../lib/analysis/findings';
import * as memory from '../../lib/recent/findings';
import { BUILTIN_LAYERS } from '../../lib/analysis/catalogue';
import type { EndKind, IngestEvent, PathDescriptor } from '../../lib/contracts/ingest';
import type { DashboardScope } from '../../lib/dashboard/scope';
import { RecentStore } from '../../lib/recent/store';
import { backends } from '../helpers/databases';
import { ended, failed, opened, path, rtt, shuffledBatches } from '../helpers/events';
import { rng } from '../lib/analysis/synthetic';

const HOUR = 3_600_000;
const BASE = new Date('2026-11-20T08:00:00Z');
const NOW = new Date(BASE.getTime() + 8 * HOUR);

const PATHS: PathDescriptor[] = [
  path({ target: 'chat' }),
  path({ target: 'chat', proxy: 'squid', kind: 'http' }),
  { ...path({ target: 'feed', proxy: 'mobile', kind: 'socks5', profile: 'hb' }), profileKind: 'heartbeat' },
  { ...path({ target: 'feed', profile: 'ladder-45' }), profileKind: 'ladder', gapMs: 45_000 },
  { ...path({ target: 'feed', profile: 'ladder-90' }), profileKind: 'ladder', gapMs: 90_000 },
];

/** Sessions over six hours with planted layers: a 60 s idle cut through squid, 45 s of silence before resets on chat, silent deaths and rotating egress on mobile, ladder rungs. */
function fleet(random: () => number, count: number, prefix: string): IngestEvent[] {
  const pick = <T,>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const kinds: EndKind[] = ['close_frame', 'tcp_fin', 'tcp_reset', 'pong_timeout', 'probe_closed', 'error'];
  const out: IngestEvent[] = [];
  for (let i = 0; i < count; i++) {
    const id = `${prefix}-${i}`;
    const p = pick(PATHS);
    // Distinct instants (a few ms apart at least): ties in time would make "the previous opening" ambiguous in SQL too.
    const at = new Date(BASE.getTime() + Math.floor(random() * 6 * HOUR) + (i % 7));
    if (random() < 0.1) {
      out.push(failed(id, { path: p, outcome: 'upgrade_refused', httpStatus: pick([403, 502]) }, at));
      continue;
    }
    const egress = p.proxy.name === 'mobile' ? `198.51.100.${1 + (Math.floor(at.getTime() / 600_000) % 3)}` : '192.0.2.7';
    const open = opened(id, { path: p, egressAddress: egress }, at);
    const r = random();
    if (r < 0.15) {
      out.push(open); // still live
      continue;
    }
    let duration = Math.floor(-Math.log(1 - random()) * 600_000);
    let endKind = pick(kinds);
    let recv: number | undefined = Math.floor(random() * duration);
    let sent: number | undefined = random() < 0.2 ? undefined : Math.floor(random() * duration);
    let closeReason: string | undefined;
    if (p.proxy.name === 'squid' && random() < 0.5) {
      duration = 60_000 + Math.floor(random() * 40);
      endKind = 'tcp_fin';
      recv = 60_000;
      sent = 60_000 + Math.floor(random() * 5);
    } else if (p.target.name === 'chat' && p.proxy.name === 'direct' && random() < 0.3) {
      // Silence of 45 s before a reset, at any age: a signature in the idle histogram only.
      endKind = 'tcp_reset';
      recv = 45_000 + Math.floor(random() * 30);
      sent = recv;
      duration = recv + Math.floor(random() * 3_600_000);
    } else if (p.proxy.name === 'mobile' && random() < 0.3) {
      endKind = 'pong_timeout';
      recv = random() < 0.1 ? undefined : 5_000 + Math.floor(random() * 100);
      // Some never got a pong: nothing after the 101, so no age (null in SQL, NaN in memory).
      if (recv !== undefined && i % 7 === 0) recv = duration;
    } else if (p.profileKind === 'ladder') {
      const survived = (p.gapMs ?? 0) < 60_000 && random() < 0.8;
      endKind = survived ? 'probe_closed' : 'tcp_fin';
      duration = survived ? (p.gapMs ?? 0) + 1_000 : 60_000 + Math.floor(random() * 20);
      closeReason = survived ? `ladder:${p.gapMs}` : undefined;
      // A paused target closes some rungs right after their 101 (1013): no death at the gap.
      if (i % 11 === 0) {
        endKind = 'close_frame';
        duration = 20;
        closeReason = 'target paused';
      }
    }
    // Some ends fall exactly on a minute: the RTT finding's look-back then reaches a 5th minute.
    if (p.profileKind === 'heartbeat' && i % 10 === 0) duration += 60_000 - ((at.getTime() + 5 + duration) % 60_000);
    const end = ended(id, duration, { path: p, endKind, sinceLastRecvMs: recv, sinceLastSentMs: sent, closeReason, closeCode: endKind === 'close_frame' ? (closeReason === 'target paused' ? 1013 : pick([1000, 1001])) : undefined, egressAddress: egress }, at);
    if (random() > 0.1) out.push(open);
    out.push(end);
    if (p.profileKind === 'heartbeat') {
      // Pings once a minute over the session's life, slower in its last 3 minutes.
      const samples: number[] = [];
      for (let t = 0; t < Math.min(duration, 30 * 60_000); t += 60_000) samples.push(duration - t < 180_000 ? 120 + random() * 20 : 20 + random() * 5);
      if (samples.length > 0) out.push({ ...rtt(id, [], { path: p }, at), samples: samples.map((rttMs, k) => ({ at: new Date(at.getTime() + k * 60_000).toISOString(), rttMs })) });
    }
  }
  return out;
}

const at = (msAfterBase: number) => new Date(BASE.getTime() + msAfterBase);
const SCOPES: DashboardScope[] = [
  { from: at(-HOUR), to: NOW },
  { from: at(HOUR + 17 * 60_000 + 123), to: at(4 * HOUR + 3 * 60_000) },
  { from: at(0), to: NOW, proxy: 'squid' },
  { from: at(0), to: NOW, target: 'feed' },
  { from: at(0), to: NOW, proxy: 'mobile', probe: 'edge-a' },
  { from: at(30 * 60_000), to: NOW, label: { key: 'region', value: 'eu' } },
  { from: at(0), to: NOW, profile: 'ladder-45' },
  { from: at(2 * HOUR), to: at(2 * HOUR + 90 * 60_000), probe: 'edge-b' },
];

for (const backend of backends()) {
  describe(`in-memory reports on ${backend.name}`, () => {
    let database: Database;
    let kept: RecentStore;

    beforeAll(async () => {
      database = await backend.open();
      const a = (await addProbe(database.db, { name: 'edge-a', labels: { region: 'eu' } })).probe.id;
      const b = (await addProbe(database.db, { name: 'edge-b', labels: { region: 'us' } })).probe.id;
      const random = rng(20261203);
      kept = new RecentStore(31 * 24 * HOUR, NOW.getTime());
      const events = [...shuffledBatches(random, fleet(random, 700, 'a'), 60).map((batch) => ({ probe: a, batch })), ...shuffledBatches(random, fleet(random, 300, 'b'), 60).map((batch) => ({ probe: b, batch }))];
      for (const { probe, batch } of events) {
        await storeBatch(database.db, probe, batch, NOW, kept);
        // A reporter that did not see the answer sends the batch again.
        if (random() < 0.2) await storeBatch(database.db, probe, batch, NOW, kept);
      }
      // Probe B cannot rewrite probe A's sessions: neither the table nor the store changes.
      const stolen = events[0]!.batch.filter((e) => e.type === 'session.ended').map((e) => ({ ...e, id: `${e.id}-stolen`, durationMs: 1 }));
      await storeBatch(database.db, b, stolen, NOW, kept);
    }, 120_000);
    afterAll(async () => database?.close());

    it('holds every ending and live canary the table holds', async () => {
      const loaded = await loadRecent(database.db, { now: NOW });
      expect(kept.sessions.endings).toBeGreaterThan(600);
      expect(kept.sessions.live.size).toBeGreaterThan(50);
      expect(kept.sessions.endings).toBe(loaded.sessions.endings);
      expect(kept.sessions.live.size).toBe(loaded.sessions.live.size);
    });

    it.each(SCOPES.map((scope, i) => [i, scope] as const))('counts the findings of scope %i as the table does', async (_i, scope) => {
      const probes = await probeRefs(database.db);
      const sorted = <T,>(xs: T[]) => xs.map((x) => JSON.stringify(x)).sort();
      expect(sorted(memory.silentGroups(kept.sessions, scope, probes))).toEqual(sorted(await silentGroups(database.db, scope)));
      expect(memory.ladderRungs(kept.sessions, scope, probes)).toEqual(await ladderRungs(database.db, scope));
      expect(sorted(memory.egressStats(kept.sessions, scope, probes))).toEqual(sorted(await egressStats(database.db, scope)));
      const rttOf = (xs: RttBeforeDrops[]) => xs.map((x) => ({ ...x, baselineMs: Math.round(x.baselineMs * 1e6), beforeMs: Math.round(x.beforeMs * 1e6) }));
      expect(sorted(rttOf(memory.rttBeforeDrops(kept.sessions, kept.rtt, scope, probes)))).toEqual(sorted(rttOf(await rttBeforeDrops(database.db, scope))));
    });
  });
}
