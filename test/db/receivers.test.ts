/**
 * Receiver providers end to end on every backend: endpoints of each format keep the right
 * secret (a PagerDuty routing key given by the user and sealed, never returned; nothing for
 * Alertmanager), and messages go through the real delivery path (outbox, deliverDue, the
 * outbound guard, HTTP) to a PagerDuty stand-in that checks the documented Events v2
 * schema: a trigger then a resolve with the same dedup_key, the key put in at send time only.
 */
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { enqueueTestMessage, recentDeliveries } from '../../db/queries/webhook-outbox';
import { createWebhook, getWebhook, listWebhooks, updateWebhook, WebhookError } from '../../db/queries/webhooks';
import { webhookEndpoints, webhookOutbox } from '../../db/schema';
import { notificationBody } from '../../lib/alerts/notification';
import { generateSecretKey, isSealed } from '../../lib/crypto/secret-box';
import { createLogger } from '../../lib/log';
import { parseAllowList } from '../../lib/net/allow-list';
import { dedupKey } from '../../lib/receivers/pagerduty';
import { openWebhookSecret } from '../../lib/webhooks/secret-at-rest';
import { generateMessageId } from '../../lib/webhooks/signature';
import { deliverDue } from '../../server/alerts/deliver';
import { backends } from '../helpers/databases';
import { T0 } from '../helpers/events';
import { startPagerDutyReceiver, type PagerDutyReceiver } from '../helpers/pagerduty-receiver';
import { firing, resolved } from '../lib/receivers/fixtures';

const log = createLogger({ level: 'silent' });
const key = generateSecretKey();
const outbound = { allow: parseAllowList('127.0.0.1/32') };
const policy = { baseMs: 1000, maxMs: 4000, giveUpAfterMs: 60_000 };
const ROUTING_KEY = '0123456789abcdef0123456789abcdef';
const OTHER_KEY = 'fedcba9876543210fedcba9876543210';

describe.each(backends())('receivers on $name', (backend) => {
  let database: Database;
  let pd: PagerDutyReceiver;
  let seq = 0;
  beforeAll(async () => {
    database = await backend.open();
    pd = await startPagerDutyReceiver();
  });
  afterAll(async () => {
    await pd.close();
    await database.close();
  });
  afterEach(async () => {
    await database.db.delete(webhookOutbox);
    await database.db.delete(webhookEndpoints);
    pd.requests.length = 0;
  });

  const stored = async (id: number) => (await database.db.select({ secret: webhookEndpoints.secret }).from(webhookEndpoints).where(eq(webhookEndpoints.id, id)))[0]!.secret;
  const deliver = () => deliverDue(database, { policy, timeoutMs: 3000, batch: 10, key, outbound, log, now: () => new Date() });
  const enqueue = async (webhookId: number, eventType: string, body: string) => {
    await database.db.insert(webhookOutbox).values({ messageId: generateMessageId(), webhookId, transitionId: null, eventType, body, createdAt: new Date(), nextAttemptAt: new Date(Date.now() - 1000) });
  };
  const pagerduty = async (routingKey = ROUTING_KEY) => (await createWebhook(database.db, { name: `pd-${++seq}`, url: pd.url, format: 'pagerduty', enabled: true, secret: routingKey }, T0, key)).webhook;

  it('stores a routing key sealed, returns no secret for it, and lists none', async () => {
    const made = await createWebhook(database.db, { name: 'pd', url: pd.url, format: 'pagerduty', enabled: true, secret: ROUTING_KEY }, T0, key);
    expect(made.secret).toBeNull();
    const column = await stored(made.webhook.id);
    expect(isSealed(column)).toBe(true);
    expect(column).not.toContain(ROUTING_KEY);
    expect(openWebhookSecret(key, made.webhook.id, column)).toBe(ROUTING_KEY);
    expect(JSON.stringify([await listWebhooks(database.db), await getWebhook(database.db, made.webhook.id)])).not.toContain(ROUTING_KEY);
    expect(made.webhook.format).toBe('pagerduty');

    const am = await createWebhook(database.db, { name: 'am', url: 'http://127.0.0.1:9093', format: 'alertmanager', enabled: true }, T0, key);
    expect(am.secret).toBeNull();
    expect(openWebhookSecret(key, am.webhook.id, await stored(am.webhook.id))).toBe('');
    expect((await createWebhook(database.db, { name: 'std', url: 'http://127.0.0.1:9/x', format: 'standard', enabled: true }, T0, key)).secret).toMatch(/^whsec_/);

    const missing = createWebhook(database.db, { name: 'pd2', url: pd.url, format: 'pagerduty', enabled: true }, T0, key);
    await expect(missing).rejects.toBeInstanceOf(WebhookError);
    await expect(missing).rejects.toMatchObject({ code: 'WEBHOOK_ERR_SECRET_REQUIRED', field: 'routingKey' });
  });

  it('delivers a trigger then a resolve with the same dedup_key, the schema receiver accepting both; the key is only on the wire', async () => {
    const hook = await pagerduty();
    await enqueue(hook.id, 'alert.firing', notificationBody('pagerduty', firing(), T0));
    expect(await deliver()).toBe(1);
    await enqueue(hook.id, 'alert.resolved', notificationBody('pagerduty', resolved(), T0));
    expect(await deliver()).toBe(1);

    expect(pd.requests.map((r) => [r.answered, r.errors])).toEqual([[202, []], [202, []]]);
    const [trigger, resolve] = pd.events();
    expect(trigger).toMatchObject({ routing_key: ROUTING_KEY, event_action: 'trigger', payload: { severity: 'critical', source: 'squid' } });
    expect(resolve).toEqual({ routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: trigger!.dedup_key });
    expect(trigger!.dedup_key).toBe(dedupKey(7, firing().labels));
    expect(pd.requests.every((r) => r.contentType === 'application/json' && r.path === '/v2/enqueue')).toBe(true);

    const deliveries = await recentDeliveries(database.db, { webhookId: hook.id });
    expect(deliveries.map((d) => d.status)).toEqual(['delivered', 'delivered']);
    expect(JSON.stringify(deliveries)).not.toContain(ROUTING_KEY);
    const rows = await database.db.select({ body: webhookOutbox.body }).from(webhookOutbox);
    for (const r of rows) expect(r.body).not.toContain(ROUTING_KEY);
  });

  it('gives up at once on an event PagerDuty refuses (400), but retries a 429 and a 5xx', async () => {
    const hook = await pagerduty();
    await enqueue(hook.id, 'alert.firing', JSON.stringify({ event_action: 'trigger', payload: { summary: 'x', severity: 'fatal', source: 's' } }));
    expect(await deliver()).toBe(1);
    expect(pd.requests[0]).toMatchObject({ answered: 400, errors: [expect.stringMatching(/^payload\.severity/)] });
    let [d] = await recentDeliveries(database.db, { webhookId: hook.id });
    expect(d).toMatchObject({ status: 'gave_up', attempts: 1, lastError: 'HTTP 400 (Bad Request) (refused by the receiver: not retried)' });

    await database.db.delete(webhookOutbox);
    pd.failNext(429);
    await enqueue(hook.id, 'alert.firing', notificationBody('pagerduty', firing(), T0));
    expect(await deliver()).toBe(1);
    [d] = await recentDeliveries(database.db, { webhookId: hook.id });
    expect(d).toMatchObject({ status: 'pending', attempts: 1, lastError: 'HTTP 429 (Too Many Requests)' });
    pd.failNext(503);
    await database.db.update(webhookOutbox).set({ nextAttemptAt: new Date(Date.now() - 1000) });
    expect(await deliver()).toBe(1);
    [d] = await recentDeliveries(database.db, { webhookId: hook.id });
    expect(d).toMatchObject({ status: 'pending', attempts: 2, lastError: 'HTTP 503 (Service Unavailable)' });
    await database.db.update(webhookOutbox).set({ nextAttemptAt: new Date(Date.now() - 1000) });
    expect(await deliver()).toBe(1);
    [d] = await recentDeliveries(database.db, { webhookId: hook.id });
    expect(d).toMatchObject({ status: 'delivered', attempts: 3 });
    expect(pd.events().map((e) => e.event_action)).toEqual(['trigger']);
  });

  it('sends a test as a resolve PagerDuty accepts, paging no one', async () => {
    const hook = await pagerduty();
    await enqueueTestMessage(database.db, hook.id, new Date(Date.now() - 1000), 'http://dash.test');
    expect(await deliver()).toBe(1);
    expect(pd.events()).toEqual([{ routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: expect.stringMatching(/^dropscope\/test\//) }]);
  });

  it('a new routing key replaces the old on update; a format change gets that format\'s secret', async () => {
    const hook = await pagerduty();
    const input = { name: hook.name, url: pd.url, format: 'pagerduty' as const, enabled: true };
    // No key given: the stored one stays.
    expect((await updateWebhook(database.db, hook.id, input, T0, key))?.secret).toBeNull();
    expect(openWebhookSecret(key, hook.id, await stored(hook.id))).toBe(ROUTING_KEY);
    await updateWebhook(database.db, hook.id, { ...input, secret: OTHER_KEY }, T0, key);
    await enqueue(hook.id, 'alert.firing', notificationBody('pagerduty', firing(), T0));
    await deliver();
    expect(pd.events().map((e) => e.routing_key)).toEqual([OTHER_KEY]);

    const toStandard = await updateWebhook(database.db, hook.id, { ...input, format: 'standard' }, T0, key);
    expect(toStandard?.secret).toMatch(/^whsec_/);
    expect(openWebhookSecret(key, hook.id, await stored(hook.id))).toBe(toStandard!.secret);
    await expect(updateWebhook(database.db, hook.id, input, T0, key)).rejects.toMatchObject({ code: 'WEBHOOK_ERR_SECRET_REQUIRED', field: 'routingKey' });
    expect(await updateWebhook(database.db, 999_999, input, T0, key)).toBeNull();
  });
});
