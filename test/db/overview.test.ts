import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { storeBatch } from '../../db/queries/ingest';
import { overview } from '../../db/queries/overview';
import { addProbe, revokeProbe } from '../../db/queries/probes';
import type { IngestEvent } from '../../lib/contracts/ingest';
import { HOUR_MS, overviewSchema } from '../../lib/overview/overview';
import { backends } from '../helpers/databases';
import { ended, failed, opened, rtt } from '../helpers/events';

const NOW = new Date('2026-11-01T13:00:00.000Z');
const MIN = 60_000;
/** A base instant `ms` relative to NOW, for the builders (attempt at base, open at base + 5 ms). */
const at = (ms: number) => new Date(NOW.getTime() + ms);

/**
 * A fleet's last few hours with hand-computed answers. Times are relative to NOW; the
 * builders open 5 ms after the attempt and end 5 ms + duration after it.
 */
function seedEvents(): IngestEvent[] {
  return [
    // RTT samples of the last hour: median 20 ms; one from two hours ago must not count.
    rtt('live-0001', [10, 20, 30], {}, at(-10 * MIN)),
    rtt('live-0002', [5000], {}, at(-120 * MIN)),
    // Live: opened, not ended. live-3 opens after NOW and must be invisible.
    opened('live-0001', {}, at(-10 * MIN)),
    opened('live-0002', {}, at(-8 * MIN)),
    opened('live-0003', {}, at(+1 * MIN)),
    // Three drops at "exactly 60 s", one at 5 min.
    opened('drop-0001', {}, at(-30 * MIN)),
    ended('drop-0001', 60_000, { endKind: 'tcp_fin' }, at(-30 * MIN)),
    opened('drop-0002', {}, at(-31 * MIN)),
    ended('drop-0002', 60_020, { endKind: 'tcp_reset' }, at(-31 * MIN)),
    opened('drop-0003', {}, at(-32 * MIN)),
    ended('drop-0003', 60_040, { endKind: 'pong_timeout' }, at(-32 * MIN)),
    opened('drop-0004', {}, at(-50 * MIN)),
    ended('drop-0004', 300_000, { endKind: 'close_frame', closeCode: 1001 }, at(-50 * MIN)),
    // An end whose open never arrived: a drop, but not an attempt with a known outcome.
    ended('endonly-0001', 10_000, { endKind: 'tcp_fin' }, at(-40 * MIN)),
    // Closed by the probe itself: in the histogram, not a drop.
    opened('pclose-0001', {}, at(-20 * MIN)),
    ended('pclose-0001', 120_000, { endKind: 'probe_closed', closeCode: 1000 }, at(-20 * MIN)),
    // Refusals: attempts without a 101.
    failed('fail-0001', { outcome: 'upgrade_refused', httpStatus: 403 }, at(-15 * MIN)),
    failed('fail-0002', { outcome: 'proxy_refused', httpStatus: undefined, proxyReply: 'HTTP/1.1 403 Forbidden' }, at(-5 * MIN)),
    // Attempted 2.5 h ago, dropped after an hour: outside the one-hour numbers.
    opened('old-00001', {}, at(-150 * MIN)),
    ended('old-00001', HOUR_MS, { endKind: 'tcp_fin' }, at(-150 * MIN)),
  ];
}

for (const backend of backends()) {
  describe(`overview (${backend.name})`, () => {
    let database: Database;
    // Opening and migrating costs seconds on PGlite; emptying the tables costs milliseconds.
    beforeAll(async () => {
      database = await backend.open();
    });
    afterAll(async () => {
      await database?.close();
    });
    beforeEach(async () => {
      await database.db.execute(sql`truncate probes, canary_sessions, rtt_minutes, ingested_events restart identity cascade`);
    });

    async function seed(events: IngestEvent[] = seedEvents()): Promise<void> {
      const { probe } = await addProbe(database.db, { name: 'edge-fra-1', labels: {} });
      await addProbe(database.db, { name: 'retired', labels: {} });
      await revokeProbe(database.db, 'retired', at(-HOUR_MS));
      // Two batches, so openings and endings of a session are merged across requests.
      const half = Math.ceil(events.length / 2);
      await storeBatch(database.db, probe.id, events.slice(0, half), at(-MIN));
      await storeBatch(database.db, probe.id, events.slice(half), NOW);
    }

    it('answers zeros and no ratio on an empty database', async () => {
      const o = await overview(database.db, { now: NOW, windowMs: HOUR_MS });
      expect(o).toEqual({
        at: NOW.toISOString(),
        windowMs: HOUR_MS,
        probes: 0,
        hasSessions: false,
        liveCanaries: 0,
        dropsLastHour: 0,
        silentDeathsLastHour: 0,
        medianRttMs: null,
        attempts: 0,
        upgrades101: 0,
        upgradeSuccessRatio: null,
        histogram: { binWidthMs: 0, bins: [] },
        recentEvents: [],
      });
    });

    it('counts live canaries, drops, attempts and upgrades over the last hour', async () => {
      await seed();
      const o = await overview(database.db, { now: NOW, windowMs: HOUR_MS });
      expect(overviewSchema.parse(o)).toEqual(o);
      expect(o.probes).toBe(1);
      expect(o.hasSessions).toBe(true);
      expect(o.liveCanaries).toBe(2);
      // drop-1..4 and endonly-1; not pclose-1 (probe_closed) nor old-1 (ended 90 min ago).
      expect(o.dropsLastHour).toBe(5);
      // drop-3 died silently.
      expect(o.silentDeathsLastHour).toBe(1);
      // Read back from log buckets: within their 9 % resolution.
      expect(o.medianRttMs).toBeGreaterThan(18);
      expect(o.medianRttMs).toBeLessThan(22);
      // live-1, live-2, drop-1..4, pclose-1, fail-1, fail-2.
      expect(o.attempts).toBe(9);
      expect(o.upgrades101).toBe(7);
      expect(o.upgradeSuccessRatio).toBeCloseTo(7 / 9, 12);
    });

    it('does not count as live the open canaries of a probe silent for three heartbeats (issue 19)', async () => {
      await seed();
      // The same data an hour later: the probe has not been heard from since the batch.
      const later = new Date(NOW.getTime() + HOUR_MS);
      const o = await overview(database.db, { now: later, windowMs: HOUR_MS });
      expect(o.liveCanaries).toBe(0);
      expect((await overview(database.db, { now: NOW, windowMs: HOUR_MS })).liveCanaries).toBe(2);
    });

    it('bins durations with a round width, dense from zero, drops apart from probe closes', async () => {
      await seed();
      const { histogram } = await overview(database.db, { now: NOW, windowMs: HOUR_MS });
      // Longest is 300 s: 5 s bins would need 61, so 10 s bins centred on 0 s ... 300 s.
      expect(histogram.binWidthMs).toBe(10_000);
      expect(histogram.bins).toHaveLength(31);
      expect(histogram.bins.map((b) => b.startMs)).toEqual(Array.from({ length: 31 }, (_, i) => i * 10_000 - 5_000));
      const nonEmpty = histogram.bins.filter((b) => b.count > 0);
      // 60 000, 60 020 and 60 040 ms in the one bar centred on 60 s (55-65 s).
      expect(nonEmpty).toEqual([
        { startMs: 5_000, count: 1, drops: 1 },
        { startMs: 55_000, count: 3, drops: 3 },
        { startMs: 115_000, count: 1, drops: 0 },
        { startMs: 295_000, count: 1, drops: 1 },
      ]);
    });

    it('widens attempts and histogram with the window but keeps drops to the last hour', async () => {
      await seed();
      const o = await overview(database.db, { now: NOW, windowMs: 3 * HOUR_MS });
      expect(o.dropsLastHour).toBe(5);
      expect(o.attempts).toBe(10);
      expect(o.upgrades101).toBe(8);
      expect(o.upgradeSuccessRatio).toBeCloseTo(0.8, 12);
      // The one-hour session makes 1 min bins too many (61): 2 min bins centred on 0 ... 60 min.
      // 10 s in the bar on 0 (-1..1 min); 60 s (an edge) to 2 min in the bar on 2 min; 5 min on 6 min.
      expect(o.histogram.binWidthMs).toBe(2 * MIN);
      expect(o.histogram.bins).toHaveLength(31);
      expect(o.histogram.bins.filter((b) => b.count > 0)).toEqual([
        { startMs: -1 * MIN, count: 1, drops: 1 },
        { startMs: 1 * MIN, count: 4, drops: 3 },
        { startMs: 5 * MIN, count: 1, drops: 1 },
        { startMs: 59 * MIN, count: 1, drops: 1 },
      ]);
    });

    it('lists the newest openings, endings and failures, newest first, nothing after now', async () => {
      await seed();
      const o = await overview(database.db, { now: NOW, windowMs: HOUR_MS });
      expect(o.recentEvents.map((e) => e.id)).toEqual([
        'attempt.failed:fail-0002',
        'session.opened:live-0002',
        'session.opened:live-0001',
        'attempt.failed:fail-0001',
        'session.ended:pclose-0001',
        'session.opened:pclose-0001',
        'session.ended:drop-0001',
        'session.ended:drop-0002',
        'session.opened:drop-0001',
        'session.ended:drop-0003',
        'session.opened:drop-0002',
        'session.opened:drop-0003',
        'session.ended:endonly-0001',
        'session.ended:drop-0004',
        'session.opened:drop-0004',
        'session.ended:old-00001',
        'session.opened:old-00001',
      ]);
      expect(o.recentEvents[0]).toEqual({
        id: 'attempt.failed:fail-0002',
        type: 'attempt.failed',
        probe: 'edge-fra-1',
        at: at(-5 * MIN + 30).toISOString(),
        sessionId: 'fail-0002',
        target: 'canary',
        proxy: 'direct',
        profile: 'idle',
        outcome: 'proxy_refused',
      });
      expect(o.recentEvents.find((e) => e.id === 'session.ended:drop-0004')).toMatchObject({
        at: at(-50 * MIN + 5 + 300_000).toISOString(),
        durationMs: 300_000,
        endKind: 'close_frame',
        closeCode: 1001,
      });

      const top = await overview(database.db, { now: NOW, windowMs: HOUR_MS, recentLimit: 3 });
      expect(top.recentEvents.map((e) => e.id)).toEqual(o.recentEvents.slice(0, 3).map((e) => e.id));
    });

    it('counts a drop ending exactly at now, not one ending exactly an hour before', async () => {
      const durationMs = 1000;
      // ended() ends at base + 5 ms + duration.
      const endingAt = (t: number) => at(t - 5 - durationMs);
      await seed([
        ended('edge-at-now', durationMs, {}, endingAt(0)),
        ended('edge-at-hour', durationMs, {}, endingAt(-HOUR_MS)),
        ended('edge-after', durationMs, {}, endingAt(1)),
      ]);
      const o = await overview(database.db, { now: NOW, windowMs: HOUR_MS });
      expect(o.dropsLastHour).toBe(1);
      expect(o.histogram.bins.reduce((n, b) => n + b.count, 0)).toBe(1);
    });

    it('refuses a window that is not a positive integer', async () => {
      await expect(overview(database.db, { now: NOW, windowMs: 0 })).rejects.toThrow(RangeError);
      await expect(overview(database.db, { now: NOW, windowMs: 1.5 })).rejects.toThrow(RangeError);
    });
  });
}
