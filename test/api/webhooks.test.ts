/**
 * The webhook endpoint API's route handlers in this process, on every backend, as Next
 * calls them (no build), for the four receiver formats: each format's required fields are
 * checked and named (PagerDuty's 32-character routingKey, a URL except where the provider
 * has a default), a generated signing secret is answered once, a routing key never, and
 * no read shows either; a format change on PUT follows the secret rules.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installDatabase, uninstallDatabase, type Database } from '../../db/client';
import { installSecretKey } from '../../lib/crypto/key-holder';
import { generateSecretKey } from '../../lib/crypto/secret-box';
import type { Principal } from '../../lib/auth/roles';
import { PAGERDUTY_EVENTS_URL } from '../../lib/receivers/catalog';
import { runAsPrincipal } from '../../server/auth/current';
import * as collection from '../../app/api/v1/webhooks/route';
import * as item from '../../app/api/v1/webhooks/[id]/route';
import { backends } from '../helpers/databases';

const EDITOR: Principal = { kind: 'user', id: 'u1', name: 'Eda', email: 'eda@example.com', role: 'editor' };
const ROUTING_KEY = '0123456789abcdef0123456789abcdef';
const BASE = 'http://dash.test';
type Problem = { error: { code: string; message: string; issues?: { path: string; message: string }[] } };
type Endpoint = { id: number; name: string; url: string; format: string; enabled: boolean; secret?: string };

const json = (method: string, path: string, body: unknown) => new Request(`${BASE}${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const ctx = (id: number | string) => ({ params: Promise.resolve({ id: String(id) }) });
const create = (body: unknown) => runAsPrincipal(EDITOR, () => collection.POST(json('POST', '/api/v1/webhooks', body)));
const replace = (id: number, body: unknown) => runAsPrincipal(EDITOR, () => item.PUT(json('PUT', `/api/v1/webhooks/${id}`, body), ctx(id)));
const paths = async (res: Response) => ((await res.json()) as Problem).error.issues?.map((i) => i.path) ?? [];

describe.each(backends())('the webhooks API on $name', (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await backend.open();
    installDatabase(database);
    installSecretKey(generateSecretKey());
  });
  afterAll(async () => {
    installSecretKey(undefined);
    uninstallDatabase(database);
    await database.close();
  });

  it.each([
    [{ name: 'pd', format: 'pagerduty' }, 'routingKey'],
    [{ name: 'pd', format: 'pagerduty', routingKey: 'abc' }, 'routingKey'],
    [{ name: 'pd', format: 'pagerduty', routingKey: 12 }, 'routingKey'],
    [{ name: 'am', format: 'alertmanager' }, 'url'],
    [{ name: 'am', format: 'alertmanager', url: 'am:9093' }, 'url'],
    [{ name: 's', url: 'https://hooks.example.com/x', routingKey: ROUTING_KEY }, 'routingKey'],
    [{ name: 's', format: 'opsgenie', url: 'https://hooks.example.com/x' }, 'format'],
  ])('refuses %j with 400 naming %s', async (body, field) => {
    const res = await create(body);
    expect(res.status).toBe(400);
    expect(await paths(res)).toContain(field);
  });

  it('creates a PagerDuty endpoint on the Events API by default; the routing key is never answered or listed', async () => {
    const res = await create({ name: 'on-call', format: 'pagerduty', routingKey: ROUTING_KEY });
    expect(res.status).toBe(201);
    const text = await res.text();
    expect(text).not.toContain(ROUTING_KEY);
    const made = JSON.parse(text) as Endpoint;
    expect(made).toMatchObject({ name: 'on-call', format: 'pagerduty', url: PAGERDUTY_EVENTS_URL, enabled: true });
    expect(made.secret).toBeUndefined();
    expect(await (await collection.GET()).text()).not.toContain(ROUTING_KEY);
    expect(await (await item.GET(new Request(`${BASE}/api/v1/webhooks/${made.id}`), ctx(made.id))).text()).not.toContain(ROUTING_KEY);

    // PUT keeping the URL without a key keeps it; a new URL needs the key again (the stored
    // one is not sent to an address it was not given for); to standard gets a signing
    // secret, once; back to pagerduty needs a key again.
    const kept = await replace(made.id, { name: 'paging', format: 'pagerduty', url: PAGERDUTY_EVENTS_URL });
    expect(kept.status).toBe(200);
    expect(await kept.json()).toMatchObject({ name: 'paging', url: PAGERDUTY_EVENTS_URL });
    const moved = await replace(made.id, { name: 'on-call', format: 'pagerduty', url: 'https://events.eu.pagerduty.com/v2/enqueue' });
    expect(moved.status).toBe(400);
    const problem = (await moved.json()) as Problem;
    expect(problem.error.issues?.map((i) => i.path)).toEqual(['routingKey']);
    expect(problem.error.message).toMatch(/routing key again when the URL changes/);
    expect(((await (await item.GET(new Request(`${BASE}/api/v1/webhooks/${made.id}`), ctx(made.id))).json()) as Endpoint).url).toBe(PAGERDUTY_EVENTS_URL);
    const movedWithKey = await replace(made.id, { name: 'on-call', format: 'pagerduty', url: 'https://events.eu.pagerduty.com/v2/enqueue', routingKey: ROUTING_KEY });
    expect(movedWithKey.status).toBe(200);
    expect(await movedWithKey.json()).toMatchObject({ url: 'https://events.eu.pagerduty.com/v2/enqueue' });
    const toStandard = await replace(made.id, { name: 'on-call', format: 'standard', url: 'https://hooks.example.com/x' });
    expect(((await toStandard.json()) as Endpoint).secret).toMatch(/^whsec_/);
    const back = await replace(made.id, { name: 'on-call', format: 'pagerduty' });
    expect(back.status).toBe(400);
    expect(await paths(back)).toEqual(['routingKey']);
    expect((await replace(made.id, { name: 'on-call', format: 'pagerduty', routingKey: ROUTING_KEY })).status).toBe(200);
  });

  it('creates an Alertmanager endpoint with no secret, and a Standard one with its secret shown once', async () => {
    const am = await create({ name: 'am', format: 'alertmanager', url: 'http://alertmanager.example:9093' });
    expect(am.status).toBe(201);
    expect(await am.json()).toEqual({ id: expect.any(Number), name: 'am', url: 'http://alertmanager.example:9093', format: 'alertmanager', enabled: true, createdAt: expect.any(String), updatedAt: expect.any(String) });
    const std = await create({ name: 'std', url: 'https://hooks.example.com/std' });
    const { secret } = (await std.json()) as Endpoint;
    expect(secret).toMatch(/^whsec_/);
    expect(await (await collection.GET()).text()).not.toContain(secret!);
  });

  it('refuses a literal loopback URL for any format (400 naming url), and a taken name with 409', async () => {
    const res = await create({ name: 'local-am', format: 'alertmanager', url: 'http://127.0.0.1:9093' });
    expect(res.status).toBe(400);
    expect(await paths(res)).toEqual(['url']);
    expect((await create({ name: 'am', format: 'alertmanager', url: 'http://alertmanager.example:9093' })).status).toBe(409);
  });
});
