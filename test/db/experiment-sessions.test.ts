/**
 * experimentSessions on every backend: the sessions of experiment profiles (ladder, bisect
 * and keepalive rungs, held heartbeats, echo canaries with statistics) attempted, ended or
 * still open in a scope, filtered as the dashboard scope filters, the latest 200 per probe ×
 * target × proxy × profile, in the order they were attempted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { EXPERIMENT_SESSIONS_PER_PATH, experimentSessions } from '../../db/queries/experiment-sessions';
import { storeBatch } from '../../db/queries/ingest';
import { addProbe } from '../../db/queries/probes';
import type { IngestEvent, PathDescriptor, SessionEnded } from '../../lib/contracts/ingest';
import { backends } from '../helpers/databases';
import { ended, failed, opened, path } from '../helpers/events';

const FROM = new Date('2026-12-01T10:00:00.000Z');
const TO = new Date('2026-12-01T12:00:00.000Z');
const NOW = new Date('2026-12-01T12:30:00.000Z');
const at = (minutesAfterFrom: number) => new Date(FROM.getTime() + minutesAfterFrom * 60_000);

const bisect = (gapMs: number, target = 'app'): PathDescriptor => ({ ...path({ target, profile: 'bisect' }), profileKind: 'bisect', gapMs });
const keepalive: PathDescriptor = { ...path({ target: 'app', profile: 'keepalive-25s' }), profileKind: 'keepalive', gapMs: 112_500, keepaliveMs: 25_000 };
const held: PathDescriptor = { ...path({ target: 'app', profile: 'verify-hb-30s' }), profileKind: 'heartbeat', intervalMs: 30_000, holdMs: 225_000 };
const ladder: PathDescriptor = { ...path({ target: 'app', profile: 'ladder', proxy: 'squid', kind: 'http' }), profileKind: 'ladder', gapMs: 60_000 };
const echoPath: PathDescriptor = { ...path({ target: 'app', profile: 'echo' }), profileKind: 'echo', intervalMs: 1000 };
const heartbeat: PathDescriptor = { ...path({ target: 'app', profile: 'heartbeat' }), profileKind: 'heartbeat', intervalMs: 25_000 };
const echo = { sent: 4, returned: 4, largestSentBytes: 64, largestReturnedBytes: 64, lastSentBytes: 64, bunches: 0, bunchedMessages: 0, maxHoldMs: 0, minRttMs: 1 };

/** A session attempted at `base` that opened 5 ms later and, with `durationMs`, ended then. */
function session(id: string, p: PathDescriptor, base: Date, durationMs?: number, over: Partial<SessionEnded> = {}): IngestEvent[] {
  const open = opened(id, { path: p }, base);
  return durationMs === undefined ? [open] : [open, ended(id, durationMs, { path: p, ...over }, base)];
}

describe.each(backends())('experimentSessions on $name', (backend) => {
  let database: Database;

  beforeAll(async () => {
    database = await backend.open();
    const eu = (await addProbe(database.db, { name: 'edge-eu', labels: { region: 'eu' } })).probe.id;
    const us = (await addProbe(database.db, { name: 'edge-us', labels: { region: 'us' } })).probe.id;
    const survived = { endKind: 'probe_closed' as const, closeCode: 1000, closeReason: 'bisect: survived 60s idle' };
    await storeBatch(
      database.db,
      eu,
      [
        // In: attempted in the range (a rung that survived, one that died, one that never opened).
        ...session('b-1', bisect(15_000), at(10), 15_020, { ...survived, closeReason: 'bisect: survived 15s idle' }),
        ...session('b-2', bisect(30_000), at(11), 29_990, { endKind: 'tcp_fin', closeCode: 1006 }),
        failed('b-3', { path: bisect(22_500), outcome: 'dial_failed', errorCode: 'ECONNREFUSED' }, at(12)),
        // In: attempted before the range, ended in it.
        ...session('h-1', held, at(-2), 225_000, { endKind: 'probe_closed', closeCode: 1000, closeReason: 'hold: held 225s with a 30s heartbeat' }),
        // In: still open, attempted before the range and in it.
        ...session('h-open-old', held, at(-30)),
        ...session('k-open', keepalive, at(100)),
        // In: a ladder rung, an echo canary with statistics.
        ...session('l-1', ladder, at(20), 60_010, { endKind: 'probe_closed', closeCode: 1000, closeReason: 'ladder: survived 60s idle' }),
        ...session('e-1', echoPath, at(30), 5000, { echo }),
        // Out: ended before the range; attempted after it; not experiments.
        ...session('b-old', bisect(15_000), at(-60), 15_000, survived),
        ...session('b-late', bisect(15_000), at(125), 15_000, survived),
        ...session('e-plain', echoPath, at(30), 5000),
        ...session('hb-plain', heartbeat, at(30), 5000),
        ...session('idle-plain', path(), at(30)),
      ],
      NOW,
    );
    await storeBatch(database.db, us, [...session('u-1', bisect(15_000, 'api'), at(40), 15_010, survived)], NOW);
    // Past the bound: the latest EXPERIMENT_SESSIONS_PER_PATH of 205 rungs on one path.
    const many: IngestEvent[] = [];
    for (let i = 0; i < EXPERIMENT_SESSIONS_PER_PATH + 5; i++) many.push(...session(`m-${String(i).padStart(3, '0')}`, bisect(15_000 + i * 10, 'big'), new Date(at(50).getTime() + i * 1000), 15_000, survived));
    await storeBatch(database.db, us, many, NOW);
  });
  afterAll(() => database.close());

  const read = (over: Partial<Parameters<typeof experimentSessions>[1]> = {}) => experimentSessions(database.db, { from: FROM, to: TO, ...over }, NOW);

  it('reads the experiment sessions attempted, ended or open in the scope, in the order they were attempted', async () => {
    const small = (await read()).filter((e) => e.target !== 'big');
    expect(small.map((e) => e.profile + ':' + e.attemptedAt)).toEqual(
      [
        ['verify-hb-30s', at(-30)],
        ['verify-hb-30s', at(-2)],
        ['bisect', at(10)],
        ['bisect', at(11)],
        ['bisect', at(12)],
        ['ladder', at(20)],
        ['echo', at(30)],
        ['bisect', at(40)],
        ['keepalive-25s', at(100)],
      ].map(([p, d]) => `${p as string}:${(d as Date).getTime()}`),
    );
    const byTime = new Map(small.map((e) => [e.attemptedAt, e]));
    expect(byTime.get(at(10).getTime())).toEqual({
      probe: 'edge-eu',
      labels: { region: 'eu' },
      target: 'app',
      proxy: 'direct',
      profile: 'bisect',
      profileKind: 'bisect',
      gapMs: 15_000,
      keepaliveMs: null,
      intervalMs: null,
      holdMs: null,
      attemptedAt: at(10).getTime(),
      endedAt: at(10).getTime() + 5 + 15_020,
      durationMs: 15_020,
      endKind: 'probe_closed',
      closeCode: 1000,
      closeReason: 'bisect: survived 15s idle',
      echo: null,
    });
    // Never opened: no end kind, no duration.
    expect(byTime.get(at(12).getTime())).toMatchObject({ gapMs: 22_500, endKind: null, durationMs: null, endedAt: at(12).getTime() + 30 });
    // Open: aged by `now`, from its opening.
    expect(byTime.get(at(-30).getTime())).toMatchObject({ endedAt: null, endKind: null, durationMs: NOW.getTime() - (at(-30).getTime() + 5), intervalMs: 30_000, holdMs: 225_000 });
    expect(byTime.get(at(100).getTime())).toMatchObject({ endedAt: null, durationMs: NOW.getTime() - (at(100).getTime() + 5), gapMs: 112_500, keepaliveMs: 25_000 });
    expect(byTime.get(at(-2).getTime())).toMatchObject({ endKind: 'probe_closed', closeReason: 'hold: held 225s with a 30s heartbeat', durationMs: 225_000 });
    expect(byTime.get(at(30).getTime())).toMatchObject({ profileKind: 'echo', intervalMs: 1000, echo });
    expect(byTime.get(at(20).getTime())).toMatchObject({ profileKind: 'ladder', proxy: 'squid', gapMs: 60_000 });
  });

  it(`keeps the latest ${EXPERIMENT_SESSIONS_PER_PATH} per probe × target × proxy × profile`, async () => {
    const big = (await read({ target: 'big' })).map((e) => e.gapMs);
    expect(big).toHaveLength(EXPERIMENT_SESSIONS_PER_PATH);
    // The five oldest rungs (gaps 15.00 s to 15.04 s) are left out; the rest in attempt order.
    expect(big).toEqual(Array.from({ length: EXPERIMENT_SESSIONS_PER_PATH }, (_, i) => 15_000 + (i + 5) * 10));
    // The bound is per path: the other paths of the same probe and profile are whole.
    expect((await read({ target: 'api' })).map((e) => e.probe)).toEqual(['edge-us']);
  });

  it('filters by probe, label, target, proxy and profile as the dashboard scope does', async () => {
    const names = async (over: Parameters<typeof read>[0]) => [...new Set((await read(over)).map((e) => `${e.probe}/${e.target}/${e.proxy}/${e.profile}`))].sort();
    expect(await names({ probe: 'edge-us' })).toEqual(['edge-us/api/direct/bisect', 'edge-us/big/direct/bisect']);
    expect(await names({ label: { key: 'region', value: 'eu' } })).toEqual(['edge-eu/app/direct/bisect', 'edge-eu/app/direct/echo', 'edge-eu/app/direct/keepalive-25s', 'edge-eu/app/direct/verify-hb-30s', 'edge-eu/app/squid/ladder']);
    expect(await names({ proxy: 'squid' })).toEqual(['edge-eu/app/squid/ladder']);
    expect(await names({ target: 'app', profile: 'bisect' })).toEqual(['edge-eu/app/direct/bisect']);
    expect(await names({ probe: 'nobody' })).toEqual([]);
  });

  it('reads nothing from a scope before every session, and an open session only up to when it opened', async () => {
    expect(await experimentSessions(database.db, { from: new Date('2026-11-01T00:00:00Z'), to: new Date('2026-11-02T00:00:00Z') }, NOW)).toEqual([]);
    // A scope that ends before the keepalive rung opened does not see it; the older open one, yes.
    const early = await experimentSessions(database.db, { from: at(-10), to: at(0) }, NOW);
    expect(early.map((e) => e.attemptedAt)).toEqual([at(-30).getTime(), at(-2).getTime()]);
  });
});
