/**
 * The outbox on every backend: a claimed message is leased (never taken twice, even by
 * concurrent claims), failures are retried with the same id until the give-up age, a test
 * message is tried once, and every attempt is recorded. Deliveries go to a real receiver
 * on 127.0.0.1, allowed in process as DROPSCOPE_OUTBOUND_ALLOW would.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { RESEND_EVENT } from '../../db/queries/alerts-resend';
import { claimDueMessages, enqueueTestMessage, outboxDepth, pruneDeliveries, recentDeliveries } from '../../db/queries/webhook-outbox';
import { createWebhook } from '../../db/queries/webhooks';
import { webhookOutbox } from '../../db/schema';
import { generateSecretKey } from '../../lib/crypto/secret-box';
import { createLogger } from '../../lib/log';
import { parseAllowList } from '../../lib/net/allow-list';
import { generateMessageId } from '../../lib/webhooks/signature';
import { deliverDue } from '../../server/alerts/deliver';
import { backends } from '../helpers/databases';
import { T0 } from '../helpers/events';
import { expectedSignature, RECEIVER_ALLOW, startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';

const log = createLogger({ level: 'silent' });
const policy = { baseMs: 1000, maxMs: 4000, giveUpAfterMs: 60_000 };
const key = generateSecretKey();
const outbound = { allow: parseAllowList(RECEIVER_ALLOW) };

describe.each(backends())('webhook outbox on $name', (backend) => {
  let database: Database;
  let receiver: WebhookReceiver;
  let hook: { id: number; secret: string };
  beforeAll(async () => {
    database = await backend.open();
    receiver = await startWebhookReceiver();
    const created = await createWebhook(database.db, { name: 'r', url: `${receiver.url}/r`, format: 'standard', enabled: true }, T0, key);
    hook = { id: created.webhook.id, secret: created.secret! };
  });
  afterAll(async () => {
    await receiver.close();
    await database.close();
  });
  afterEach(async () => {
    await database.db.delete(webhookOutbox);
    receiver.received.length = 0;
    await receiver.setMode('up');
  });

  const at = (ms: number) => new Date(T0.getTime() + ms);
  const deliver = (ms: number) => deliverDue(database, { policy, timeoutMs: 2000, batch: 10, key, outbound, log, now: () => at(ms) });
  /** An alert's message (retried, unlike a test), due at T0. */
  const enqueueAlert = async () => {
    const messageId = generateMessageId();
    await database.db.insert(webhookOutbox).values({ messageId, webhookId: hook.id, transitionId: null, eventType: 'alert.firing', body: '{"type":"alert.firing"}', createdAt: T0, nextAttemptAt: T0 });
    return { messageId };
  };

  it('leases claimed messages: a second claim, concurrent or later, does not get them until the lease ends', async () => {
    for (let i = 0; i < 4; i++) await enqueueTestMessage(database.db, hook.id, T0, 'http://dash.test');
    const [a, b] = await Promise.all([claimDueMessages(database.db, T0, { limit: 3, leaseMs: 5000 }), claimDueMessages(database.db, T0, { limit: 3, leaseMs: 5000 })]);
    const ids = [...a, ...b].map((m) => m.id);
    expect(ids).toHaveLength(4);
    expect(new Set(ids).size).toBe(4);
    expect(await claimDueMessages(database.db, at(4999), { limit: 10, leaseMs: 5000 })).toEqual([]);
    expect(await claimDueMessages(database.db, at(5000), { limit: 10, leaseMs: 5000 })).toHaveLength(4);
  });

  it('retries a failed message with the same id and body, records each attempt, and delivers it later', async () => {
    const queued = await enqueueAlert();
    await receiver.setMode('503');
    expect(await deliver(0)).toBe(1);
    let [d] = await recentDeliveries(database.db, { webhookId: hook.id });
    expect(d).toMatchObject({ status: 'pending', attempts: 1, lastError: 'HTTP 503 (Service Unavailable)' });
    // The status and the reason; no word of an internal receiver's answer (lib/webhooks/deliver.ts).
    expect(d!.history).toMatchObject([{ httpStatus: 503, ok: false, responseSnippet: null, error: 'HTTP 503 (Service Unavailable)' }]);
    const next = Date.parse(d!.nextAttemptAt!) - T0.getTime();
    expect(next).toBeGreaterThanOrEqual(0);
    expect(next).toBeLessThanOrEqual(policy.baseMs);

    await receiver.setMode('closed');
    expect(await deliver(next)).toBe(1);
    [d] = await recentDeliveries(database.db, { webhookId: hook.id });
    expect(d!.history[0]).toMatchObject({ httpStatus: null, ok: false, error: expect.stringMatching(/ECONNREFUSED/) });

    await receiver.setMode('up');
    expect(await deliver(10_000)).toBe(1);
    [d] = await recentDeliveries(database.db, { webhookId: hook.id });
    expect(d).toMatchObject({ status: 'delivered', attempts: 3, nextAttemptAt: null });
    expect(await outboxDepth(database.db)).toBe(0);
    expect(new Set(receiver.received.map((r) => r.id))).toEqual(new Set([queued.messageId]));
    expect(new Set(receiver.received.map((r) => r.body)).size).toBe(1);
    for (const r of receiver.received) expect(r.signature).toBe(expectedSignature(hook.secret, r.id, r.timestamp, r.body));
    expect(await deliver(20_000)).toBe(0);
  });

  it('tries a test message once: a failure ends it, with the reason, and nothing is retried', async () => {
    const queued = (await enqueueTestMessage(database.db, hook.id, T0, 'http://dash.test'))!;
    await receiver.setMode('503');
    expect(await deliver(0)).toBe(1);
    const [d] = await recentDeliveries(database.db, { webhookId: hook.id });
    expect(d).toMatchObject({ messageId: queued.messageId, eventType: 'webhook.test', status: 'gave_up', attempts: 1, nextAttemptAt: null, lastError: 'HTTP 503 (Service Unavailable)' });
    expect(await outboxDepth(database.db)).toBe(0);
    // Not even once the lease and any backoff are long over.
    expect(await deliver(policy.giveUpAfterMs)).toBe(0);
    expect(receiver.received).toHaveLength(1);
  });

  it('gives up once the message is older than the give-up age', async () => {
    await enqueueAlert();
    await receiver.setMode('503');
    let now = 0;
    for (let i = 0; i < 200; i++) {
      await deliver(now);
      const [d] = await recentDeliveries(database.db, { webhookId: hook.id });
      if (d!.status !== 'pending') break;
      now = Date.parse(d!.nextAttemptAt!) - T0.getTime();
    }
    const [d] = await recentDeliveries(database.db, { webhookId: hook.id });
    expect(d!.status).toBe('gave_up');
    expect(now).toBe(policy.giveUpAfterMs);
    expect(d!.attempts).toBeGreaterThan(10);
    const [row] = await database.db.select().from(webhookOutbox).where(eq(webhookOutbox.webhookId, hook.id));
    expect(row!.lockedUntil).toBeNull();
  });

  it('leaves re-sends out of the recent deliveries unless asked, so they do not push real ones off the page', async () => {
    const { messageId } = await enqueueAlert();
    await database.db.insert(webhookOutbox).values(
      Array.from({ length: 3 }, (_, i) => ({ messageId: `amr_resend_${i}`, webhookId: hook.id, transitionId: null, eventType: RESEND_EVENT, body: '[]', status: 'delivered' as const, createdAt: at((i + 1) * 60_000), nextAttemptAt: at((i + 1) * 60_000) })),
    );
    expect((await recentDeliveries(database.db, { limit: 2 })).map((d) => d.messageId)).toEqual([messageId]);
    expect((await recentDeliveries(database.db, { webhookId: hook.id, limit: 2 })).map((d) => d.messageId)).toEqual([messageId]);
    expect((await recentDeliveries(database.db, { limit: 2, includeResends: true })).map((d) => d.messageId)).toEqual(['amr_resend_2', 'amr_resend_1']);
  });

  it('prunes finished messages older than the retention, never pending ones', async () => {
    await enqueueTestMessage(database.db, hook.id, T0, 'http://dash.test');
    await enqueueTestMessage(database.db, hook.id, at(1000), 'http://dash.test');
    await deliver(1000);
    await enqueueTestMessage(database.db, hook.id, T0, 'http://dash.test');
    expect(await pruneDeliveries(database.db, at(500))).toBe(1);
    expect((await recentDeliveries(database.db, { webhookId: hook.id })).map((d) => d.status).sort()).toEqual(['delivered', 'pending']);
  });
});
