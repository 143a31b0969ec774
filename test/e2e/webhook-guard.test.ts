/**
 * The outbound guard on the real server (issue: "Send test" reached the local PostgreSQL).
 * Without DROPSCOPE_OUTBOUND_ALLOW: a webhook at a literal internal address is refused
 * when it is created or edited (400 naming `url`), and one whose name resolves to loopback
 * is refused when a test is sent, the live receiver behind it getting nothing, and the
 * test is not retried. Restarted with 127.0.0.1/32 allowed: a receiver that redirects
 * fails the test ("redirect not followed", 502) and the server it points at gets nothing;
 * an allowed receiver gets a correctly signed message; a failing one is reported with its
 * status, not its answer.
 *
 * Needs a build (`npm run build`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../helpers/server';
import { expectedSignature, RECEIVER_ALLOW, startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';

// "Send test" waits for its attempt up to the timeout + 2 s: ample on a busy machine (no
// receiver here hangs).
const ENV = { DROPSCOPE_WEBHOOK_POLL_MS: '100', DROPSCOPE_WEBHOOK_RETRY_BASE_MS: '100', DROPSCOPE_WEBHOOK_RETRY_MAX_MS: '200', DROPSCOPE_WEBHOOK_TIMEOUT_MS: '10000' };

interface Problem {
  error: { code: string; message: string; issues?: { path: string; message: string }[] };
}
interface Delivery {
  status: string;
  attempts: number;
  lastError: string | null;
  history: { httpStatus: number | null; ok: boolean; responseSnippet: string | null; error: string | null }[];
}

describe('webhooks and internal addresses', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'dropscope-guard-e2e-'));
  let server: RunningServer;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    server = await startServer({ dataDir, env: ENV });
  });
  afterAll(async () => {
    await server?.stop();
    await receiver?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** As the test admin. */
  const call = (route: string, init: RequestInit = {}) => server.api(route, init);
  const api = (route: string, method = 'GET', body?: unknown) =>
    call(route, { method, ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) });
  const create = (name: string, url: string) => api('/api/v1/webhooks', 'POST', { name, url });
  const deliveries = async (id: number) => ((await (await api(`/api/v1/webhooks/${id}`)).json()) as { deliveries: Delivery[] }).deliveries;
  let localhostHook: { id: number; secret: string };

  it('refuses a literal internal address when a webhook is created or edited, naming url', async () => {
    const cases: [string, string][] = [
      [`http://127.0.0.1:${receiver.port}/hook`, `url: 127.0.0.1 is a loopback address (127.0.0.0/8); allow it with DROPSCOPE_OUTBOUND_ALLOW`],
      [`http://[::1]:${receiver.port}/hook`, 'url: ::1 is a loopback address (::1/128); allow it with DROPSCOPE_OUTBOUND_ALLOW'],
      ['http://169.254.169.254/latest/meta-data/', 'url: 169.254.169.254 is a link-local address (169.254.0.0/16); allow it with DROPSCOPE_OUTBOUND_ALLOW'],
      ['http://10.1.2.3/hook', 'url: 10.1.2.3 is a private (RFC 1918) address (10.0.0.0/8); allow it with DROPSCOPE_OUTBOUND_ALLOW'],
      [`http://[::ffff:127.0.0.1]:${receiver.port}/hook`, 'url: ::ffff:7f00:1 is a loopback address (127.0.0.0/8); allow it with DROPSCOPE_OUTBOUND_ALLOW'],
      ['http://127.0.0.1:5432/', 'url: 127.0.0.1 is a loopback address (127.0.0.0/8); allow it with DROPSCOPE_OUTBOUND_ALLOW'],
    ];
    for (const [url, message] of cases) {
      const res = await create(`literal ${url}`, url);
      expect(res.status, url).toBe(400);
      const body = (await res.json()) as Problem;
      expect(body.error, url).toMatchObject({ code: 'WEBHOOK_ERR_URL_REFUSED', message, issues: [{ path: 'url', message: message.slice('url: '.length) }] });
    }
    expect(((await (await api('/api/v1/webhooks')).json()) as { webhooks: unknown[] }).webhooks).toEqual([]);

    // A name is accepted (it is resolved when something is sent), and cannot be edited into a literal.
    const res = await create('by name', `http://localhost:${receiver.port}/by-name`);
    expect(res.status).toBe(201);
    localhostHook = (await res.json()) as { id: number; secret: string };
    const put = await api(`/api/v1/webhooks/${localhostHook.id}`, 'PUT', { name: 'by name', url: `http://127.0.0.1:${receiver.port}/by-name` });
    expect(put.status).toBe(400);
    expect(((await put.json()) as Problem).error.message).toMatch(/^url: 127\.0\.0\.1 is a loopback address/);
    expect(receiver.connections).toBe(0);
  });

  it('refuses "Send test" to a name that resolves to loopback, sends nothing, and does not retry', async () => {
    const res = await api(`/api/v1/webhooks/${localhostHook.id}/test`, 'POST');
    expect(res.status).toBe(400);
    expect(((await res.json()) as Problem).error).toMatchObject({
      code: 'WEBHOOK_ERR_URL_REFUSED',
      message: 'url: localhost resolves to 127.0.0.1, a loopback address (127.0.0.0/8); allow it with DROPSCOPE_OUTBOUND_ALLOW',
      issues: [{ path: 'url' }],
    });
    // Retries would come every 100-200 ms: none comes.
    await new Promise((r) => setTimeout(r, 1500));
    const [d] = await deliveries(localhostHook.id);
    expect(d).toMatchObject({ status: 'gave_up', attempts: 1, lastError: expect.stringMatching(/^refused: localhost resolves to 127\.0\.0\.1/) });
    expect(receiver.connections).toBe(0);
    expect(receiver.received).toEqual([]);
  });

  describe('with 127.0.0.1/32 allowed', () => {
    const opened: WebhookReceiver[] = [];
    beforeAll(async () => {
      await server.stop();
      server = await startServer({ dataDir, env: { ...ENV, DROPSCOPE_OUTBOUND_ALLOW: RECEIVER_ALLOW } });
    });
    afterAll(async () => {
      await Promise.all(opened.map((r) => r.close()));
    });

    it('fails a test to a receiver that redirects, and the server it points at gets nothing', async () => {
      const second = await startWebhookReceiver();
      const redirecting = await startWebhookReceiver({ redirectTo: `${second.url}/admin` });
      opened.push(second, redirecting);
      const hook = (await (await create('redirects', `${redirecting.url}/hook`)).json()) as { id: number };
      const res = await api(`/api/v1/webhooks/${hook.id}/test`, 'POST');
      expect(res.status).toBe(502);
      const body = (await res.json()) as Problem & { delivery: Delivery };
      expect(body.error).toEqual({ code: 'WEBHOOK_ERR_TEST_FAILED', message: 'the test message was not delivered: redirect not followed (HTTP 302) (a test is sent once, not retried)' });
      expect(body.delivery).toMatchObject({ status: 'gave_up', attempts: 1, history: [{ httpStatus: 302, ok: false, responseSnippet: null, error: 'redirect not followed (HTTP 302)' }] });
      await new Promise((r) => setTimeout(r, 1000));
      expect(redirecting.received).toHaveLength(1);
      expect(second.connections).toBe(0);
    });

    it('delivers a correctly signed test to an allowed receiver, by address and by name', async () => {
      const hook = (await (await create('allowed', `${receiver.url}/allowed`)).json()) as { id: number; secret: string };
      for (const h of [hook, localhostHook]) {
        const res = await api(`/api/v1/webhooks/${h.id}/test`, 'POST');
        expect(res.status).toBe(202);
        const body = (await res.json()) as { messageId: string; delivery: Delivery };
        expect(body.delivery).toMatchObject({ status: 'delivered', history: [{ httpStatus: 200, ok: true, responseSnippet: null }] });
        const got = receiver.received.find((r) => r.id === body.messageId)!;
        expect(got.signature).toBe(expectedSignature(h.secret, got.id, got.timestamp, got.body));
        new Webhook(h.secret).verify(got.body, { 'webhook-id': got.id, 'webhook-timestamp': String(got.timestamp), 'webhook-signature': got.signature });
      }
      expect(receiver.received.map((r) => r.path)).toEqual(['/allowed', '/by-name']);
    });

    it('reports a failing receiver\'s status and a short reason, not its answer', async () => {
      const down = await startWebhookReceiver();
      opened.push(down);
      await down.setMode('503');
      const hook = (await (await create('down', `${down.url}/down`)).json()) as { id: number };
      const res = await api(`/api/v1/webhooks/${hook.id}/test`, 'POST');
      expect(res.status).toBe(502);
      const text = await res.text();
      expect(JSON.parse(text)).toMatchObject({ error: { message: 'the test message was not delivered: HTTP 503 (Service Unavailable) (a test is sent once, not retried)' } });
      expect(text).not.toContain('receiver down for maintenance');
      expect(JSON.stringify(await deliveries(hook.id))).not.toContain('receiver down for maintenance');
      expect(server.output()).not.toContain('whsec_');
    });
  });
});
