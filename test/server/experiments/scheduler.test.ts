/**
 * The experiment scheduler on every backend, on an injected clock: sessions that make an
 * idle cut and a lifetime limit, one round, and the probes that see them are asked to
 * verify the fix (and to tell L4 from L7) through their plans; a session that concludes
 * takes its experiment out of the plan; N moving replaces it; one server at a time.
 */
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../db/client';
import { listExperiments } from '../../../db/queries/experiments';
import { storeBatch } from '../../../db/queries/ingest';
import { planForProbe, recordPlanFetch } from '../../../db/queries/probe-plan';
import { addProbe } from '../../../db/queries/probes';
import { probes } from '../../../db/schema';
import { AGENT_VERSION } from '../../../agent/version';
import { BUILTIN_LAYERS } from '../../../lib/analysis/catalogue';
import type { IngestEvent } from '../../../lib/contracts/ingest';
import { createLogger } from '../../../lib/log';
import { EXPERIMENTS_LOCK, runExperimentRound, startExperimentScheduler, type RoundOutcome } from '../../../server/experiments/scheduler';
import { backends } from '../../helpers/databases';
import { cutEvents, sessionEvents } from './seed';

const HOUR = 3_600_000;
const MIN = 60_000;
/** The round's clock: 6 h after the first seeded dial. */
const NOW = new Date('2026-12-03T12:00:00Z');
const at = (ms: number) => new Date(NOW.getTime() + ms);
const SEED_FROM = NOW.getTime() - 5 * HOUR;

describe.each(backends())('the experiment scheduler on $name', (backend) => {
  let database: Database;
  const ids: Record<string, number> = {};

  const store = async (probe: string, events: IngestEvent[], now: Date) => {
    for (let i = 0; i < events.length; i += 1000) await storeBatch(database.db, ids[probe]!, events.slice(i, i + 1000), now);
  };
  const round = (now: Date) => runExperimentRound(database.db, { now, layers: BUILTIN_LAYERS });
  const planOf = async (probe: string, now: Date) => (await planForProbe(database.db, ids[probe]!, now))!;

  beforeAll(async () => {
    database = await backend.open();
    for (const name of ['edge-eu', 'edge-us', 'edge-demo', 'edge-old']) ids[name] = (await addProbe(database.db, { name, labels: {} })).probe.id;
    // edge-eu and edge-us follow a server plan; edge-demo never fetched one (the built-in demo's
    // probe); edge-old does, but runs an agent from before experiments, which would refuse the plan.
    for (const name of ['edge-eu', 'edge-us', 'edge-old']) await recordPlanFetch(database.db, ids[name]!, at(-HOUR), '0000000000000000', 0);
    for (const name of ['edge-eu', 'edge-us']) await database.db.update(probes).set({ agentVersion: AGENT_VERSION }).where(eq(probes.id, ids[name]!));
    await database.db.update(probes).set({ agentVersion: '0.1.0' }).where(eq(probes.id, ids['edge-old']!));
    // N a little past 75 s, so that its derived settings sit clear of a whole-second edge under the ±50 ms jitter.
    const cut = { nMs: 75_200, from: SEED_FROM, count: 40, spacingMs: 6 * MIN, kind: 'idle' } as const;
    await store('edge-eu', cutEvents({ ...cut, probe: 'edge-eu', target: 'app', proxy: 'direct' }), NOW);
    await store('edge-us', cutEvents({ ...cut, probe: 'edge-us', target: 'app', proxy: 'corp', count: 20 }), NOW);
    await store('edge-demo', cutEvents({ ...cut, probe: 'edge-demo', target: 'app', proxy: 'direct', count: 10 }), NOW);
    await store('edge-old', cutEvents({ ...cut, probe: 'edge-old', target: 'app', proxy: 'direct', count: 10 }), NOW);
    await store('edge-eu', cutEvents({ nMs: 100_200, kind: 'lifetime', from: SEED_FROM + 1000, count: 30, spacingMs: 8 * MIN, probe: 'edge-eu', target: 'chat', proxy: 'direct' }), NOW);
  }, 120_000);
  afterAll(() => database.close());

  it('asks the probes that see an idle cut to verify its heartbeat and to try TCP keepalive, and a lifetime limit a reconnect schedule', async () => {
    const outcome = await round(NOW);
    expect(outcome).toMatchObject({ ran: true, concluded: 0, removed: 0, ensured: { created: 5, replaced: 0, kept: 0, 'held back': 0 } });
    expect([...outcome.skippedProbes].sort()).toEqual(['edge-demo', 'edge-old']);
    const listed = await listExperiments(database.db, NOW);
    const shape = listed.map((x) => `${x.probe} ${x.target}·${x.proxy} ${x.kind} ${x.profile.name} ${x.state}`).sort();
    expect(shape).toEqual([
      'edge-eu app·direct keepalive keepalive-25s running',
      'edge-eu app·direct verify verify-hb-35s running',
      'edge-eu chat·direct reconnect reconnect-90s running',
      'edge-us app·corp keepalive keepalive-25s running',
      'edge-us app·corp verify verify-hb-35s running',
    ]);
    expect(listed.find((x) => x.kind === 'verify')?.signature).toMatchObject({ kind: 'idle', nMs: expect.closeTo(75_200, -3) });

    const plan = await planOf('edge-eu', NOW);
    expect(plan.experiments?.map((x) => [x.target, x.proxy, x.profile])).toEqual(
      expect.arrayContaining([
        ['app', 'direct', { name: 'verify-hb-35s', kind: 'heartbeat', interval: '35s', timeout: '10s', hold: '226s' }],
        ['app', 'direct', { name: 'keepalive-25s', kind: 'keepalive', gap: '113s', keepalive: '25s', timeout: '10s' }],
        ['chat', 'direct', { name: 'reconnect-90s', kind: 'heartbeat', interval: '25s', timeout: '10s', hold: '90s' }],
      ]),
    );
    expect((await planOf('edge-us', NOW)).experiments?.map((x) => x.profile.name).sort()).toEqual(['keepalive-25s', 'verify-hb-35s']);
    expect(await planOf('edge-demo', NOW)).not.toHaveProperty('experiments');
    expect(await planOf('edge-old', NOW)).not.toHaveProperty('experiments');

    // A minute later nothing has changed: the same experiments, the same plan version.
    const next = await round(at(MIN));
    expect(next.ensured).toEqual({ created: 0, replaced: 0, kept: 5, 'held back': 0 });
    expect((await planOf('edge-eu', at(MIN))).version).toBe(plan.version);
  });

  it('takes an experiment out of the plan once a session of it held, and does not ask again', async () => {
    const before = await planOf('edge-eu', at(2 * MIN));
    const verify = before.experiments!.find((x) => x.profile.name === 'verify-hb-35s')!;
    // The probe ran it: held for 3 × N, then ended it itself.
    const where = { target: { name: 'app', url: 'ws://127.0.0.1:9/app' }, proxy: { name: 'direct', kind: 'direct' as const }, profile: 'verify-hb-35s', profileKind: 'heartbeat' as const, intervalMs: 35_000, holdMs: 226_000 };
    await store('edge-eu', sessionEvents(where, at(2 * MIN).getTime(), 226_000, { endKind: 'probe_closed', idleMs: 1000, closeReason: 'hold: held 226s with a 35s heartbeat' }), at(7 * MIN));
    const outcome = await round(at(7 * MIN));
    expect(outcome).toMatchObject({ concluded: 1, ensured: { created: 0, replaced: 0, kept: 4, 'held back': 1 } });
    const after = await planOf('edge-eu', at(7 * MIN));
    expect(after.experiments?.map((x) => x.profile.name).sort()).toEqual(['keepalive-25s', 'reconnect-90s']);
    expect(after.experiments?.some((x) => x.id === verify.id)).toBe(false);
    expect(after.version).not.toBe(before.version);
    expect((await listExperiments(database.db, at(7 * MIN))).find((x) => x.id === verify.id)).toMatchObject({ state: 'concluded', concludedAt: at(2 * MIN + 5 + 226_000).toISOString() });
  });

  it('replaces an experiment when N moves', async () => {
    // Hours later the path cuts at 90.2 s instead: the 75 s drops have left the 6 h window.
    const later = at(12 * HOUR);
    await store('edge-eu', cutEvents({ nMs: 90_200, kind: 'idle', from: later.getTime() - 5 * HOUR, count: 40, spacingMs: 6 * MIN, probe: 'edge-eu', target: 'app', proxy: 'direct' }), later);
    const outcome = await round(later);
    // Both eu experiments on app · direct asked afresh (the verification concluded, the keepalive rung expired), nothing more.
    expect(outcome.ensured).toEqual({ created: 0, replaced: 2, kept: 0, 'held back': 0 });
    const plan = await planOf('edge-eu', later);
    expect(plan.experiments?.map((x) => [x.profile.name, x.profile])).toEqual(
      expect.arrayContaining([
        ['verify-hb-45s', { name: 'verify-hb-45s', kind: 'heartbeat', interval: '45s', timeout: '10s', hold: '271s' }],
        ['keepalive-30s', { name: 'keepalive-30s', kind: 'keepalive', gap: '135s', keepalive: '30s', timeout: '10s' }],
      ]),
    );
    expect(plan.experiments).toHaveLength(2);
  });

  it.runIf(backend.name === 'postgres')('skips its round while another server holds it', async () => {
    let release!: () => void;
    let locked!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const isLocked = new Promise<void>((r) => (locked = r));
    const holder = database.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${EXPERIMENTS_LOCK})`);
      locked();
      await held;
    });
    await isLocked;
    const outcome = await round(at(13 * HOUR));
    release();
    await holder;
    expect(outcome).toMatchObject({ ran: false, signatures: 0, ensured: { created: 0, replaced: 0, kept: 0, 'held back': 0 } });
  });

  it('refuses a wish no plan can carry (a target name ingest accepts) and runs the rest of the round', async () => {
    // A day later, one cut on a target whose name has a space, beside one on a plain name.
    const later = at(36 * HOUR);
    const cut = { nMs: 40_200, kind: 'idle', from: later.getTime() - 5 * HOUR, count: 40, spacingMs: 6 * MIN, probe: 'edge-us', proxy: 'direct' } as const;
    await store('edge-us', [...cutEvents({ ...cut, target: 'web app' }), ...cutEvents({ ...cut, target: 'web', from: cut.from + 1000 })], later);
    const outcome = await round(later);
    expect(outcome.ran).toBe(true);
    expect(outcome.refused.length).toBeGreaterThan(0);
    expect(outcome.refused.every((r) => r.startsWith('edge-us web app·direct'))).toBe(true);
    const names = (await planOf('edge-us', later)).experiments?.map((x) => `${x.target} ${x.profile.name}`) ?? [];
    expect(names.some((n) => n.startsWith('web '))).toBe(true);
    expect(names.some((n) => n.startsWith('web app'))).toBe(false);
  });

  it('runs its first round as soon as it starts, on the clock it is given', async () => {
    const rounds: RoundOutcome[] = [];
    let first!: () => void;
    const ran = new Promise<void>((r) => (first = r));
    const scheduler = startExperimentScheduler({
      database,
      layers: BUILTIN_LAYERS,
      log: createLogger({ level: 'silent' }),
      now: () => at(12 * HOUR + MIN),
      onRound: (o) => {
        rounds.push(o);
        first();
      },
    });
    await ran;
    await scheduler.close();
    expect(rounds).toHaveLength(1);
    expect(rounds[0]).toMatchObject({ ran: true, ensured: { kept: 2 } });
  });
});
