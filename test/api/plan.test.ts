/**
 * The fleet plan API and a probe's plan through the real built server (Next's routing, the
 * gate, the database): editors write and viewers do not; a probe token reads only its own
 * plan, with ETag and 304, is refused on the dashboard's plan API and after revocation; a
 * target token has no plan; a probe's status report shows on GET /api/v1/probes.
 *
 * Needs a build (`npm run build`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLAN_PATH, PLAN_STATUS_PATH, serverPlanSchema, type ServerPlanWire } from '../../lib/contracts/plan';
import { createApiToken, startServer, type RunningServer } from '../helpers/server';

type Problem = { error: { code: string; message: string; issues?: { path: string; message: string }[] } };

let server: RunningServer;
let editor: string;
let viewer: string;
const probes: Record<string, { id: number; token: string }> = {};

beforeAll(async () => {
  server = await startServer();
  editor = await createApiToken(server, 'editor');
  viewer = await createApiToken(server, 'viewer');
  for (const [name, labels, kind] of [
    ['edge-eu', { region: 'eu' }, 'probe'],
    ['edge-us', { region: 'us' }, 'probe'],
    ['canary-target', {}, 'target'],
  ] as const) {
    const res = await server.api('/api/v1/probes', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, labels, kind }) });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { probe: { id: number }; token: string };
    probes[name] = { id: body.probe.id, token: body.token };
  }
}, 120_000);
afterAll(async () => {
  await server?.dispose();
});

const bearer = (token: string, init: RequestInit = {}, headers: Record<string, string> = {}) => ({ ...init, headers: { authorization: `Bearer ${token}`, ...headers } });
const write = (token: string, method: string, route: string, body: unknown) =>
  fetch(`${server.url}${route}`, bearer(token, { method, body: JSON.stringify(body) }, { 'content-type': 'application/json' }));

describe('the fleet plan API', () => {
  it('lets editors write (201), refuses viewers (403) and names bad fields (400)', async () => {
    const target = await write(editor, 'POST', '/api/v1/plan/targets', { name: 'app', url: 'ws://127.0.0.1:9/ws' });
    expect(target.status).toBe(201);
    expect(target.headers.get('location')).toMatch(/^\/api\/v1\/plan\/targets\/[0-9]+$/);
    expect((await write(viewer, 'POST', '/api/v1/plan/targets', { name: 'app2', url: 'ws://127.0.0.1:9/ws' })).status).toBe(403);
    expect((await fetch(`${server.url}/api/v1/plan`, bearer(viewer))).status).toBe(200);

    for (const [route, body, field] of [
      ['/api/v1/plan/proxies', { name: 'corp', url: 'http://alice:hunter2@127.0.0.1:3128' }, 'url'],
      ['/api/v1/plan/paths', { target: 'app', profile: 'idle', probes: 'region = eu' }, 'probes'],
      ['/api/v1/plan/paths', { target: 'nope', profile: 'idle' }, 'target'],
    ] as const) {
      const res = await write(editor, 'POST', route, body);
      expect(res.status).toBe(400);
      expect(((await res.json()) as Problem).error.issues?.map((i) => i.path)).toContain(field);
    }
    expect((await write(editor, 'POST', '/api/v1/plan/paths', { target: 'app', profile: 'idle', probes: 'region=eu' })).status).toBe(201);
  });
});

describe('a probe plan', () => {
  const plan = (token: string, headers: Record<string, string> = {}) => fetch(`${server.url}${PLAN_PATH}`, bearer(token, {}, headers));

  it('serves a probe only its own plan, then 304 for the version it has', async () => {
    const res = await plan(probes['edge-eu']!.token);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as ServerPlanWire;
    expect(serverPlanSchema.safeParse(doc).success).toBe(true);
    expect(doc.probe.name).toBe('edge-eu');
    expect(doc.paths).toHaveLength(1);
    expect(res.headers.get('etag')).toBe(`"${doc.version}"`);
    expect((await plan(probes['edge-eu']!.token, { 'if-none-match': `"${doc.version}"` })).status).toBe(304);

    const us = (await (await plan(probes['edge-us']!.token)).json()) as ServerPlanWire;
    expect(us.probe.name).toBe('edge-us');
    expect(us.paths).toEqual([]);
  });

  it('refuses a probe token on the dashboard plan API, a target token, and a revoked token', async () => {
    const dashboard = await fetch(`${server.url}/api/v1/plan`, bearer(probes['edge-eu']!.token));
    expect(dashboard.status).toBe(403);
    expect(((await dashboard.json()) as Problem).error.message).toContain('/api/v1/probe/plan');
    expect((await plan(probes['canary-target']!.token)).status).toBe(403);
    expect((await fetch(`${server.url}${PLAN_PATH}`)).status).toBe(401);
  });

  it('shows a status report on GET /api/v1/probes', async () => {
    const report = {
      appliedVersion: null,
      paths: [{ source: 'server', id: 1, target: 'app', proxy: 'direct', profile: 'idle', canaries: 1, open: 0, connecting: 0, backoff: 1, state: 'unconfigured', reason: 'environment variable X is not set on this probe', field: 'proxies.0.url' }],
    };
    const res = await fetch(`${server.url}${PLAN_STATUS_PATH}`, bearer(probes['edge-us']!.token, { method: 'POST', body: JSON.stringify(report) }, { 'content-type': 'application/json' }));
    expect(res.status).toBe(204);
    const list = (await (await fetch(`${server.url}/api/v1/probes`, bearer(viewer))).json()) as { probes: { name: string; plan: { fetchedAt: string | null; paths: { state: string; reason: string | null }[] } | null }[] };
    const us = list.probes.find((p) => p.name === 'edge-us')!;
    expect(us.plan?.fetchedAt).not.toBeNull();
    expect(us.plan?.paths).toMatchObject([{ state: 'unconfigured', reason: 'environment variable X is not set on this probe' }]);
  });

  it('answers 401 once the probe is revoked', async () => {
    const token = probes['edge-eu']!.token;
    expect((await plan(token)).status).toBe(200);
    expect((await server.api(`/api/v1/probes/${probes['edge-eu']!.id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await plan(token)).status).toBe(401);
  });
});
