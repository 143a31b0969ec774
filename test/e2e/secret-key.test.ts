/**
 * DROPSCOPE_SECRET_KEY on the real server. On PGlite without it: the key is generated into
 * the data directory (0600) at the first start and reused at the next, and a webhook made
 * before the restart still delivers, signed with its secret; its column holds no plaintext.
 * On PostgreSQL: no key, no start (the message names the variable); a plaintext secret
 * from before is sealed at start and still signs; a wrong key is a delivery's reason, not
 * a crash; a malformed key stops the start without being printed.
 *
 * Needs a build (`npm run build`); the PostgreSQL part needs TEST_DATABASE_URL.
 */
import { readFileSync, rmSync, statSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { openDatabase } from '../../db/open';
import { webhookEndpoints } from '../../db/schema';
import { generateSecretKey } from '../../lib/crypto/secret-box';
import { generateWebhookSecret } from '../../lib/webhooks/signature';
import { openScratchPostgres } from '../helpers/databases';
import { startFailure, startServer, TEST_SECRET_KEY, type RunningServer } from '../helpers/server';
import { expectedSignature, RECEIVER_ALLOW, startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';

// "Send test" waits for its attempt up to the timeout + 2 s: ample on a busy machine.
const ENV = { DROPSCOPE_OUTBOUND_ALLOW: RECEIVER_ALLOW, DROPSCOPE_WEBHOOK_POLL_MS: '100', DROPSCOPE_WEBHOOK_TIMEOUT_MS: '10000' };

/** As the test admin. */
const call = (server: RunningServer, route: string, init: RequestInit = {}) => server.api(route, init);
const createHook = async (server: RunningServer, name: string, url: string) => {
  const res = await call(server, '/api/v1/webhooks', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, url }) });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as { id: number; secret: string };
};
const sendTest = (server: RunningServer, id: number) => call(server, `/api/v1/webhooks/${id}/test`, { method: 'POST' });

/** The message the receiver got for a test answered 202, checked against `secret`. */
async function expectSignedDelivery(res: Response, receiver: WebhookReceiver, secret: string): Promise<void> {
  expect(res.status, await res.clone().text()).toBe(202);
  const body = (await res.json()) as { messageId: string; delivery: { status: string } };
  expect(body.delivery.status).toBe('delivered');
  const got = receiver.received.find((r) => r.id === body.messageId)!;
  expect(got.signature).toBe(expectedSignature(secret, got.id, got.timestamp, got.body));
  new Webhook(secret).verify(got.body, { 'webhook-id': got.id, 'webhook-timestamp': String(got.timestamp), 'webhook-signature': got.signature });
}

const expectStartFailure = async (env: Record<string, string>) => {
  const err = await startFailure({ env });
  expect(err.exitCode).toBe(1);
  return err.output;
};

let receiver: WebhookReceiver;
beforeAll(async () => {
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await receiver?.close();
});

describe('on PGlite, without DROPSCOPE_SECRET_KEY', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'dropscope-key-e2e-'));
  let server: RunningServer | undefined;
  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('generates the key into the data directory once, reuses it, and a webhook still delivers signed after a restart', async () => {
    server = await startServer({ dataDir, env: ENV });
    const file = path.join(dataDir, 'secret.key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const key = readFileSync(file, 'utf8');
    const hook = await createHook(server, 'survives restarts', `${receiver.url}/restart`);
    await expectSignedDelivery(await sendTest(server, hook.id), receiver, hook.secret);
    const firstOutput = server.output();
    expect(await server.stop()).toBe(0);

    // The column, read while no server runs: sealed, not the secret.
    const database = await openDatabase({ kind: 'pglite', dataDir });
    try {
      const [row] = await database.db.select({ secret: webhookEndpoints.secret }).from(webhookEndpoints).where(eq(webhookEndpoints.id, hook.id));
      expect(row!.secret).toMatch(/^v1:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$/);
      expect(row!.secret).not.toContain(hook.secret.slice(6, 26));
    } finally {
      await database.close();
    }

    server = await startServer({ dataDir, env: ENV });
    expect(readFileSync(file, 'utf8')).toBe(key);
    await expectSignedDelivery(await sendTest(server, hook.id), receiver, hook.secret);
    for (const out of [firstOutput, server.output()]) {
      expect(out).not.toContain(key.trim());
      expect(out).not.toContain(hook.secret);
    }
    expect(firstOutput).toMatch(/"source":"generated"[^\n]*secret key generated/);
    expect(server.output()).toMatch(/"source":"file"[^\n]*secret key loaded/);
    // Two server starts and an in-process open of the PGlite directory between them.
  }, 120_000);
});

const ADMIN_URL = process.env.TEST_DATABASE_URL;

describe.skipIf(!ADMIN_URL)('on PostgreSQL', () => {
  let scratch: Database & { url: string };
  let server: RunningServer | undefined;
  beforeAll(async () => {
    scratch = await openScratchPostgres(ADMIN_URL!);
  });
  afterAll(async () => {
    await server?.dispose();
    await scratch?.close();
  });

  it('refuses to start without a key, naming the variable and how to make one', async () => {
    const out = await expectStartFailure({ ...ENV, DATABASE_URL: scratch.url, DROPSCOPE_SECRET_KEY: '' });
    expect(out).toContain('dropscope could not start: DROPSCOPE_SECRET_KEY is required with PostgreSQL');
    expect(out).toContain('openssl rand -base64 32');
  });

  it('refuses a malformed key, naming the variable, without printing it', async () => {
    const out = await expectStartFailure({ ...ENV, DATABASE_URL: scratch.url, DROPSCOPE_SECRET_KEY: 'hunter2hunter2' });
    expect(out).toMatch(/dropscope could not start: invalid configuration: DROPSCOPE_SECRET_KEY: expected 32 random bytes/);
    expect(out).not.toContain('hunter2');
  });

  it('seals a plaintext secret from before at start, and it still signs; new ones are sealed too', async () => {
    const old = generateWebhookSecret();
    const now = new Date();
    const [row] = await scratch.db.insert(webhookEndpoints).values({ name: 'from before', url: `${receiver.url}/before`, secret: old, createdAt: now, updatedAt: now }).returning({ id: webhookEndpoints.id });
    server = await startServer({ env: { ...ENV, DATABASE_URL: scratch.url, DROPSCOPE_SECRET_KEY: TEST_SECRET_KEY } });
    expect(server.output()).toMatch(/"sealed":1[^\n]*secret key loaded/);
    const column = async (id: number) => (await scratch.db.select({ secret: webhookEndpoints.secret }).from(webhookEndpoints).where(eq(webhookEndpoints.id, id)))[0]!.secret;
    expect(await column(row!.id)).toMatch(/^v1:/);
    expect(await column(row!.id)).not.toContain(old.slice(6, 26));
    await expectSignedDelivery(await sendTest(server, row!.id), receiver, old);

    const made = await createHook(server, 'new', `${receiver.url}/new`);
    expect(await column(made.id)).toMatch(/^v1:/);
    expect(await column(made.id)).not.toContain(made.secret.slice(6, 26));
    await expectSignedDelivery(await sendTest(server, made.id), receiver, made.secret);
    expect(server.output()).not.toContain(TEST_SECRET_KEY);
    await server.stop();
    server = undefined;
    // The server starts and stops inside the test.
  }, 120_000);

  it('runs with a wrong key: the delivery fails with that reason, the server stays up', async () => {
    server = await startServer({ env: { ...ENV, DATABASE_URL: scratch.url, DROPSCOPE_SECRET_KEY: generateSecretKey().toBase64() } });
    expect(server.output()).toMatch(/webhook secret\(s\) cannot be decrypted with this key/);
    const [row] = await scratch.db.select({ id: webhookEndpoints.id }).from(webhookEndpoints).where(eq(webhookEndpoints.name, 'new'));
    const before = receiver.received.length;
    const res = await sendTest(server, row!.id);
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/^the test message was not delivered: cannot sign: the endpoint's secret does not decrypt/);
    expect(receiver.received.length).toBe(before);
    expect((await call(server, '/api/v1/webhooks')).status).toBe(200);
    // The server starts inside the test.
  }, 120_000);
});
