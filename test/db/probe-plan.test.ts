/**
 * A probe's plan on every backend: the paths its selector picks and only the definitions
 * they name; a version that holds across edits that do not touch the probe and changes
 * with one that does (a label change included); the experiments the server asks of it
 * while they run; the fetch and status records.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { concludeExperiments, ensureExperiment } from '../../db/queries/experiments';
import { storeBatch } from '../../db/queries/ingest';
import { setProbeLabels } from '../../db/queries/probe-admin';
import { planForProbe, planVersion, probePlanStatuses, recordPlanFetch, savePlanStatus, canonicalJson } from '../../db/queries/probe-plan';
import { createPlanPath, createPlanProfile, createPlanProxy, createPlanTarget, deletePlanPath, readFleetPlan, replacePlanPath, replacePlanTarget } from '../../db/queries/plans';
import { addProbe } from '../../db/queries/probes';
import { probes } from '../../db/schema';
import { AGENT_VERSION } from '../../agent/version';
import type { Principal } from '../../lib/auth/roles';
import { planStatusSchema, serverPlanSchema } from '../../lib/contracts/plan';
import { planPathInputSchema, planProfileInputSchema, planProxyInputSchema, planTargetInputSchema } from '../../lib/plans/input';
import { backends } from '../helpers/databases';
import { ended, opened, path as eventPath } from '../helpers/events';

const ACTOR: Principal = { kind: 'cli', name: 'probe-plan test' };
const T0 = new Date('2026-12-01T10:00:00Z');

describe('canonicalJson', () => {
  it('sorts keys at every depth and leaves array order alone', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null }, u: undefined })).toBe('{"a":{"c":null,"d":[2,1]},"b":1}');
    expect(planVersion({ targets: [], proxies: [], profiles: [], paths: [] })).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe.each(backends())('a probe plan on $name', (backend) => {
  let database: Database;
  let eu: number;
  let us: number;
  let paths: { euOnly: number; all: number; byName: number; disabled: number };

  beforeAll(async () => {
    database = await backend.open();
    const db = database.db;
    eu = (await addProbe(db, { name: 'edge-eu', labels: { region: 'eu' } })).probe.id;
    us = (await addProbe(db, { name: 'edge-us', labels: { region: 'us' } })).probe.id;
    await createPlanTarget(db, planTargetInputSchema.parse({ name: 'app', url: 'ws://127.0.0.1:8080/ws', subprotocols: ['chat'] }), T0, ACTOR);
    await createPlanTarget(db, planTargetInputSchema.parse({ name: 'api', url: 'wss://api.example/ws', origin: 'https://api.example' }), T0, ACTOR);
    await createPlanTarget(db, planTargetInputSchema.parse({ name: 'unused', url: 'ws://127.0.0.1:9999/' }), T0, ACTOR);
    await createPlanProxy(db, planProxyInputSchema.parse({ name: 'lab', url: 'http://${DROPSCOPE_PROXY_LAB_USER}:${DROPSCOPE_PROXY_LAB_PASS}@127.0.0.1:3128' }), T0, ACTOR);
    await createPlanProxy(db, planProxyInputSchema.parse({ name: 'spare', url: 'socks5://127.0.0.1:1080' }), T0, ACTOR);
    await createPlanProfile(db, planProfileInputSchema.parse({ name: 'ladder-long', kind: 'ladder', gaps: ['15s', '86400s'], timeout: '10s' }), T0, ACTOR);
    await createPlanProfile(db, planProfileInputSchema.parse({ name: 'spare-profile', kind: 'idle' }), T0, ACTOR);
    const path = (body: Record<string, unknown>) => createPlanPath(db, planPathInputSchema.parse(body), T0, ACTOR).then((p) => p.id);
    paths = {
      euOnly: await path({ target: 'app', proxy: 'lab', profile: 'ladder-long', canaries: 2, probes: 'region=eu' }),
      all: await path({ target: 'app', proxy: 'direct', profile: 'idle' }),
      byName: await path({ target: 'api', proxy: 'direct', profile: 'heartbeat', probes: 'edge-us' }),
      disabled: await path({ target: 'unused', proxy: 'spare', profile: 'spare-profile', enabled: false }),
    };
  });
  afterAll(() => database.close());

  it('serves each probe the paths its selectors pick, and only the definitions those name', async () => {
    const plan = (await planForProbe(database.db, eu))!;
    expect(serverPlanSchema.safeParse(plan).success).toBe(true);
    expect(plan).toEqual({
      version: plan.version,
      revision: 11,
      probe: { name: 'edge-eu', labels: { region: 'eu' } },
      targets: [{ name: 'app', url: 'ws://127.0.0.1:8080/ws', headers: {}, subprotocols: ['chat'], tls: { verify: true } }],
      proxies: [
        { name: 'direct', url: 'direct' },
        { name: 'lab', url: 'http://${DROPSCOPE_PROXY_LAB_USER}:${DROPSCOPE_PROXY_LAB_PASS}@127.0.0.1:3128' },
      ],
      profiles: [{ name: 'ladder-long', kind: 'ladder', gaps: ['15s', '24h'], timeout: '10s' }],
      paths: [
        { id: paths.euOnly, targets: ['app'], proxies: ['lab'], profiles: ['ladder-long'], canaries: 2 },
        { id: paths.all, targets: ['app'], proxies: ['direct'], profiles: ['idle'], canaries: 1 },
      ],
    });
    const parsed = serverPlanSchema.parse(plan);
    expect(parsed.profiles[0]).toMatchObject({ gaps: [15_000, 86_400_000], timeout: 10_000 });

    const usPlan = (await planForProbe(database.db, us))!;
    expect(usPlan.paths.map((p) => p.id)).toEqual([paths.all, paths.byName]);
    expect(usPlan.targets.map((t) => t.name)).toEqual(['api', 'app']);
    expect(usPlan.targets[0]).toEqual({ name: 'api', url: 'wss://api.example/ws', headers: {}, subprotocols: [], origin: 'https://api.example', tls: { verify: true } });
    expect(usPlan.proxies).toEqual([{ name: 'direct', url: 'direct' }]);
    // heartbeat is built in: the probe has it, nothing to send.
    expect(usPlan.profiles).toEqual([]);
    expect(usPlan.version).not.toBe(plan.version);
    expect(await planForProbe(database.db, 999_999)).toBeNull();
  });

  it('keeps the version across edits that do not touch the probe, and changes it with one that does', async () => {
    const db = database.db;
    const before = (await planForProbe(db, eu))!;
    // Only edge-us runs "api"; the disabled path is nobody's.
    await replacePlanTarget(db, (await targetId('api'))!, planTargetInputSchema.parse({ name: 'api', url: 'wss://api.example/v2' }), T0, ACTOR);
    await replacePlanPath(db, paths.disabled, planPathInputSchema.parse({ target: 'unused', proxy: 'spare', profile: 'spare-profile', canaries: 5, enabled: false }), T0, ACTOR);
    const same = (await planForProbe(db, eu))!;
    expect(same.revision).toBeGreaterThan(before.revision);
    expect(same.version).toBe(before.version);

    await replacePlanPath(db, paths.all, planPathInputSchema.parse({ target: 'app', proxy: 'direct', profile: 'idle', canaries: 2 }), T0, ACTOR);
    const changed = (await planForProbe(db, eu))!;
    expect(changed.version).not.toBe(before.version);
    await replacePlanPath(db, paths.all, planPathInputSchema.parse({ target: 'app', proxy: 'direct', profile: 'idle' }), T0, ACTOR);
    expect((await planForProbe(db, eu))!.version).toBe(before.version);
  });

  it('changes the version when a label change changes what the selectors pick', async () => {
    const db = database.db;
    const before = (await planForProbe(db, us))!;
    await setProbeLabels(db, us, { region: 'us', rack: 'r1' });
    expect((await planForProbe(db, us))!.version).toBe(before.version);
    await setProbeLabels(db, us, { region: 'eu' });
    const moved = (await planForProbe(db, us))!;
    expect(moved.version).not.toBe(before.version);
    expect(moved.paths.map((p) => p.id)).toEqual([paths.euOnly, paths.all, paths.byName]);
    await setProbeLabels(db, us, { region: 'us' });
    expect((await planForProbe(db, us))!.version).toBe(before.version);
  });

  it('drops a deleted path from the plan', async () => {
    const db = database.db;
    const extra = await createPlanPath(db, planPathInputSchema.parse({ target: 'app', proxy: 'spare', profile: 'echo', probes: 'edge-eu' }), T0, ACTOR);
    const withExtra = (await planForProbe(db, eu))!;
    expect(withExtra.paths.map((p) => p.id)).toContain(extra.id);
    expect(withExtra.proxies.map((p) => p.name)).toContain('spare');
    await deletePlanPath(db, extra.id, T0, ACTOR);
    const without = (await planForProbe(db, eu))!;
    expect(without.paths.map((p) => p.id)).not.toContain(extra.id);
    expect(without.proxies.map((p) => p.name)).not.toContain('spare');
  });

  it('serves the probe its running experiments, durations as the plan writes them, and changes its version with them', async () => {
    const db = database.db;
    const now = new Date('2026-12-02T10:00:00Z');
    // The probe reads experiments: its agent told the server its version.
    await db.update(probes).set({ agentVersion: AGENT_VERSION }).where(eq(probes.id, eu));
    const before = (await planForProbe(db, eu, now))!;
    const usBefore = (await planForProbe(db, us, now))!;
    expect(before).not.toHaveProperty('experiments');
    const verify = await ensureExperiment(
      db,
      {
        probeId: eu,
        target: 'app',
        proxy: 'direct',
        kind: 'verify',
        profile: { name: 'verify-hb-35s', kind: 'heartbeat', interval: 35_000, timeout: 10_000, hold: 225_000 },
        canaries: 1,
        purpose: 'verify the recommended 35 s heartbeat against the 75.0 s idle cut',
        signature: { key: 'idle-75.0s', nMs: 75_000, kind: 'idle' },
        expiresAfterMs: 1_350_000,
      },
      now,
    );
    const keepalive = await ensureExperiment(
      db,
      {
        probeId: eu,
        target: 'app',
        proxy: 'lab',
        kind: 'keepalive',
        profile: { name: 'keepalive-25s', kind: 'keepalive', gap: 112_500, keepalive: 25_000, timeout: 10_000 },
        canaries: 1,
        purpose: 'L4 or L7',
        signature: { key: 'idle-75.0s', nMs: 75_000, kind: 'idle' },
        expiresAfterMs: 2 * 3_600_000,
      },
      now,
    );
    // Rolled back to an agent from before experiments, it is served none (it would refuse the plan).
    await db.update(probes).set({ agentVersion: '0.1.0' }).where(eq(probes.id, eu));
    expect(await planForProbe(db, eu, now)).not.toHaveProperty('experiments');
    await db.update(probes).set({ agentVersion: AGENT_VERSION }).where(eq(probes.id, eu));
    const plan = (await planForProbe(db, eu, now))!;
    expect(plan.experiments).toEqual([
      { id: verify.id, target: 'app', proxy: 'direct', profile: { name: 'verify-hb-35s', kind: 'heartbeat', interval: '35s', timeout: '10s', hold: '225s' }, canaries: 1, purpose: 'verify the recommended 35 s heartbeat against the 75.0 s idle cut' },
      { id: keepalive.id, target: 'app', proxy: 'lab', profile: { name: 'keepalive-25s', kind: 'keepalive', gap: '112500ms', keepalive: '25s', timeout: '10s' }, canaries: 1, purpose: 'L4 or L7' },
    ]);
    // What the probe parses is what was asked, to the millisecond.
    expect(serverPlanSchema.parse(plan).experiments.map((x) => x.profile)).toEqual([
      { name: 'verify-hb-35s', kind: 'heartbeat', interval: 35_000, timeout: 10_000, hold: 225_000 },
      { name: 'keepalive-25s', kind: 'keepalive', gap: 112_500, keepalive: 25_000, timeout: 10_000 },
    ]);
    expect(plan.version).not.toBe(before.version);
    expect(plan.revision).toBe(before.revision);
    // Another probe's plan is untouched.
    expect((await planForProbe(db, us, now))!.version).toBe(usBefore.version);

    // The verification held: it leaves the plan; the keepalive rung runs on until it expires.
    const id = 'probe-plan-held';
    const where = eventPath({ target: 'app', profile: 'verify-hb-35s' });
    const base = new Date(now.getTime() + 1000);
    await storeBatch(db, eu, [opened(id, { path: where }, base), ended(id, 225_000, { path: where, endKind: 'probe_closed', closeCode: 1000, closeReason: 'hold: held 225s with a 35s heartbeat' }, base)], now);
    const later = new Date(now.getTime() + 300_000);
    expect((await concludeExperiments(db, later)).map((x) => x.id)).toEqual([verify.id]);
    const afterHold = (await planForProbe(db, eu, later))!;
    expect(afterHold.experiments?.map((x) => x.id)).toEqual([keepalive.id]);
    expect(afterHold.version).not.toBe(plan.version);
    const expired = (await planForProbe(db, eu, new Date(now.getTime() + 2 * 3_600_000)))!;
    expect(expired).not.toHaveProperty('experiments');
    expect(expired.version).toBe(before.version);
  });

  it('records fetches and reports, and shows them per probe', async () => {
    const db = database.db;
    expect(await probePlanStatuses(db, [eu, us])).toEqual(new Map());
    await recordPlanFetch(db, eu, T0, '0123456789abcdef', 4);
    const later = new Date(T0.getTime() + 15_000);
    await recordPlanFetch(db, eu, later, 'fedcba9876543210', 5);
    const report = planStatusSchema.parse({
      appliedVersion: 'fedcba9876543210',
      paths: [
        { source: 'server', id: paths.euOnly, target: 'app', proxy: 'lab', profile: 'ladder-long', canaries: 4, open: 3, connecting: 1, backoff: 0, state: 'running' },
        { source: 'local', target: 'local-app', proxy: 'direct', profile: 'idle', canaries: 1, open: 1, connecting: 0, backoff: 0, state: 'running' },
      ],
    });
    await savePlanStatus(db, us, planStatusSchema.parse({ appliedVersion: null, rejected: { version: 'aaaa', issues: [{ path: 'profiles.0.kind', message: 'bad' }] }, paths: [] }), T0);
    await savePlanStatus(db, eu, report, later);

    const statuses = await probePlanStatuses(db, [eu, us, 999_999]);
    expect(statuses.get(eu)).toEqual({
      version: 'fedcba9876543210',
      revision: 5,
      fetchedAt: later.toISOString(),
      reportedAt: later.toISOString(),
      appliedVersion: 'fedcba9876543210',
      rejected: null,
      paths: [
        { source: 'server', id: paths.euOnly, target: 'app', proxy: 'lab', profile: 'ladder-long', canaries: 4, open: 3, connecting: 1, backoff: 0, state: 'running', reason: null, field: null },
        { source: 'local', id: null, target: 'local-app', proxy: 'direct', profile: 'idle', canaries: 1, open: 1, connecting: 0, backoff: 0, state: 'running', reason: null, field: null },
      ],
      truncated: false,
    });
    // Reported before ever fetching: the served columns stay empty.
    expect(statuses.get(us)).toMatchObject({ version: null, fetchedAt: null, reportedAt: T0.toISOString(), rejected: { version: 'aaaa', issues: [{ path: 'profiles.0.kind', message: 'bad' }] } });
    expect(statuses.has(999_999)).toBe(false);
    // A new fetch keeps the report; a new report keeps the fetch.
    await recordPlanFetch(db, us, later, '0123456789abcdef', 6);
    expect((await probePlanStatuses(db, [us])).get(us)).toMatchObject({ version: '0123456789abcdef', reportedAt: T0.toISOString() });
  });

  async function targetId(name: string): Promise<number | undefined> {
    return (await readFleetPlan(database.db)).targets.find((t) => t.name === name)?.id;
  }
});
