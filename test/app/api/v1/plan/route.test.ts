/**
 * The fleet plan API behind the real gate, on every backend: editors write, viewers read,
 * probe tokens are refused; bodies are validated naming the field; the store's refusals
 * become 400, 404 and 409.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../../../db/client';
import { listAudit } from '../../../../../db/queries/audit';
import type { FleetPlanView } from '../../../../../lib/plans/types';
import { backends } from '../../../../helpers/databases';
import { callWith, planTokens, servePlanRoutes, type PlanCaller, type PlanRoutesServer } from './serve-plan-routes';

type Problem = { error: { code: string; message: string; issues?: { path: string; message: string }[] } };

describe.each(backends())('/api/v1/plan on $name', (backend) => {
  let database: Database;
  let server: PlanRoutesServer;
  let tokens: Record<PlanCaller, string>;

  beforeAll(async () => {
    database = await backend.open();
    server = await servePlanRoutes(database);
    tokens = await planTokens(database);
  });
  afterAll(async () => {
    await server?.close();
    await database?.close();
  });

  const call = (as: PlanCaller, route: string, method = 'GET', body?: unknown) => callWith(server, tokens[as], route, method, body);
  const fieldsOf = async (res: Response) => ((await res.json()) as Problem).error.issues?.map((i) => i.path);

  it('lets editors create (201 with its location) and viewers only read', async () => {
    const made = await call('editor', '/api/v1/plan/targets', 'POST', { name: 'app', url: 'ws://127.0.0.1:8080/ws' });
    expect(made.status).toBe(201);
    const target = (await made.json()) as { id: number };
    expect(made.headers.get('location')).toBe(`/api/v1/plan/targets/${target.id}`);
    expect((await call('viewer', '/api/v1/plan/targets', 'POST', { name: 'app2', url: 'ws://127.0.0.1:8080/ws' })).status).toBe(403);
    expect((await call('viewer', `/api/v1/plan/targets/${target.id}`, 'DELETE')).status).toBe(403);

    const read = await call('viewer', '/api/v1/plan');
    expect(read.status).toBe(200);
    expect(read.headers.get('cache-control')).toBe('no-store');
    const plan = (await read.json()) as FleetPlanView;
    expect(plan).toMatchObject({ revision: 1, targets: [{ id: target.id, name: 'app' }], builtins: { proxies: ['direct'] } });
    expect((await call('viewer', `/api/v1/plan/targets/${target.id}`)).status).toBe(200);

    const audit = await listAudit(database.db, { limit: 5, subjectKind: 'plan_target' });
    expect(audit[0]).toMatchObject({ action: 'plan_target.create', actorKind: 'token', actorName: 'e' });
  });

  it('shows target header values (credentials, often) to editors only', async () => {
    const made = await call('editor', '/api/v1/plan/targets', 'POST', { name: 'authed', url: 'ws://127.0.0.1:8080/ws', headers: { Authorization: 'Bearer target-secret' } });
    const { id } = (await made.json()) as { id: number };
    for (const route of ['/api/v1/plan', `/api/v1/plan/targets/${id}`]) {
      const viewer = await (await call('viewer', route)).text();
      expect(viewer).toContain('"Authorization":"(hidden)"');
      expect(viewer).not.toContain('target-secret');
      expect(await (await call('editor', route)).text()).toContain('target-secret');
    }
    expect((await call('editor', `/api/v1/plan/targets/${id}`, 'DELETE')).status).toBe(204);
  });

  it('refuses a probe token on the plan API, saying where it may go', async () => {
    const res = await call('probe', '/api/v1/plan');
    expect(res.status).toBe(403);
    expect(((await res.json()) as Problem).error.message).toBe('a probe token may only use /api/v1/ingest and /api/v1/probe/plan');
    expect((await call('probe', '/api/v1/plan/targets', 'POST', { name: 'x', url: 'ws://127.0.0.1/' })).status).toBe(403);
  });

  it.each([
    ['/api/v1/plan/proxies', { name: 'corp', url: 'http://alice:hunter2@127.0.0.1:3128' }, 'url'],
    ['/api/v1/plan/proxies', { name: 'direct', url: 'direct' }, 'name'],
    ['/api/v1/plan/targets', { name: 'app3', url: 'http://127.0.0.1/' }, 'url'],
    ['/api/v1/plan/targets', { name: 'app3', url: 'ws://127.0.0.1/', tls: { caFile: '/etc/ca.pem' } }, 'tls.caFile'],
    ['/api/v1/plan/profiles', { name: 'p', kind: 'heartbeat', interval: 'often', timeout: '1s' }, 'interval'],
    ['/api/v1/plan/profiles', { name: 'p', kind: 'heartbeat', interval: '30s', timeout: '10s', hold: '500ms' }, 'hold'],
    ['/api/v1/plan/profiles', { name: 'p', kind: 'echo', interval: '1s', timeout: '1s', messageBytes: 1024, growTo: 512 }, 'growTo'],
    ['/api/v1/plan/profiles', { name: 'p', kind: 'bisect', from: '60s', max: '30s', timeout: '10s' }, 'max'],
    ['/api/v1/plan/profiles', { name: 'p', kind: 'keepalive', gap: '60s', keepalive: '60s', timeout: '10s' }, 'keepalive'],
    ['/api/v1/plan/profiles', { name: 'p', kind: 'keepalive', keepalive: '20s', timeout: '10s' }, 'gap'],
    ['/api/v1/plan/paths', { target: 'app', proxy: 'direct', profile: 'idle', probes: 'region = eu' }, 'probes'],
    ['/api/v1/plan/paths', { proxy: 'direct', profile: 'idle' }, 'target'],
  ])('refuses a bad body to %s with 400 naming %s', async (route, body, field) => {
    const res = await call('editor', route, 'POST', body);
    expect(res.status).toBe(400);
    expect(await fieldsOf(res)).toContain(field);
  });

  it("takes issue 18's profiles and settings, and answers them as the body writes them", async () => {
    const bodies = [
      { name: 'bisect-75', kind: 'bisect', from: '15s', max: '10m', timeout: '10s' },
      { name: 'keepalive-25s', kind: 'keepalive', gap: '112500ms', keepalive: '25s', timeout: '10s' },
      { name: 'verify-hb-30s', kind: 'heartbeat', interval: '30s', timeout: '10s', hold: '225s' },
      { name: 'echo-grow', kind: 'echo', interval: '1s', timeout: '5s', messageBytes: 64, growTo: 1_048_576 },
    ];
    for (const body of bodies) {
      const made = await call('editor', '/api/v1/plan/profiles', 'POST', body);
      expect(made.status).toBe(201);
      const { id } = (await made.json()) as { id: number };
      expect(await (await call('viewer', `/api/v1/plan/profiles/${id}`)).json()).toMatchObject(body);
      expect((await call('editor', `/api/v1/plan/profiles/${id}`, 'DELETE')).status).toBe(204);
    }
  });

  it('answers the store refusals: an unknown reference 400, a taken name 409, in use 409, missing 404', async () => {
    const unknown = await call('editor', '/api/v1/plan/paths', 'POST', { target: 'nope', proxy: 'direct', profile: 'idle' });
    expect(unknown.status).toBe(400);
    const p = (await unknown.json()) as Problem;
    expect(p.error.code).toBe('PLAN_ERR_UNKNOWN_REF');
    expect(p.error.issues?.map((i) => i.path)).toEqual(['target']);
    expect((await call('editor', '/api/v1/plan/paths', 'POST', { target: 'app', proxy: 'nope', profile: 'idle' })).status).toBe(400);

    const taken = await call('editor', '/api/v1/plan/targets', 'POST', { name: 'app', url: 'ws://127.0.0.1:1/' });
    expect(taken.status).toBe(409);
    expect(await fieldsOf(taken)).toEqual(['name']);

    const proxy = (await (await call('editor', '/api/v1/plan/proxies', 'POST', { name: 'lab', url: 'http://${DROPSCOPE_PROXY_U}:${DROPSCOPE_PROXY_P}@127.0.0.1:3128' })).json()) as { id: number };
    const path = await call('editor', '/api/v1/plan/paths', 'POST', { target: 'app', proxy: 'lab', profile: 'idle', probes: 'region=eu' });
    expect(path.status).toBe(201);
    const { id: pathId } = (await path.json()) as { id: number };
    const inUse = await call('editor', `/api/v1/plan/proxies/${proxy.id}`, 'DELETE');
    expect(inUse.status).toBe(409);
    const problem = (await inUse.json()) as Problem;
    expect(problem.error.code).toBe('PLAN_ERR_IN_USE');
    expect(problem.error.message).toContain(`path ${pathId}`);

    const put = await call('editor', `/api/v1/plan/paths/${pathId}`, 'PUT', { target: 'app', proxy: 'lab', profile: 'idle', probes: 'region=eu', canaries: 3 });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ id: pathId, canaries: 3 });
    expect((await call('editor', `/api/v1/plan/paths/${pathId}`, 'DELETE')).status).toBe(204);
    expect((await call('viewer', `/api/v1/plan/paths/${pathId}`)).status).toBe(404);
    expect((await call('editor', `/api/v1/plan/paths/${pathId}`, 'PUT', { target: 'app', proxy: 'lab', profile: 'idle' })).status).toBe(404);
    expect((await call('editor', `/api/v1/plan/paths/${pathId}`, 'DELETE')).status).toBe(404);
    expect((await call('viewer', '/api/v1/plan/paths/abc')).status).toBe(400);
    expect((await call('editor', `/api/v1/plan/proxies/${proxy.id}`, 'DELETE')).status).toBe(204);
  });
});
