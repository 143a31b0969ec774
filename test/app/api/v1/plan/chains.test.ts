/**
 * /api/v1/plan/chains behind the real gate, on every backend: viewers list and read,
 * editors declare, replace and delete; hops are 2 to 10 target names, each once, with the
 * field named when not; a taken name is 409 and a missing chain 404; every write is audited
 * and none bumps the plan's revision (probes do not read chains). chainList gives the
 * analysis the chains by name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../../../db/client';
import { listAudit } from '../../../../../db/queries/audit';
import { chainList } from '../../../../../db/queries/chains';
import { readPlanRevision } from '../../../../../db/queries/plans';
import type { PlanChainView } from '../../../../../lib/plans/types';
import { backends } from '../../../../helpers/databases';
import { callWith, planTokens, servePlanRoutes, type PlanCaller, type PlanRoutesServer } from './serve-plan-routes';

type Problem = { error: { code: string; message: string; issues?: { path: string; message: string }[] } };

describe.each(backends())('/api/v1/plan/chains on $name', (backend) => {
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
  const problemOf = async (res: Response) => ((await res.json()) as Problem).error;

  it('lets editors declare, replace and delete a chain and viewers only read, auditing each write without a revision bump', async () => {
    expect(await (await call('viewer', '/api/v1/plan/chains')).json()).toEqual([]);
    const made = await call('editor', '/api/v1/plan/chains', 'POST', { name: 'shop', hops: ['cdn', 'lb', 'app'] });
    expect(made.status).toBe(201);
    const chain = (await made.json()) as PlanChainView;
    expect(chain).toMatchObject({ name: 'shop', hops: ['cdn', 'lb', 'app'] });
    expect(made.headers.get('location')).toBe(`/api/v1/plan/chains/${chain.id}`);

    expect((await call('viewer', '/api/v1/plan/chains', 'POST', { name: 'x', hops: ['a', 'b'] })).status).toBe(403);
    expect((await call('viewer', `/api/v1/plan/chains/${chain.id}`, 'PUT', { name: 'shop', hops: ['a', 'b'] })).status).toBe(403);
    expect((await call('viewer', `/api/v1/plan/chains/${chain.id}`, 'DELETE')).status).toBe(403);
    expect((await call('probe', '/api/v1/plan/chains')).status).toBe(403);

    const list = await call('viewer', '/api/v1/plan/chains');
    expect(list.status).toBe(200);
    expect(list.headers.get('cache-control')).toBe('no-store');
    expect(await list.json()).toEqual([chain]);
    expect(await (await call('viewer', `/api/v1/plan/chains/${chain.id}`)).json()).toEqual(chain);

    const put = await call('editor', `/api/v1/plan/chains/${chain.id}`, 'PUT', { name: 'shop-eu', hops: ['cdn-eu', 'lb'] });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ id: chain.id, name: 'shop-eu', hops: ['cdn-eu', 'lb'], createdAt: chain.createdAt });
    expect(await chainList(database.db)).toEqual([{ name: 'shop-eu', hops: ['cdn-eu', 'lb'] }]);

    expect((await call('editor', `/api/v1/plan/chains/${chain.id}`, 'DELETE')).status).toBe(204);
    expect(await chainList(database.db)).toEqual([]);
    expect(await readPlanRevision(database.db)).toBe(0);

    const audit = await listAudit(database.db, { limit: 10, subjectKind: 'plan_chain' });
    expect(audit.map((a) => a.action)).toEqual(['plan_chain.delete', 'plan_chain.update', 'plan_chain.create']);
    expect(audit[1]).toMatchObject({ actorKind: 'token', actorName: 'e', subjectId: String(chain.id), before: { name: 'shop', hops: ['cdn', 'lb', 'app'] }, after: { name: 'shop-eu', hops: ['cdn-eu', 'lb'] } });
  });

  it.each([
    [{ name: 'c', hops: ['cdn'] }, 'hops', 'expected at least 2 entry points, outermost first'],
    [{ name: 'c', hops: Array.from({ length: 11 }, (_, i) => `h${i}`) }, 'hops', 'expected at most 10 entry points'],
    [{ name: 'c', hops: ['cdn', 'lb', 'cdn'] }, 'hops.2', '"cdn" is hop 1 already: a chain passes each entry point once'],
    [{ name: 'c', hops: ['cdn', 'has space'] }, 'hops.1', undefined],
    [{ name: 'no good', hops: ['cdn', 'lb'] }, 'name', undefined],
    [{ name: 'c', hops: ['cdn', 'lb'], extra: true }, '(root)', 'Unrecognized key: "extra"'],
    [{ hops: ['cdn', 'lb'] }, 'name', undefined],
  ])('refuses %j with 400 naming %s', async (body, field, message) => {
    const res = await call('editor', '/api/v1/plan/chains', 'POST', body);
    expect(res.status).toBe(400);
    const issues = (await problemOf(res)).issues ?? [];
    const issue = issues.find((i) => i.path === field);
    expect(issue, JSON.stringify(issues)).toBeDefined();
    if (message) expect(issue!.message).toBe(message);
  });

  it('answers a taken name 409 naming it, a missing chain 404 and a bad id 400', async () => {
    const a = (await (await call('editor', '/api/v1/plan/chains', 'POST', { name: 'a', hops: ['cdn', 'app'] })).json()) as PlanChainView;
    const b = (await (await call('editor', '/api/v1/plan/chains', 'POST', { name: 'b', hops: ['lb', 'app'] })).json()) as PlanChainView;
    const dup = await call('editor', '/api/v1/plan/chains', 'POST', { name: 'a', hops: ['x', 'y'] });
    expect(dup.status).toBe(409);
    expect(await problemOf(dup)).toMatchObject({ code: 'PLAN_ERR_NAME_TAKEN', issues: [{ path: 'name' }] });
    const rename = await call('editor', `/api/v1/plan/chains/${b.id}`, 'PUT', { name: 'a', hops: ['lb', 'app'] });
    expect(rename.status).toBe(409);
    // Keeping its own name is no clash.
    expect((await call('editor', `/api/v1/plan/chains/${a.id}`, 'PUT', { name: 'a', hops: ['cdn', 'lb', 'app'] })).status).toBe(200);

    const gone = b.id + 1000;
    expect((await call('viewer', `/api/v1/plan/chains/${gone}`)).status).toBe(404);
    const put = await call('editor', `/api/v1/plan/chains/${gone}`, 'PUT', { name: 'z', hops: ['x', 'y'] });
    expect(put.status).toBe(404);
    expect(await problemOf(put)).toMatchObject({ code: 'PLAN_ERR_NOT_FOUND', message: `no plan chain with id ${gone}` });
    expect((await call('editor', `/api/v1/plan/chains/${gone}`, 'DELETE')).status).toBe(404);
    expect((await call('viewer', '/api/v1/plan/chains/abc')).status).toBe(400);

    for (const c of [a, b]) expect((await call('editor', `/api/v1/plan/chains/${c.id}`, 'DELETE')).status).toBe(204);
  });
});
