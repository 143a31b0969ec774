/**
 * The experiments store on every backend (db/queries/experiments.ts): one per probe × path ×
 * kind, kept while it asks the same question and replaced when N moves; concluded by a
 * session that held or died (not by a probe stop, an endpoint's restart or a failed dial);
 * expired in time, held back for 24 h, then removed; every write audited as the system.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import type { Database } from '../../db/client';
import { listAudit } from '../../db/queries/audit';
import {
  activeExperiments,
  concludeExperiments,
  ensureExperiment,
  EXPERIMENTS_ACTOR,
  expireExperiments,
  HOLD_BACK_MS,
  listExperiments,
  type ExperimentRequest,
} from '../../db/queries/experiments';
import { storeBatch } from '../../db/queries/ingest';
import { addProbe } from '../../db/queries/probes';
import { probes } from '../../db/schema';
import type { IngestEvent, SessionEnded } from '../../lib/contracts/ingest';
import { backends } from '../helpers/databases';
import { ended, failed, opened, path } from '../helpers/events';

const T = new Date('2026-12-01T10:00:00Z');
const at = (ms: number) => new Date(T.getTime() + ms);
const MIN = 60_000;

/** A verify experiment against a 75 s idle cut on app · direct. */
function verify(probeId: number, over: Partial<ExperimentRequest> = {}): ExperimentRequest {
  return {
    probeId,
    target: 'app',
    proxy: 'direct',
    kind: 'verify',
    profile: { name: 'verify-hb-35s', kind: 'heartbeat', interval: 35_000, timeout: 10_000, hold: 225_000 },
    canaries: 1,
    purpose: 'verify the recommended 35 s heartbeat against the 75.0 s idle cut',
    signature: { key: 'idle-75.0s', nMs: 75_000, kind: 'idle' },
    expiresAfterMs: 6 * 225_000,
    ...over,
  };
}

function keepalive(probeId: number, over: Partial<ExperimentRequest> = {}): ExperimentRequest {
  return {
    ...verify(probeId),
    kind: 'keepalive',
    profile: { name: 'keepalive-25s', kind: 'keepalive', gap: 113_000, keepalive: 25_000, timeout: 10_000 },
    purpose: 'L4 or L7',
    expiresAfterMs: 30 * MIN,
    ...over,
  };
}

/** One session on a path, dialled `startMs` after T, open for `durationMs`, ended as `end` says. */
function session(p: { target?: string; proxy?: string; profile: string }, startMs: number, durationMs: number, end: Partial<SessionEnded>): IngestEvent[] {
  const id = randomUUID();
  const base = at(startMs);
  const where = path({ target: p.target ?? 'app', proxy: p.proxy ?? 'direct', kind: (p.proxy ?? 'direct') === 'direct' ? 'direct' : 'http', profile: p.profile });
  return [opened(id, { path: where }, base), ended(id, durationMs, { path: where, ...end }, base)];
}

describe.each(backends())('experiments on $name', (backend) => {
  let database: Database;
  let eu: number;
  let us: number;

  beforeAll(async () => {
    database = await backend.open();
    eu = (await addProbe(database.db, { name: 'edge-eu', labels: {} })).probe.id;
    us = (await addProbe(database.db, { name: 'edge-us', labels: {} })).probe.id;
  });
  afterAll(() => database.close());

  const store = (probeId: number, events: IngestEvent[]) => storeBatch(database.db, probeId, events, at(HOLD_BACK_MS * 3));

  it('keeps an experiment while it asks the same question and replaces it when N moves, audited as the system', async () => {
    const db = database.db;
    const made = await ensureExperiment(db, verify(eu), T);
    expect(made.action).toBe('created');
    expect(await ensureExperiment(db, verify(eu), at(MIN))).toEqual({ action: 'kept', id: made.id });
    // N re-estimated a little off (within max(1 s, 2 % of N)): the same question, the canary keeps running.
    expect(await ensureExperiment(db, verify(eu, { signature: { key: 'idle-75.9s', nMs: 75_900, kind: 'idle' } }), at(2 * MIN))).toEqual({ action: 'kept', id: made.id });
    // Another kind on the same path, and the same kind elsewhere, are experiments of their own.
    const ka = await ensureExperiment(db, keepalive(eu), at(2 * MIN));
    const other = await ensureExperiment(db, verify(us), at(2 * MIN));
    expect(new Set([made.id, ka.id, other.id]).size).toBe(3);

    const moved = verify(eu, { profile: { name: 'verify-hb-40s', kind: 'heartbeat', interval: 40_000, timeout: 10_000, hold: 240_000 }, signature: { key: 'idle-80.0s', nMs: 80_000, kind: 'idle' } });
    const replaced = await ensureExperiment(db, moved, at(3 * MIN));
    expect(replaced.action).toBe('replaced');
    expect(replaced.id).not.toBe(made.id);
    const active = await activeExperiments(db, eu, at(3 * MIN));
    expect(active.map((x) => [x.kind, x.profile.name])).toEqual([
      ['keepalive', 'keepalive-25s'],
      ['verify', 'verify-hb-40s'],
    ]);
    expect(active.find((x) => x.kind === 'verify')).toMatchObject({ createdAt: at(3 * MIN), expiresAt: at(3 * MIN + 6 * 225_000), concludedAt: null });

    const audit = await listAudit(db, { limit: 10, subjectKind: 'plan_experiment' });
    expect(audit.map((x) => [x.action, x.actorKind, x.actorName, x.subjectId])).toEqual([
      ['plan_experiment.replace', 'system', EXPERIMENTS_ACTOR, String(replaced.id)],
      ['plan_experiment.create', 'system', EXPERIMENTS_ACTOR, String(other.id)],
      ['plan_experiment.create', 'system', EXPERIMENTS_ACTOR, String(ka.id)],
      ['plan_experiment.create', 'system', EXPERIMENTS_ACTOR, String(made.id)],
    ]);
    expect(audit[0]).toMatchObject({ before: { profile: { name: 'verify-hb-35s', hold: '225s' } }, after: { profile: { name: 'verify-hb-40s', interval: '40s', hold: '4m' }, signature: { nMs: 80_000 } } });
  });

  it('refuses a request the probe could not parse, naming the field, and writes nothing', async () => {
    const db = database.db;
    const bad = keepalive(us, { profile: { name: 'keepalive-x', kind: 'keepalive', gap: 20_000, keepalive: 20_000, timeout: 10_000 } });
    const err = await ensureExperiment(db, bad, T).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ZodError);
    expect((err as ZodError).issues[0]!.path).toEqual(['profile', 'keepalive']);
    await expect(ensureExperiment(db, verify(us, { kind: 'reconnect', purpose: 'x'.repeat(257) }), T)).rejects.toThrow(/purpose/);
    await expect(ensureExperiment(db, verify(us, { kind: 'reconnect', expiresAfterMs: 0 }), T)).rejects.toThrow(/expiresAfterMs/);
    expect((await activeExperiments(db, us, T)).map((x) => x.kind)).toEqual(['verify']);
  });

  it('counts a session its probe dated a little before the experiment existed (a clock behind the server\'s)', async () => {
    const db = database.db;
    const probe = (await addProbe(db, { name: 'edge-lagging', labels: {} })).probe.id;
    const t0 = 20 * MIN;
    const v = await ensureExperiment(db, verify(probe), at(t0));
    // Dialled 90 s "before" the experiment by a probe whose clock is 2 min behind.
    await store(probe, session({ profile: 'verify-hb-35s' }, t0 - 90_000, 225_000, { endKind: 'probe_closed', closeCode: 1000, closeReason: 'hold: held 225s with a 35s heartbeat' }));
    expect((await concludeExperiments(db, at(t0 + 30 * MIN))).map((c) => [c.id, c.outcome])).toEqual([[v.id, 'held']]);
  });

  it('concludes on a session that held or died, not on a probe stop, an endpoint restart or a failed dial', async () => {
    const db = database.db;
    const probe = (await addProbe(db, { name: 'edge-conclude', labels: {} })).probe.id;
    const t0 = 10 * MIN;
    const v = await ensureExperiment(db, verify(probe), at(t0));
    const k = await ensureExperiment(db, keepalive(probe), at(t0));
    const label = { profile: 'verify-hb-35s' };
    const dialId = randomUUID();
    await store(probe, [
      // Before the experiment existed (further back than a probe's clock may lag): another run's.
      ...session(label, t0 - 10 * MIN, 5_000, { endKind: 'tcp_fin' }),
      // The probe stopped it (a plan change, a restart): says nothing.
      ...session(label, t0 + 1_000, 60_000, { endKind: 'probe_closed', closeCode: 1000, closeReason: 'path removed from the plan' }),
      // The endpoint restarting: its decision, not the path's.
      ...session(label, t0 + 2_000, 90_000, { endKind: 'close_frame', closeCode: 1012 }),
      // The same label through another proxy: another path.
      ...session({ ...label, proxy: 'corp' }, t0 + 3_000, 75_000, { endKind: 'tcp_fin' }),
      failed(dialId, { path: path({ target: 'app', profile: 'verify-hb-35s' }), attemptedAt: at(t0 + 4_000).toISOString() }),
    ]);
    expect(await concludeExperiments(db, at(t0 + 30 * MIN))).toEqual([]);

    await store(probe, [
      ...session(label, t0 + 100_000, 225_000, { endKind: 'probe_closed', closeCode: 1000, closeReason: 'hold: held 225s with a 35s heartbeat' }),
      // A later death on the same path changes nothing: the first conclusion stands.
      ...session(label, t0 + 400_000, 75_000, { endKind: 'tcp_fin' }),
      ...session({ profile: 'keepalive-25s' }, t0 + 5_000, 75_000, { endKind: 'tcp_reset', closeCode: 1006 }),
    ]);
    // Not yet ended at this instant: not concluded yet.
    expect(await concludeExperiments(db, at(t0 + 60_000))).toEqual([]);
    const held = at(t0 + 100_000 + 5 + 225_000);
    const concluded = await concludeExperiments(db, at(t0 + 30 * MIN));
    expect(concluded.sort((a, b) => a.id - b.id)).toEqual(
      [
        { id: v.id, probeId: probe, target: 'app', proxy: 'direct', kind: 'verify', outcome: 'held', concludedAt: held },
        { id: k.id, probeId: probe, target: 'app', proxy: 'direct', kind: 'keepalive', outcome: 'died', concludedAt: at(t0 + 5_000 + 5 + 75_000) },
      ].sort((a, b) => a.id - b.id),
    );
    expect(await concludeExperiments(db, at(t0 + 31 * MIN))).toEqual([]);
    expect(await activeExperiments(db, probe, at(t0 + 30 * MIN))).toEqual([]);
    const listed = (await listExperiments(db, at(t0 + 30 * MIN))).filter((x) => x.probe === 'edge-conclude');
    expect(listed.map((x) => [x.kind, x.state, x.concludedAt])).toEqual(
      expect.arrayContaining([
        ['verify', 'concluded', held.toISOString()],
        ['keepalive', 'concluded', at(t0 + 80_005).toISOString()],
      ]),
    );
    const [entry] = await listAudit(db, { limit: 1, subjectKind: 'plan_experiment' });
    expect(entry).toMatchObject({ action: 'plan_experiment.conclude', actorKind: 'system', after: { outcome: expect.stringMatching(/held|died/), session: { endKind: expect.any(String) } } });
  });

  it('expires unconcluded, holds a finished one back for 24 h, then removes it and asks again', async () => {
    const db = database.db;
    const probe = (await addProbe(db, { name: 'edge-expire', labels: {} })).probe.id;
    const first = await ensureExperiment(db, keepalive(probe), T);
    const expiry = at(30 * MIN);
    expect(await activeExperiments(db, probe, at(30 * MIN - 1))).toHaveLength(1);
    expect(await activeExperiments(db, probe, expiry)).toEqual([]);
    expect((await listExperiments(db, expiry)).find((x) => x.id === first.id)).toMatchObject({ state: 'expired', expiresAt: expiry.toISOString(), concludedAt: null });

    // The same question is not asked again within 24 h of the end.
    expect(await ensureExperiment(db, keepalive(probe), at(30 * MIN + HOLD_BACK_MS - 1))).toEqual({ action: 'held back', id: first.id });
    // (The other tests' experiments, finished or expired by then too, go with it.)
    expect(await expireExperiments(db, at(30 * MIN + HOLD_BACK_MS - 1))).not.toContain(first.id);
    expect(await expireExperiments(db, at(30 * MIN + HOLD_BACK_MS))).toContain(first.id);
    const removed = (await listAudit(db, { limit: 50, subjectKind: 'plan_experiment' })).find((x) => x.subjectId === String(first.id));
    expect(removed).toMatchObject({ action: 'plan_experiment.delete', actorKind: 'system', subjectId: String(first.id), after: null });
    const again = await ensureExperiment(db, keepalive(probe), at(30 * MIN + HOLD_BACK_MS));
    expect(again.action).toBe('created');
    expect(await activeExperiments(db, probe, at(30 * MIN + HOLD_BACK_MS))).toHaveLength(1);

    // A finished one past the hold-back that expireExperiments has not removed yet is asked afresh.
    const later = at(60 * MIN + 2 * HOLD_BACK_MS);
    expect(await ensureExperiment(db, keepalive(probe), new Date(later.getTime() - 1))).toMatchObject({ action: 'held back' });
    expect(await ensureExperiment(db, keepalive(probe), later)).toMatchObject({ action: 'replaced' });
    // A different question is asked at once, finished or not.
    const moved = await ensureExperiment(db, keepalive(probe, { signature: { key: 'idle-90.0s', nMs: 90_000, kind: 'idle' } }), new Date(later.getTime() + MIN));
    expect(moved.action).toBe('replaced');
  });

  it('removes a probe\'s experiments with the probe', async () => {
    const db = database.db;
    const probe = (await addProbe(db, { name: 'edge-gone', labels: {} })).probe.id;
    await ensureExperiment(db, verify(probe), T);
    await db.delete(probes).where(eq(probes.id, probe));
    expect((await listExperiments(db, T)).some((x) => x.probe === 'edge-gone')).toBe(false);
  });
});
