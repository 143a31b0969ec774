/** The alert-rule and webhook APIs on the real built server: validation names the field, CRUD, secrets shown once. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../../helpers/server';

let server: RunningServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.dispose();
});

const call = (route: string, method = 'GET', body?: unknown, contentType = 'application/json') =>
  server.api(route, { method, ...(body !== undefined && { headers: { 'content-type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body) }) });
type Problem = { error: { code: string; message: string; issues?: { path: string; message: string }[] } };
const rule = { name: 'direct drops', kind: 'drop_rate', severity: 'warning', window: '5m', threshold: 1 };

describe('/api/v1/alert-rules', () => {
  it.each([
    [{ ...rule, threshold: 'lots' }, 'threshold'],
    [{ ...rule, window: '5 minutes' }, 'window'],
    [{ ...rule, kind: 'drops' }, 'kind'],
    [{ ...rule, severity: 'page' }, 'severity'],
    [{ ...rule, name: '' }, 'name'],
    [{ ...rule, for: '-1m' }, 'for'],
    [{ ...rule, scope: { label: 'eu' } }, 'scope.label'],
    [{ ...rule, groupBy: ['path'] }, 'groupBy.0'],
    [{ ...rule, resolveThreshold: 5 }, 'resolveThreshold'],
    [{ ...rule, webhooks: [999] }, 'webhooks.0'],
    [{ ...rule, quorum: { min: 0 } }, 'quorum.min'],
    [{ ...rule, quorum: { min: 2, by: 'region' } }, 'quorum.by'],
    [{ ...rule, groupBy: ['probe'], quorum: { min: 2 } }, 'groupBy'],
    [{ ...rule, scope: { probe: 'edge-1' }, quorum: { min: 2 } }, 'scope.probe'],
    [{ name: 'sig', kind: 'signature', severity: 'warning', window: '1h', quorum: { min: 2 } }, 'quorum'],
  ])('refuses %j with 400 naming %s', async (body, field) => {
    const res = await call('/api/v1/alert-rules', 'POST', body);
    expect(res.status).toBe(400);
    const p = (await res.json()) as Problem;
    expect(p.error.issues?.map((i) => i.path)).toContain(field);
    expect(p.error.message).toContain(field);
  });

  it('keeps a quorum through create and read', async () => {
    const created = await call('/api/v1/alert-rules', 'POST', { ...rule, name: 'fleet drops', quorum: { min: 2, by: 'label:region' } });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: number };
    expect(await (await call(`/api/v1/alert-rules/${id}`)).json()).toMatchObject({ quorum: { min: 2, by: 'label:region' } });
    expect((await call(`/api/v1/alert-rules/${id}`, 'DELETE')).status).toBe(204);
  });

  it('refuses a body that is not JSON, or not declared as JSON', async () => {
    expect((await call('/api/v1/alert-rules', 'POST', '{nope')).status).toBe(400);
    expect((await call('/api/v1/alert-rules', 'POST', JSON.stringify(rule), 'text/plain')).status).toBe(415);
  });

  it('creates, reads, replaces and deletes a rule; a taken name is 409', async () => {
    const created = await call('/api/v1/alert-rules', 'POST', { ...rule, scope: { proxy: 'direct' }, for: '2m' });
    expect(created.status).toBe(201);
    const body = (await created.json()) as { id: number };
    expect(body).toMatchObject({ name: 'direct drops', for: '2m', resolveAfter: '0s', scope: { proxy: 'direct' }, enabled: true, webhooks: [] });
    expect(created.headers.get('location')).toBe(`/api/v1/alert-rules/${body.id}`);
    expect((await call('/api/v1/alert-rules', 'POST', rule)).status).toBe(409);

    const got = (await (await call(`/api/v1/alert-rules/${body.id}`)).json()) as { window: string; history: unknown[] };
    expect(got).toMatchObject({ window: '5m', history: [] });
    const put = await call(`/api/v1/alert-rules/${body.id}`, 'PUT', { ...rule, threshold: 3, enabled: false });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ threshold: 3, enabled: false });
    const list = (await (await call('/api/v1/alert-rules')).json()) as { rules: { id: number }[] };
    expect(list.rules.map((r) => r.id)).toContain(body.id);
    expect((await call(`/api/v1/alert-rules/${body.id}`, 'DELETE')).status).toBe(204);
    expect((await call(`/api/v1/alert-rules/${body.id}`)).status).toBe(404);
    expect((await call(`/api/v1/alert-rules/${body.id}`, 'PUT', rule)).status).toBe(404);
    expect((await call('/api/v1/alert-rules/abc')).status).toBe(400);
  });
});

describe('/api/v1/webhooks', () => {
  it.each([
    [{ name: 'x', url: 'ftp://example.test/' }, 'url'],
    [{ name: 'x', url: 'http://user:pw@example.test/' }, 'url'],
    [{ name: 'x', url: 'http://example.test/', format: 'teams' }, 'format'],
    [{ url: 'http://example.test/' }, 'name'],
    [{ name: 'x', url: 'http://example.test/', secret: 'whsec_mine' }, '(root)'],
  ])('refuses %j with 400 naming %s', async (body, field) => {
    const res = await call('/api/v1/webhooks', 'POST', body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as Problem).error.issues?.map((i) => i.path)).toContain(field);
  });

  it('shows the secret once, at creation, and never in reads', async () => {
    const res = await call('/api/v1/webhooks', 'POST', { name: 'pager', url: 'https://hooks.example.com/hook', format: 'slack' });
    expect(res.status).toBe(201);
    const { id, secret } = (await res.json()) as { id: number; secret: string };
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]{44}$/);
    for (const route of ['/api/v1/webhooks', `/api/v1/webhooks/${id}`]) {
      const text = await (await call(route)).text();
      expect(text).toContain('pager');
      expect(text).not.toContain(secret);
    }
    const put = await call(`/api/v1/webhooks/${id}`, 'PUT', { name: 'pager', url: 'https://hooks.example.com/other', format: 'standard', enabled: false });
    expect(await put.json()).toMatchObject({ url: 'https://hooks.example.com/other', enabled: false });
    expect((await call('/api/v1/webhooks', 'POST', { name: 'pager', url: 'https://hooks.example.com/' })).status).toBe(409);
    expect((await call(`/api/v1/webhooks/${id}`, 'DELETE')).status).toBe(204);
    expect((await call(`/api/v1/webhooks/${id}/test`, 'POST')).status).toBe(404);
    expect(server.output()).not.toContain(secret);
  });
});
