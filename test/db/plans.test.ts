/**
 * The fleet plan store on every backend: create, read, replace and delete each kind of
 * entry; every write bumps the revision and leaves an audit record without secrets; an
 * entry in use and a name that refers to nothing are refused with the field named.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { listAudit } from '../../db/queries/audit';
import {
  createPlanPath,
  createPlanProfile,
  createPlanProxy,
  createPlanTarget,
  deletePlanPath,
  deletePlanProfile,
  deletePlanProxy,
  deletePlanTarget,
  getPlanPath,
  getPlanProfile,
  getPlanTarget,
  PlanError,
  readFleetPlan,
  readPlanRevision,
  replacePlanPath,
  replacePlanProfile,
  replacePlanProxy,
  replacePlanTarget,
} from '../../db/queries/plans';
import type { Principal } from '../../lib/auth/roles';
import { planPathInputSchema, planProfileInputSchema, planProxyInputSchema, planTargetInputSchema } from '../../lib/plans/input';
import { backends } from '../helpers/databases';

const ACTOR: Principal = { kind: 'user', id: 'u1', name: 'Ed', email: 'ed@example.test', role: 'editor' };
const T0 = new Date('2026-12-01T10:00:00Z');

const target = (over: Record<string, unknown> = {}) => planTargetInputSchema.parse({ name: 'app', url: 'ws://127.0.0.1:8080/ws', headers: { Authorization: 'Bearer sekrit-header' }, ...over });
const proxy = (over: Record<string, unknown> = {}) => planProxyInputSchema.parse({ name: 'lab', url: 'http://${DROPSCOPE_PROXY_U}:${DROPSCOPE_PROXY_P}@127.0.0.1:3128', ...over });
const profile = (over: Record<string, unknown> = {}) => planProfileInputSchema.parse({ name: 'slow', kind: 'heartbeat', interval: '25s', timeout: '10s', ...over });
const path = (over: Record<string, unknown> = {}) => planPathInputSchema.parse({ target: 'app', proxy: 'lab', profile: 'slow', ...over });

async function refusal(p: Promise<unknown>): Promise<{ code: string; field: string | undefined; message: string }> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof PlanError)) throw new Error(`expected a PlanError, got ${String(err)}`);
  return { code: err.code, field: err.field, message: err.message };
}

describe.each(backends())('the fleet plan store on $name', (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await backend.open();
  });
  afterAll(() => database.close());

  it('reads an empty plan at revision 0 with the built-in names', async () => {
    expect(await readFleetPlan(database.db)).toEqual({
      revision: 0,
      builtins: { profiles: ['idle', 'heartbeat', 'echo', 'ladder', 'bisect'], proxies: ['direct'] },
      targets: [],
      proxies: [],
      profiles: [],
      paths: [],
    });
  });

  it('creates, replaces and deletes every kind, bumping the revision once per write', async () => {
    const db = database.db;
    const t = await createPlanTarget(db, target(), T0, ACTOR);
    expect(t).toMatchObject({ name: 'app', url: 'ws://127.0.0.1:8080/ws', headers: { Authorization: 'Bearer sekrit-header' }, subprotocols: [], origin: null, tls: { verify: true, servername: null } });
    const x = await createPlanProxy(db, proxy(), T0, ACTOR);
    const pr = await createPlanProfile(db, profile(), T0, ACTOR);
    expect(pr).toMatchObject({ name: 'slow', kind: 'heartbeat', interval: '25s', timeout: '10s' });
    const p = await createPlanPath(db, path({ canaries: 3, probes: 'region=eu' }), T0, ACTOR);
    expect(p).toMatchObject({ target: 'app', proxy: 'lab', profile: 'slow', canaries: 3, probes: 'region=eu', enabled: true });
    expect(await readPlanRevision(db)).toBe(4);

    const later = new Date(T0.getTime() + 60_000);
    const renamed = await replacePlanTarget(db, t.id, target({ name: 'app2', origin: 'https://app.example', tls: { verify: false } }), later, ACTOR);
    expect(renamed).toMatchObject({ id: t.id, name: 'app2', origin: 'https://app.example', tls: { verify: false, servername: null }, updatedAt: later.toISOString(), createdAt: T0.toISOString() });
    // The path follows the target's rename: it refers to it by id.
    expect((await getPlanPath(db, p.id))?.target).toBe('app2');
    await replacePlanProxy(db, x.id, proxy({ url: 'socks5h://127.0.0.1:1080' }), later, ACTOR);
    await replacePlanProfile(db, pr.id, planProfileInputSchema.parse({ name: 'slow', kind: 'ladder', gaps: ['15s', '24h'], timeout: 5 }), later, ACTOR);
    await replacePlanPath(db, p.id, path({ target: 'app2', proxy: 'direct', profile: 'idle', enabled: false }), later, ACTOR);
    expect(await readPlanRevision(db)).toBe(8);

    const plan = await readFleetPlan(db);
    expect(plan.revision).toBe(8);
    expect(plan.proxies).toMatchObject([{ name: 'lab', url: 'socks5h://127.0.0.1:1080' }]);
    expect(plan.profiles).toMatchObject([{ name: 'slow', kind: 'ladder', gaps: ['15s', '24h'], timeout: '5s' }]);
    expect(plan.paths).toMatchObject([{ id: p.id, target: 'app2', proxy: 'direct', profile: 'idle', canaries: 1, probes: '*', enabled: false }]);

    await deletePlanPath(db, p.id, later, ACTOR);
    await deletePlanProfile(db, pr.id, later, ACTOR);
    await deletePlanProxy(db, x.id, later, ACTOR);
    await deletePlanTarget(db, t.id, later, ACTOR);
    expect(await readFleetPlan(db)).toMatchObject({ revision: 12, targets: [], proxies: [], profiles: [], paths: [] });
    expect(await getPlanTarget(db, t.id)).toBeNull();
  });

  it('records each write in the audit log as the actor, without header values', async () => {
    const entries = await listAudit(database.db, { limit: 100 });
    const actions = entries.map((e) => e.action).reverse();
    expect(actions).toEqual([
      'plan_target.create',
      'plan_proxy.create',
      'plan_profile.create',
      'plan_path.create',
      'plan_target.update',
      'plan_proxy.update',
      'plan_profile.update',
      'plan_path.update',
      'plan_path.delete',
      'plan_profile.delete',
      'plan_proxy.delete',
      'plan_target.delete',
    ]);
    expect(entries.every((e) => e.actorKind === 'user' && e.actorName === 'ed@example.test')).toBe(true);
    expect(JSON.stringify(entries)).not.toContain('sekrit-header');
    const created = entries.find((e) => e.action === 'plan_target.create')!;
    expect(created.after).toMatchObject({ name: 'app', headers: { Authorization: '(not logged)' } });
    const proxyUpdate = entries.find((e) => e.action === 'plan_proxy.update')!;
    expect(proxyUpdate.before).toMatchObject({ url: 'http://${DROPSCOPE_PROXY_U}:${DROPSCOPE_PROXY_P}@127.0.0.1:3128' });
  });

  it('refuses a taken name, an unknown reference and a duplicate path, naming the field, and changes nothing', async () => {
    const db = database.db;
    await createPlanTarget(db, target({ name: 'refs' }), T0, ACTOR);
    await createPlanProxy(db, proxy({ name: 'refs-proxy' }), T0, ACTOR);
    const revision = await readPlanRevision(db);
    expect(await refusal(createPlanTarget(db, target({ name: 'refs' }), T0, ACTOR))).toMatchObject({ code: 'PLAN_ERR_NAME_TAKEN', field: 'name' });
    expect(await refusal(createPlanPath(db, path({ target: 'nope', proxy: 'direct', profile: 'idle' }), T0, ACTOR))).toMatchObject({ code: 'PLAN_ERR_UNKNOWN_REF', field: 'target' });
    expect(await refusal(createPlanPath(db, path({ target: 'refs', proxy: 'nope', profile: 'idle' }), T0, ACTOR))).toMatchObject({ code: 'PLAN_ERR_UNKNOWN_REF', field: 'proxy' });
    expect(await refusal(createPlanPath(db, path({ target: 'refs', proxy: 'direct', profile: 'nope' }), T0, ACTOR))).toMatchObject({ code: 'PLAN_ERR_UNKNOWN_REF', field: 'profile' });
    expect(await readPlanRevision(db)).toBe(revision);

    const p = await createPlanPath(db, path({ target: 'refs', proxy: 'direct', profile: 'idle' }), T0, ACTOR);
    expect(await refusal(createPlanPath(db, path({ target: 'refs', proxy: 'direct', profile: 'idle', canaries: 4 }), T0, ACTOR))).toMatchObject({ code: 'PLAN_ERR_PATH_EXISTS', field: 'probes' });
    // The same path on other probes is another path.
    const other = await createPlanPath(db, path({ target: 'refs', proxy: 'direct', profile: 'idle', probes: 'edge-1' }), T0, ACTOR);
    expect(await refusal(replacePlanPath(db, other.id, path({ target: 'refs', proxy: 'direct', profile: 'idle' }), T0, ACTOR))).toMatchObject({ code: 'PLAN_ERR_PATH_EXISTS' });
    await deletePlanPath(db, other.id, T0, ACTOR);
    expect(await refusal(replacePlanPath(db, 999_999, path(), T0, ACTOR))).toMatchObject({ code: 'PLAN_ERR_NOT_FOUND' });
    expect(await refusal(deletePlanTarget(db, 999_999, T0, ACTOR))).toMatchObject({ code: 'PLAN_ERR_NOT_FOUND' });
    await deletePlanPath(db, p.id, T0, ACTOR);
  });

  it('refuses to delete a target, proxy or profile a path uses, naming the path ids', async () => {
    const db = database.db;
    const t = await createPlanTarget(db, target({ name: 'used' }), T0, ACTOR);
    const x = await createPlanProxy(db, proxy({ name: 'used-proxy' }), T0, ACTOR);
    const pr = await createPlanProfile(db, profile({ name: 'used-profile' }), T0, ACTOR);
    const a = await createPlanPath(db, path({ target: 'used', proxy: 'used-proxy', profile: 'used-profile' }), T0, ACTOR);
    const b = await createPlanPath(db, path({ target: 'used', proxy: 'used-proxy', profile: 'used-profile', probes: 'region=us' }), T0, ACTOR);
    const revision = await readPlanRevision(db);
    for (const attempt of [() => deletePlanTarget(db, t.id, T0, ACTOR), () => deletePlanProxy(db, x.id, T0, ACTOR), () => deletePlanProfile(db, pr.id, T0, ACTOR)]) {
      const r = await refusal(attempt());
      expect(r.code).toBe('PLAN_ERR_IN_USE');
      expect(r.message).toContain(`paths ${a.id}, ${b.id}`);
    }
    // Paths name profiles by name: a rename would strand them.
    expect(await refusal(replacePlanProfile(db, pr.id, profile({ name: 'renamed' }), T0, ACTOR))).toMatchObject({ code: 'PLAN_ERR_IN_USE', field: 'name' });
    expect(await readPlanRevision(db)).toBe(revision);
    await deletePlanPath(db, a.id, T0, ACTOR);
    await deletePlanPath(db, b.id, T0, ACTOR);
    await deletePlanProfile(db, pr.id, T0, ACTOR);
    await deletePlanProxy(db, x.id, T0, ACTOR);
    await deletePlanTarget(db, t.id, T0, ACTOR);
  });

  it('lets a defined profile take a built-in name, and go while paths use it', async () => {
    const db = database.db;
    await createPlanTarget(db, target({ name: 'hb' }), T0, ACTOR);
    const pr = await createPlanProfile(db, profile({ name: 'heartbeat', interval: '5s' }), T0, ACTOR);
    const p = await createPlanPath(db, path({ target: 'hb', proxy: 'direct', profile: 'heartbeat' }), T0, ACTOR);
    await deletePlanProfile(db, pr.id, T0, ACTOR);
    expect((await getPlanPath(db, p.id))?.profile).toBe('heartbeat');
  });

  // Issue 18's kinds and settings: stored in ms, shown as the body writes them, and read back
  // by the profile schema (what a probe is served) to the same values.
  it.each([
    [{ kind: 'bisect', timeout: '10s' }, { kind: 'bisect', from: '15s', max: '30m', timeout: '10s' }],
    [{ kind: 'bisect', from: '20s', max: '10m', timeout: '2s' }, { kind: 'bisect', from: '20s', max: '10m', timeout: '2s' }],
    [{ kind: 'keepalive', gap: '112500ms', keepalive: '25s', timeout: '10s' }, { kind: 'keepalive', gap: '112500ms', keepalive: '25s', timeout: '10s' }],
    [{ kind: 'heartbeat', interval: '30s', timeout: '10s', hold: '225s' }, { kind: 'heartbeat', interval: '30s', timeout: '10s', hold: '225s' }],
    [{ kind: 'heartbeat', interval: '30s', timeout: '10s' }, { kind: 'heartbeat', interval: '30s', timeout: '10s' }],
    [{ kind: 'echo', interval: '1s', timeout: '5s', messageBytes: 1024, growTo: 65_536 }, { kind: 'echo', interval: '1s', timeout: '5s', messageBytes: 1024, growTo: 65_536 }],
    [{ kind: 'echo', interval: '1s', timeout: '5s' }, { kind: 'echo', interval: '1s', timeout: '5s', messageBytes: 64 }],
  ])('stores the profile %j and shows it as %j, which reads back the same', async (body, shown) => {
    const db = database.db;
    const name = `p18-${shown.kind}-${Object.keys(body).length}-${'hold' in body || 'growTo' in body ? 'x' : 'o'}`;
    const input = planProfileInputSchema.parse({ name, ...body });
    const made = await createPlanProfile(db, input, T0, ACTOR);
    const { id: _id, createdAt: _c, updatedAt: _u, ...view } = made;
    expect(view).toEqual({ name, ...shown });
    expect(await getPlanProfile(db, made.id)).toEqual(made);
    expect((await readFleetPlan(db)).profiles.find((p) => p.id === made.id)).toEqual(made);
    // A form sends back the row it was given; the probe parses the served settings with the same schema.
    expect(planProfileInputSchema.parse(view)).toEqual(input);
    // Dropping an optional setting on replace drops it from the row.
    if ('hold' in body || 'growTo' in body) {
      const { hold: _h, growTo: _g, ...without } = body as Record<string, unknown>;
      const replaced = await replacePlanProfile(db, made.id, planProfileInputSchema.parse({ name, ...without }), T0, ACTOR);
      expect(replaced).not.toHaveProperty('hold');
      expect(replaced).not.toHaveProperty('growTo');
    }
    await deletePlanProfile(db, made.id, T0, ACTOR);
  });

  it('runs concurrent writes one after another: every one counts in the revision', async () => {
    const db = database.db;
    const before = await readPlanRevision(db);
    await Promise.all(Array.from({ length: 6 }, (_, i) => createPlanTarget(db, target({ name: `par-${i}` }), T0, ACTOR)));
    expect(await readPlanRevision(db)).toBe(before + 6);
  });
});
