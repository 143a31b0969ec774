/**
 * GET /api/v1/probe/plan and POST /api/v1/probe/plan/status behind the real gate, on every
 * backend: a probe token reads its own plan and no other, with an ETag and 304; bad,
 * revoked and canary-target tokens are refused; a status report is kept, validated and capped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../../../db/client';
import { createApiToken } from '../../../../../db/queries/api-tokens';
import { probePlanStatuses } from '../../../../../db/queries/probe-plan';
import { addProbe, revokeProbe } from '../../../../../db/queries/probes';
import { PLAN_PATH, PLAN_STATUS_PATH, serverPlanSchema, type ServerPlanWire } from '../../../../../lib/contracts/plan';
import { backends } from '../../../../helpers/databases';
import { servePlanRoutes, type PlanRoutesServer } from '../plan/serve-plan-routes';

type Problem = { error: { code: string; message: string; issues?: { path: string; message: string }[] } };

describe.each(backends())('the probe plan routes on $name', (backend) => {
  let database: Database;
  let server: PlanRoutesServer;
  let editor: string;
  const probes: Record<'eu' | 'us' | 'target' | 'gone', { id: number; token: string }> = {} as never;

  beforeAll(async () => {
    database = await backend.open();
    server = await servePlanRoutes(database);
    const db = database.db;
    editor = (await createApiToken(db, { name: 'e', role: 'editor', expiresAt: null, createdBy: null }, new Date())).token;
    const add = async (name: string, labels: Record<string, string>, kind: 'probe' | 'target' = 'probe') => {
      const made = await addProbe(db, { name, labels, kind });
      return { id: made.probe.id, token: made.token };
    };
    probes.eu = await add('edge-eu', { region: 'eu' });
    probes.us = await add('edge-us', { region: 'us' });
    probes.target = await add('canary-target', {}, 'target');
    probes.gone = await add('edge-gone', { region: 'eu' });
    const post = async (route: string, body: unknown) => {
      const res = await fetch(`${server.base}${route}`, { method: 'POST', headers: { authorization: `Bearer ${editor}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.status).toBe(201);
    };
    await post('/api/v1/plan/targets', { name: 'app', url: 'ws://127.0.0.1:8080/ws' });
    await post('/api/v1/plan/proxies', { name: 'lab', url: 'http://${DROPSCOPE_PROXY_U}:${DROPSCOPE_PROXY_P}@127.0.0.1:3128' });
    await post('/api/v1/plan/paths', { target: 'app', proxy: 'lab', profile: 'idle', probes: 'region=eu' });
  });
  afterAll(async () => {
    await server?.close();
    await database?.close();
  });

  const get = (token: string | null, headers: Record<string, string> = {}, query = '') =>
    fetch(`${server.base}${PLAN_PATH}${query}`, { headers: { ...(token && { authorization: `Bearer ${token}` }), ...headers } });
  const report = (token: string | null, body: unknown, contentType = 'application/json') =>
    fetch(`${server.base}${PLAN_STATUS_PATH}`, {
      method: 'POST',
      headers: { ...(token && { authorization: `Bearer ${token}` }), 'content-type': contentType },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('serves a probe its own plan with the version as ETag, then 304, and records both fetches', async () => {
    const res = await get(probes.eu.token);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('private, no-cache');
    const plan = (await res.json()) as ServerPlanWire;
    expect(serverPlanSchema.safeParse(plan).success).toBe(true);
    expect(res.headers.get('etag')).toBe(`"${plan.version}"`);
    expect(plan.probe).toEqual({ name: 'edge-eu', labels: { region: 'eu' } });
    expect(plan.paths).toHaveLength(1);
    expect(plan.proxies).toEqual([{ name: 'lab', url: 'http://${DROPSCOPE_PROXY_U}:${DROPSCOPE_PROXY_P}@127.0.0.1:3128' }]);
    const first = (await probePlanStatuses(database.db, [probes.eu.id])).get(probes.eu.id)!;
    expect(first).toMatchObject({ version: plan.version, revision: plan.revision });

    for (const tag of [`"${plan.version}"`, `W/"${plan.version}"`, `"0000000000000000", "${plan.version}"`]) {
      const again = await get(probes.eu.token, { 'if-none-match': tag });
      expect(again.status).toBe(304);
      expect(again.headers.get('etag')).toBe(`"${plan.version}"`);
      expect(await again.text()).toBe('');
    }
    expect((await get(probes.eu.token, { 'if-none-match': '"0000000000000000"' })).status).toBe(200);
    const second = (await probePlanStatuses(database.db, [probes.eu.id])).get(probes.eu.id)!;
    expect(Date.parse(second.fetchedAt!)).toBeGreaterThanOrEqual(Date.parse(first.fetchedAt!));
  });

  it('never serves another probe its plan: the token decides whose it is', async () => {
    const us = (await (await get(probes.us.token)).json()) as ServerPlanWire;
    expect(us.probe.name).toBe('edge-us');
    expect(us.paths).toEqual([]);
    // Nothing in the request can name another probe.
    const asked = (await (await get(probes.us.token, {}, '?probe=edge-eu&probeId=' + probes.eu.id)).json()) as ServerPlanWire;
    expect(asked).toEqual(us);
  });

  it('refuses a missing, malformed, revoked or canary-target token, and a user API token', async () => {
    const missing = await get(null);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toContain('Bearer');
    expect((await get(`${probes.eu.token.slice(0, -2)}AA`)).status).toBe(401);
    expect((await get('dsp_1_short')).status).toBe(401);
    expect((await get(editor)).status).toBe(401);

    expect((await get(probes.gone.token)).status).toBe(200);
    await revokeProbe(database.db, 'edge-gone', new Date());
    const revoked = await get(probes.gone.token);
    expect(revoked.status).toBe(401);
    expect(((await revoked.json()) as Problem).error.code).toBe('PLAN_ERR_UNAUTHORIZED');

    const target = await get(probes.target.token);
    expect(target.status).toBe(403);
    expect(((await target.json()) as Problem).error.code).toBe('PLAN_ERR_FORBIDDEN');
    expect((await report(probes.target.token, { appliedVersion: null, paths: [] })).status).toBe(403);
  });

  it('keeps a status report (204) and shows it for the token own probe only', async () => {
    const body = {
      appliedVersion: 'abcdef0123456789',
      paths: [
        { source: 'server', id: 1, target: 'app', proxy: 'lab', profile: 'idle', canaries: 1, open: 0, connecting: 0, backoff: 0, state: 'unconfigured', reason: 'environment variable DROPSCOPE_PROXY_U is not set on this probe', field: 'proxies.0.url' },
      ],
    };
    const res = await report(probes.us.token, body);
    expect(res.status).toBe(204);
    const statuses = await probePlanStatuses(database.db, [probes.us.id, probes.eu.id]);
    expect(statuses.get(probes.us.id)).toMatchObject({ appliedVersion: 'abcdef0123456789', paths: [{ state: 'unconfigured', field: 'proxies.0.url' }] });
    expect(statuses.get(probes.eu.id)?.reportedAt).toBeNull();
  });

  it('refuses a bad report naming the field, a huge one with 413, and one not sent as JSON', async () => {
    const bad = await report(probes.eu.token, { appliedVersion: null, paths: [{ source: 'cloud' }] });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Problem).error.issues?.map((i) => i.path)).toContain('paths.0.source');
    expect((await report(probes.eu.token, '{nope')).status).toBe(400);
    expect((await report(probes.eu.token, { appliedVersion: null, paths: [] }, 'text/plain')).status).toBe(415);
    // A body just under the cap is read (and refused by the schema), one over it is not read.
    const pad = (n: number) => JSON.stringify({ appliedVersion: null, paths: [], pad: 'x'.repeat(n) });
    expect((await report(probes.eu.token, pad(200 * 1024))).status).toBe(400);
    expect((await report(probes.eu.token, pad(256 * 1024))).status).toBe(413);
    expect((await report(null, { appliedVersion: null, paths: [] })).status).toBe(401);
  });
});
