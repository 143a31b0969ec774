/**
 * Alerts end to end on the real server: drops posted through the ingest API fire a
 * drop-rate alert per proxy; the receiver is down (503, then not listening) while the
 * server restarts; every alert still arrives once it is back, retried with the same
 * webhook-id and a valid signature, never as two different ids for one transition; a
 * second restart repeats nothing; resolving goes the same way. "Down for ten minutes" is
 * shortened by the retry settings.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { ended, opened, path as canaryPath } from '../helpers/events';
import { sampleValue, scrape } from '../helpers/prometheus';
import { addProbeToken, startServer, TEST_ADMIN, type RunningServer } from '../helpers/server';
import { expectedSignature, RECEIVER_ALLOW, startWebhookReceiver, waitFor, type WebhookReceiver } from '../helpers/webhook-receiver';

const ENV = {
  // The receiver is on 127.0.0.1, which webhooks may not reach unless allowed.
  DROPSCOPE_OUTBOUND_ALLOW: RECEIVER_ALLOW,
  DROPSCOPE_ALERT_INTERVAL_MS: '250',
  DROPSCOPE_WEBHOOK_POLL_MS: '100',
  DROPSCOPE_WEBHOOK_RETRY_BASE_MS: '100',
  DROPSCOPE_WEBHOOK_RETRY_MAX_MS: '400',
  DROPSCOPE_WEBHOOK_GIVE_UP_AFTER_MS: '600000',
  // "Send test" waits for its attempt up to this + 2 s: ample on a busy machine (no receiver
  // here hangs; refusals and 503s answer at once).
  DROPSCOPE_WEBHOOK_TIMEOUT_MS: '10000',
  DROPSCOPE_PUBLIC_URL: 'https://dropscope.example.test',
};

/**
 * The admin signed in as a browser on DROPSCOPE_PUBLIC_URL would be: that Origin (not the
 * address the test reaches the server on) on sign-in and on every cookie write, and, it
 * being https, the cookie named `__Secure-`. The session lives in the database: it outlasts
 * the restarts below.
 */
const PUBLIC_ORIGIN = new URL(ENV.DROPSCOPE_PUBLIC_URL).origin;
async function signInAtPublicUrl(url: string): Promise<string> {
  const res = await fetch(`${url}/api/auth/sign-in/email`, { method: 'POST', headers: { 'content-type': 'application/json', origin: PUBLIC_ORIGIN }, body: JSON.stringify(TEST_ADMIN) });
  if (!res.ok) throw new Error(`sign-in failed: HTTP ${res.status} ${await res.text()}`);
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => c.startsWith('__Secure-dropscope.session_token='));
  if (!cookie) throw new Error(`sign-in set no __Secure- session cookie: ${res.headers.getSetCookie().join(' | ')}`);
  return cookie;
}

interface Body {
  type: string;
  data: { status: string; labels: Record<string, string>; rule: { name: string }; url: string; value: number };
}

describe('alerts through signed webhooks', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'dropscope-alerts-e2e-'));
  let server: RunningServer;
  let receiver: WebhookReceiver;
  let token: string;
  let cookie: string;
  /** Prometheus's API token for /metrics. */
  let scraper: string;
  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    server = await startServer({ dataDir, env: ENV });
    token = addProbeToken('edge-alerts', { DROPSCOPE_DATA_DIR: dataDir });
    cookie = await signInAtPublicUrl(server.url);
    const made = await api('/api/v1/tokens', { method: 'POST', body: { name: 'prometheus', role: 'viewer' } });
    expect(made.status, await made.clone().text()).toBe(201);
    scraper = ((await made.json()) as { token: string }).token;
  });
  afterAll(async () => {
    await server?.stop();
    await receiver?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const api = (route: string, init: { method?: string; body?: unknown } = {}) =>
    fetch(`${server.url}${route}`, {
      method: init.method ?? 'GET',
      headers: { cookie, origin: PUBLIC_ORIGIN, ...(init.body !== undefined && { 'content-type': 'application/json' }) },
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
    });
  const deliveries = async (id: number) => ((await (await api(`/api/v1/webhooks/${id}`)).json()) as { deliveries: { messageId: string; status: string; attempts: number; eventType: string }[] }).deliveries;
  const metric = async (name: string, labels: Record<string, string> = {}) => sampleValue(await scrape(server.url, scraper), name, labels);

  it('fires, survives a receiver outage and a restart, resolves, and delivers each transition once', async () => {
    // Two endpoints on the same receiver: the Standard Webhooks JSON, and Slack's {"text"}.
    const hooks: { id: number; secret: string; path: string }[] = [];
    for (const [name, format] of [['ops', 'standard'], ['chat', 'slack']] as const) {
      const res = await api('/api/v1/webhooks', { method: 'POST', body: { name, url: `${receiver.url}/${name}`, format } });
      expect(res.status).toBe(201);
      const created = (await res.json()) as { id: number; secret: string };
      expect(created.secret).toMatch(/^whsec_/);
      hooks.push({ id: created.id, secret: created.secret, path: `/${name}` });
      receiver.secrets.set(`/${name}`, created.secret);
    }
    const listed = await (await api('/api/v1/webhooks')).text();
    for (const h of hooks) expect(listed).not.toContain(h.secret);
    expect(listed).not.toContain('secret');

    const rule = await api('/api/v1/alert-rules', {
      method: 'POST',
      body: { name: 'proxy drops', kind: 'drop_rate', severity: 'critical', window: '5m', threshold: 0, groupBy: ['proxy'], webhooks: hooks.map((h) => h.id) },
    });
    expect(rule.status, await rule.clone().text()).toBe(201);
    const ruleId = ((await rule.json()) as { id: number }).id;

    // The receiver is down (503) when the alerts fire.
    await receiver.setMode('503');
    const now = new Date(Date.now() - 10_000);
    const events = ['squid', 'nginx'].flatMap((proxy, i) => {
      const p = canaryPath({ proxy, kind: 'http' });
      return [opened(`s-alerte2e-${i}`, { path: p }, now), ended(`s-alerte2e-${i}`, 5000, { path: p }, now)];
    });
    const ingest = await fetch(`${server.url}/api/v1/ingest`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ events }) });
    expect(ingest.status).toBe(200);

    // Four messages (two alerts × two endpoints), each tried at least twice against the 503.
    const tries = () => {
      const n = new Map<string, number>();
      for (const r of receiver.received) n.set(r.id, (n.get(r.id) ?? 0) + 1);
      return n;
    };
    await waitFor('four messages retried against a 503', () => tries().size === 4 && [...tries().values()].every((n) => n >= 2));
    expect(await metric('dropscope_alerts_firing', { severity: 'critical' })).toBe(2);
    // The receiver records a request before it answers; the server counts the failure once the
    // answer is back: the eighth 503 may not be counted yet when the receiver has it.
    await waitFor('eight failed attempts counted', async () => ((await metric('dropscope_webhook_delivery_failures_total', { reason: '5xx' })) ?? 0) >= 8);

    // Then not listening at all, across a restart of the server.
    await receiver.setMode('closed');
    await server.stop();
    server = await startServer({ dataDir, env: ENV });
    await waitFor('attempts refused while the receiver is closed', async () => ((await metric('dropscope_webhook_delivery_failures_total', { reason: 'network' })) ?? 0) >= 4);
    expect(await metric('dropscope_webhook_outbox_depth')).toBe(4);
    expect(await metric('dropscope_alerts_firing', { severity: 'critical' })).toBe(2);

    // Back up: everything arrives.
    await receiver.setMode('up');
    await waitFor('every message delivered', async () => (await Promise.all(hooks.map((h) => deliveries(h.id)))).flat().every((d) => d.status === 'delivered'));
    expect(await metric('dropscope_webhook_outbox_depth')).toBe(0);

    // A second restart: firing alerts stay firing and nothing is sent again.
    const before = receiver.received.length;
    await server.stop();
    server = await startServer({ dataDir, env: ENV });
    await new Promise((r) => setTimeout(r, 1500));
    expect(receiver.received.length).toBe(before);
    const alerts = (await (await api('/api/v1/alerts')).json()) as { alerts: { status: string; labels: Record<string, string> }[] };
    expect(alerts.alerts.map((a) => [a.status, a.labels.proxy]).sort()).toEqual([['firing', 'nginx'], ['firing', 'squid']]);

    // Resolve: raising the threshold keeps the rule (and its alerts), which then clear.
    const put = await api(`/api/v1/alert-rules/${ruleId}`, {
      method: 'PUT',
      body: { name: 'proxy drops', kind: 'drop_rate', severity: 'critical', window: '5m', threshold: 100, groupBy: ['proxy'], webhooks: hooks.map((h) => h.id) },
    });
    expect(put.status).toBe(200);
    await waitFor('resolved messages delivered', () => receiver.received.filter((r) => r.answered === 200).length === 8);
    await new Promise((r) => setTimeout(r, 1000));

    // Every request: a valid signature over the exact body, by our HMAC and the reference library.
    for (const r of receiver.received) {
      const secret = receiver.secrets.get(r.path)!;
      expect(r.signature).toBe(expectedSignature(secret, r.id, r.timestamp, r.body));
      expect(Math.abs(r.timestamp * 1000 - r.receivedAt)).toBeLessThan(60_000);
      new Webhook(secret).verify(r.body, { 'webhook-id': r.id, 'webhook-timestamp': String(r.timestamp), 'webhook-signature': r.signature });
    }
    // One id per transition and endpoint; its retries carry the same id and the same body;
    // exactly one of them was answered 200.
    const byId = new Map<string, typeof receiver.received>();
    for (const r of receiver.received) byId.set(r.id, [...(byId.get(r.id) ?? []), r]);
    expect(byId.size).toBe(8);
    const transitions = new Set<string>();
    for (const [id, rs] of byId) {
      expect(id).toMatch(/^msg_/);
      expect(new Set(rs.map((r) => r.body)).size).toBe(1);
      expect(rs.filter((r) => r.answered === 200)).toHaveLength(1);
      const body = JSON.parse(rs[0]!.body) as Body | { text: string };
      const key = 'text' in body ? `${rs[0]!.path} ${/\[(FIRING|RESOLVED)\]/.exec(body.text)?.[1]} ${/proxy=(\w+)/.exec(body.text)?.[1]}` : `${rs[0]!.path} ${body.data.status} ${body.data.labels.proxy}`;
      expect(transitions.has(key), `two ids for ${key}`).toBe(false);
      transitions.add(key);
    }
    expect([...transitions].sort()).toEqual([
      '/chat FIRING nginx', '/chat FIRING squid', '/chat RESOLVED nginx', '/chat RESOLVED squid',
      '/ops firing nginx', '/ops firing squid', '/ops resolved nginx', '/ops resolved squid',
    ]);
    const firing = JSON.parse(receiver.received.find((r) => r.path === '/ops' && r.body.includes('alert.firing'))!.body) as Body;
    expect(firing).toMatchObject({ type: 'alert.firing', data: { status: 'firing', rule: { name: 'proxy drops' }, value: 0.2 } });
    expect(firing.data.url).toMatch(/^https:\/\/dropscope\.example\.test\/drops\?range=15m&proxy=(squid|nginx)$/);
    expect(await metric('dropscope_alerts_firing', { severity: 'critical' })).toBe(0);
    expect(server.output()).not.toContain('whsec_');
    // Two restarts of the built server and an outage inside the test: more than the default
    // 30 s on a loaded machine.
  }, 180_000);

  it('sends a test message on demand and shows the attempt', async () => {
    const created = (await (await api('/api/v1/webhooks', { method: 'POST', body: { name: 'tester', url: `${receiver.url}/tester` } })).json()) as { id: number; secret: string };
    const res = await api(`/api/v1/webhooks/${created.id}/test`, { method: 'POST' });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { messageId: string; delivery: { status: string; history: { httpStatus: number; ok: boolean }[] } };
    expect(body.delivery.status).toBe('delivered');
    expect(body.delivery.history).toMatchObject([{ httpStatus: 200, ok: true }]);
    const got = receiver.received.find((r) => r.id === body.messageId)!;
    expect(got.signature).toBe(expectedSignature(created.secret, got.id, got.timestamp, got.body));
    expect(JSON.parse(got.body)).toMatchObject({ type: 'webhook.test', data: { endpoint: 'tester' } });
  });
});
