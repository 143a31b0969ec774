/**
 * Webhook secrets at rest, on every backend: the column never holds the plaintext (after
 * create, and after the start-up migration of a row written before encryption), the
 * migration is idempotent, a delivery is signed with the real secret, and a wrong key is
 * a recorded reason (retried), not a crash. Deliveries go to a real receiver on 127.0.0.1,
 * allowed in process; one with no allow list is refused and the receiver gets nothing.
 */
import { eq } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { recentDeliveries } from '../../db/queries/webhook-outbox';
import { createWebhook, getWebhook, listWebhooks, sealPlaintextSecrets, secretsNotOpening } from '../../db/queries/webhooks';
import { webhookEndpoints, webhookOutbox } from '../../db/schema';
import { generateSecretKey, isSealed } from '../../lib/crypto/secret-box';
import { createLogger } from '../../lib/log';
import { EMPTY_ALLOW_LIST, parseAllowList } from '../../lib/net/allow-list';
import { openWebhookSecret } from '../../lib/webhooks/secret-at-rest';
import { generateMessageId, generateWebhookSecret } from '../../lib/webhooks/signature';
import { deliverDue } from '../../server/alerts/deliver';
import { backends } from '../helpers/databases';
import { T0 } from '../helpers/events';
import { expectedSignature, RECEIVER_ALLOW, startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';

const log = createLogger({ level: 'silent' });
const policy = { baseMs: 1000, maxMs: 4000, giveUpAfterMs: 60_000 };
const key = generateSecretKey();
const allowed = { allow: parseAllowList(RECEIVER_ALLOW) };

describe.each(backends())('webhook secrets on $name', (backend) => {
  let database: Database;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    database = await backend.open();
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await receiver.close();
    await database.close();
  });
  afterEach(async () => {
    await database.db.delete(webhookEndpoints);
    receiver.received.length = 0;
  });

  const stored = async (id: number) => (await database.db.select({ secret: webhookEndpoints.secret }).from(webhookEndpoints).where(eq(webhookEndpoints.id, id)))[0]!.secret;
  const queue = async (webhookId: number) => {
    const messageId = generateMessageId();
    const now = new Date();
    await database.db.insert(webhookOutbox).values({ messageId, webhookId, transitionId: null, eventType: 'alert.firing', body: '{"type":"alert.firing"}', createdAt: now, nextAttemptAt: now });
    return messageId;
  };
  // The real clock: the reference library checks the signed timestamp against it.
  const deliver = (outbound = allowed, k = key) => deliverDue(database, { policy, timeoutMs: 2000, batch: 10, key: k, outbound, log });
  const verify = (secret: string) => {
    for (const r of receiver.received) {
      expect(r.signature).toBe(expectedSignature(secret, r.id, r.timestamp, r.body));
      new Webhook(secret).verify(r.body, { 'webhook-id': r.id, 'webhook-timestamp': String(r.timestamp), 'webhook-signature': r.signature });
    }
  };

  it('stores a new endpoint\'s secret sealed, tied to its id, and shows it only in the answer to create', async () => {
    const { webhook, secret: made } = await createWebhook(database.db, { name: 'a', url: `${receiver.url}/a`, format: 'standard', enabled: true }, T0, key);
    const secret = made!;
    const column = await stored(webhook.id);
    expect(isSealed(column)).toBe(true);
    expect(column).not.toContain(secret);
    expect(column).not.toContain(secret.slice(6, 26));
    expect(openWebhookSecret(key, webhook.id, column)).toBe(secret);
    expect(() => openWebhookSecret(key, webhook.id + 1, column)).toThrow(/cannot decrypt/);
    expect(JSON.stringify([await listWebhooks(database.db), await getWebhook(database.db, webhook.id)])).not.toMatch(/secret|whsec_|v1:/);
    // The next endpoint takes the next id, as before.
    const next = await createWebhook(database.db, { name: 'b', url: `${receiver.url}/b`, format: 'standard', enabled: true }, T0, key);
    expect(next.webhook.id).toBeGreaterThan(webhook.id);
  });

  it('seals plaintext secrets left from before, once, and the endpoint still delivers signed with the same secret', async () => {
    const secret = generateWebhookSecret();
    const [row] = await database.db.insert(webhookEndpoints).values({ name: 'old', url: `${receiver.url}/old`, secret, createdAt: T0, updatedAt: T0 }).returning({ id: webhookEndpoints.id });
    const sealedAlready = await createWebhook(database.db, { name: 'new', url: `${receiver.url}/new`, format: 'standard', enabled: true }, T0, key);
    const before = await stored(sealedAlready.webhook.id);
    expect(await secretsNotOpening(database.db, key)).toEqual([row!.id]);

    expect(await sealPlaintextSecrets(database.db, key)).toBe(1);
    const column = await stored(row!.id);
    expect(isSealed(column)).toBe(true);
    expect(column).not.toContain(secret.slice(6, 26));
    expect(openWebhookSecret(key, row!.id, column)).toBe(secret);
    // Idempotent: nothing left to seal, and a sealed value is not sealed again.
    expect(await sealPlaintextSecrets(database.db, key)).toBe(0);
    expect(await stored(row!.id)).toBe(column);
    expect(await stored(sealedAlready.webhook.id)).toBe(before);
    expect(await secretsNotOpening(database.db, key)).toEqual([]);

    const id = await queue(row!.id);
    expect(await deliver()).toBe(1);
    expect(receiver.received.map((r) => [r.path, r.id])).toEqual([['/old', id]]);
    verify(secret);
  });

  it('records a wrong key as the attempt\'s reason and retries, sending nothing; the right key then delivers', async () => {
    const { webhook, secret: made } = await createWebhook(database.db, { name: 'k', url: `${receiver.url}/k`, format: 'standard', enabled: true }, T0, key);
    const secret = made!;
    await queue(webhook.id);
    const other = generateSecretKey();
    expect(await secretsNotOpening(database.db, other)).toEqual([webhook.id]);
    const connections = receiver.connections;
    expect(await deliver(allowed, other)).toBe(1);
    let [d] = await recentDeliveries(database.db, { webhookId: webhook.id });
    expect(d).toMatchObject({ status: 'pending', attempts: 1, lastError: expect.stringMatching(/^cannot sign: the endpoint's secret does not decrypt: the secret key in use is not the one it was encrypted with/) });
    expect(receiver.connections).toBe(connections);
    expect(receiver.received).toEqual([]);

    await database.db.update(webhookOutbox).set({ nextAttemptAt: new Date() }).where(eq(webhookOutbox.webhookId, webhook.id));
    expect(await deliver()).toBe(1);
    [d] = await recentDeliveries(database.db, { webhookId: webhook.id });
    expect(d).toMatchObject({ status: 'delivered', attempts: 2 });
    verify(secret);
  });

  it('refuses at delivery a URL at an internal address the allow list does not name, recording why; the receiver gets nothing', async () => {
    // Written straight to the table: the API refuses such a URL at creation.
    const { webhook } = await createWebhook(database.db, { name: 'internal', url: `${receiver.url}/internal`, format: 'standard', enabled: true }, T0, key);
    await queue(webhook.id);
    const connections = receiver.connections;
    expect(await deliver({ allow: EMPTY_ALLOW_LIST })).toBe(1);
    const [d] = await recentDeliveries(database.db, { webhookId: webhook.id });
    expect(d!.history).toMatchObject([{ ok: false, httpStatus: null, responseSnippet: null, error: 'refused: 127.0.0.1 is a loopback address (127.0.0.0/8); allow it with DROPSCOPE_OUTBOUND_ALLOW' }]);
    expect(receiver.connections).toBe(connections);
    expect(receiver.received).toEqual([]);
  });
});
