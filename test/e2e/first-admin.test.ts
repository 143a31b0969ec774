/**
 * The first admin on an empty database, through the real built server: the start prints a
 * one-time setup link; the link makes one admin, who can then sign in; it works once, and a
 * made-up token never. Then /metrics: a bearer API token, or its own listen address.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, randomLoopback } from '../helpers/ports';
import { signIn, startServer, type RunningServer } from '../helpers/server';

let server: RunningServer;
let metricsPort: number;
/** The /metrics listener's own loopback address: its port stays free until the server binds it. */
const metricsHost = randomLoopback();


beforeAll(async () => {
  metricsPort = await freePort(metricsHost);
  server = await startServer({ env: { DROPSCOPE_ADMIN_EMAIL: '', DROPSCOPE_ADMIN_PASSWORD: '', DROPSCOPE_METRICS_LISTEN: `${metricsHost}:${metricsPort}` } });
}, 120_000);
afterAll(async () => {
  await server?.dispose();
});

const setup = (body: unknown) =>
  fetch(`${server.url}/api/v1/setup`, { method: 'POST', headers: { 'content-type': 'application/json', origin: server.url }, body: JSON.stringify(body) });

describe('the first admin', () => {
  it('prints a setup link that makes one admin, once', async () => {
    const token = /\/setup\?token=([A-Za-z0-9_-]+)/.exec(server.output())?.[1];
    expect(token, server.output()).toBeTruthy();
    const admin = { email: 'first@example.test', name: 'First', password: 'a long first password' };

    const forged = await setup({ ...admin, token: 'x'.repeat(32) });
    expect(forged.status).toBe(403);
    const weak = await setup({ ...admin, token, password: 'short' });
    expect(weak.status).toBe(400);
    expect(((await weak.json()) as { error: { issues: { path: string }[] } }).error.issues[0]!.path).toBe('password');

    const made = await setup({ ...admin, token });
    expect(made.status).toBe(201);
    expect(((await made.json()) as { user: { role: string } }).user.role).toBe('admin');
    const again = await setup({ ...admin, email: 'second@example.test', token });
    expect(again.status).toBe(409);

    const cookie = await signIn(server.url, admin);
    const me = await fetch(`${server.url}/api/v1/me`, { headers: { cookie } });
    expect(await me.json()).toMatchObject({ email: 'first@example.test', role: 'admin' });
    const audit = (await (await fetch(`${server.url}/api/v1/audit`, { headers: { cookie } })).json()) as { entries: { action: string; after: unknown }[] };
    expect(audit.entries.map((e) => e.action)).toEqual(['user.setup']);
    expect(JSON.stringify(audit.entries)).not.toContain('a long first password');
  });

  it('serves /metrics with a bearer token, and without one only on its own address', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    const cookie = await signIn(server.url, { email: 'first@example.test', password: 'a long first password' });
    const made = await fetch(`${server.url}/api/v1/tokens`, {
      method: 'POST',
      headers: { cookie, origin: server.url, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'prometheus', role: 'viewer', expiresInDays: 30 }),
    });
    const { token } = (await made.json()) as { token: string };
    const scrape = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(scrape.status).toBe(200);
    expect(await scrape.text()).toContain('process_cpu_seconds_total');
    const own = await fetch(`http://${metricsHost}:${metricsPort}/metrics`);
    expect(own.status).toBe(200);
    expect(await own.text()).toContain('process_cpu_seconds_total');
    expect((await fetch(`http://${metricsHost}:${metricsPort}/api/v1/drops`)).status).toBe(404);
    // Listed without its value, ever.
    const list = await (await fetch(`${server.url}/api/v1/tokens`, { headers: { cookie } })).text();
    expect(list).toContain('prometheus');
    expect(list).not.toContain(token.slice(-20));
  });
});
