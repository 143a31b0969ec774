/**
 * Re-sends of firing alerts to Alertmanager endpoints, on every backend, at injected
 * instants: one per period counted from the firing, only for firing, notified alerts (a
 * silence begun since does not stop them) of enabled rules and only to alertmanager
 * endpoints; never twice for one period (concurrent steps, as two servers would run, queue one); a pending older re-send, or one
 * whose alert stopped qualifying, is superseded; the step is bounded; and a re-send goes
 * through the real delivery path to /api/v2/alerts.
 */
import { createHash } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { createRule, type StoredRule } from '../../db/queries/alert-rules';
import { queueResends, RESEND_EVENT, resendMessageId } from '../../db/queries/alerts-resend';
import { createWebhook } from '../../db/queries/webhooks';
import { alertRules, alertStates, silences, webhookOutbox } from '../../db/schema';
import { labelsKey } from '../../lib/alerts/observation';
import { alertRuleInputSchema } from '../../lib/alerts/rule';
import type { Principal } from '../../lib/auth/roles';
import { generateSecretKey } from '../../lib/crypto/secret-box';
import { createLogger } from '../../lib/log';
import { parseAllowList } from '../../lib/net/allow-list';
import { deliverDue } from '../../server/alerts/deliver';
import { backends } from '../helpers/databases';
import { T0 } from '../helpers/events';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';

const ACTOR: Principal = { kind: 'cli', name: 'resend test' };
const key = generateSecretKey();
const log = createLogger({ level: 'silent' });
const S = 1000;
const M = 60 * S;
const at = (ms: number) => new Date(T0.getTime() + ms);
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

describe.each(backends())('alert re-sends on $name', (backend) => {
  let database: Database;
  let receiver: WebhookReceiver;
  let am: number;
  let std: number;
  let rule: StoredRule;
  beforeAll(async () => {
    database = await backend.open();
    receiver = await startWebhookReceiver();
    am = (await createWebhook(database.db, { name: 'am', url: `${receiver.url}/am`, format: 'alertmanager', enabled: true }, T0, key)).webhook.id;
    std = (await createWebhook(database.db, { name: 'std', url: `${receiver.url}/std`, format: 'standard', enabled: true }, T0, key)).webhook.id;
    rule = await createRule(
      database.db,
      alertRuleInputSchema.parse({ name: 'drops', kind: 'drop_rate', severity: 'critical', window: '5m', threshold: 1, for: '1m', resolveAfter: '1m', groupBy: ['proxy'], webhooks: [am, std] }),
      T0,
      ACTOR,
    );
  });
  afterAll(async () => {
    await receiver.close();
    await database.close();
  });
  afterEach(async () => {
    await database.db.delete(webhookOutbox);
    await database.db.delete(alertStates);
    await database.db.update(alertRules).set({ enabled: true });
    receiver.received.length = 0;
  });

  /** A firing alert on proxy `proxy` that fired at T0 + firedMs. */
  const fire = async (proxy: string, over: { firedMs?: number; notified?: boolean; silencedBy?: number | null } = {}) => {
    const labels = { proxy };
    await database.db.insert(alertStates).values({
      ruleId: rule.id,
      labelsKey: labelsKey(labels),
      labels,
      status: 'firing',
      since: at(over.firedMs ?? 0),
      firedAt: at(over.firedMs ?? 0),
      value: 3,
      evidence: {},
      evaluatedAt: at(over.firedMs ?? 0),
      notified: over.notified ?? true,
      silencedBy: over.silencedBy ?? null,
    });
    return labels;
  };
  const step = (ms: number, batch = 50) => queueResends(database.db, { now: at(ms), publicUrl: 'http://dash.test', batch });
  const outbox = () => database.db.select().from(webhookOutbox).orderBy(webhookOutbox.id);
  const idOf = (proxy: string, period: number) => resendMessageId(am, rule.id, md5(labelsKey({ proxy })), period);

  it('queues one re-send per period from the firing, to the alertmanager endpoint only, with endsAt four periods ahead', async () => {
    await fire('squid');
    expect(await step(59 * S)).toEqual({ queued: 0, superseded: 0 });
    expect(await step(60 * S)).toEqual({ queued: 1, superseded: 0 });
    const [row, ...rest] = await outbox();
    expect(rest).toEqual([]);
    expect(row).toMatchObject({ webhookId: am, eventType: RESEND_EVENT, messageId: idOf('squid', 1), status: 'pending', transitionId: null });
    const [alert] = JSON.parse(row!.body) as { labels: Record<string, string>; startsAt: string; endsAt: string; generatorURL: string }[];
    expect(alert).toMatchObject({ labels: { alertname: 'drops', severity: 'critical', proxy: 'squid', rule_id: String(rule.id) }, startsAt: T0.toISOString(), endsAt: at(60 * S + 4 * M).toISOString() });
    expect(alert!.generatorURL).toMatch(/^http:\/\/dash\.test\/drops\?/);
    // The same period again: nothing.
    expect(await step(61 * S)).toEqual({ queued: 0, superseded: 0 });
    expect(await step(119 * S)).toEqual({ queued: 0, superseded: 0 });
  });

  it('queues a period once even when steps run concurrently, and supersedes the older pending re-send', async () => {
    await fire('squid');
    await step(60 * S);
    const both = await Promise.all([step(2 * M), step(2 * M), step(2 * M + 1)]);
    expect(both.reduce((n, o) => n + o.queued, 0)).toBe(1);
    const rows = await outbox();
    expect(rows.map((r) => [r.messageId, r.status])).toEqual([
      [idOf('squid', 1), 'gave_up'],
      [idOf('squid', 2), 'pending'],
    ]);
    expect(rows[0]!.lastError).toMatch(/^superseded: a newer re-send/);
  });

  it('re-sends nothing for an alert not notified (a firing a silence held back), of a disabled rule, or not firing; and supersedes what was pending', async () => {
    await fire('a', { notified: false });
    const [silence] = await database.db.insert(silences).values({ matchers: { proxy: 'b' }, startsAt: T0, endsAt: at(60 * M), createdBy: 'test' }).returning({ id: silences.id });
    await fire('b', { notified: false, silencedBy: silence!.id });
    expect(await step(5 * M)).toEqual({ queued: 0, superseded: 0 });

    await fire('c');
    expect((await step(5 * M)).queued).toBe(1);
    await database.db.update(alertRules).set({ enabled: false }).where(eq(alertRules.id, rule.id));
    expect(await step(5 * M + S)).toEqual({ queued: 0, superseded: 1 });
    expect((await outbox()).map((r) => [r.messageId, r.status, r.lastError])).toEqual([[idOf('c', 5), 'gave_up', expect.stringMatching(/^superseded: the alert is no longer firing/)]]);
    await database.db.update(alertRules).set({ enabled: true }).where(eq(alertRules.id, rule.id));
    expect((await step(6 * M)).queued).toBe(1);
    await database.db.update(alertStates).set({ status: 'resolved' }).where(and(eq(alertStates.ruleId, rule.id), eq(alertStates.labelsKey, labelsKey({ proxy: 'c' }))));
    expect(await step(8 * M)).toEqual({ queued: 0, superseded: 1 });
    expect((await outbox()).every((r) => r.status === 'gave_up')).toBe(true);
  });

  it('keeps re-sending a firing already sent when a silence begins: Alertmanager must not see it end, then page again after the silence', async () => {
    await fire('d');
    expect((await step(M)).queued).toBe(1);
    const [silence] = await database.db.insert(silences).values({ matchers: { proxy: 'd' }, startsAt: at(M), endsAt: at(60 * M), createdBy: 'test' }).returning({ id: silences.id });
    await database.db.update(alertStates).set({ silencedBy: silence!.id }).where(eq(alertStates.labelsKey, labelsKey({ proxy: 'd' })));
    // The pending re-send is not given up as silenced, only by the newer one.
    expect(await step(2 * M)).toEqual({ queued: 1, superseded: 1 });
    expect((await outbox()).map((r) => [r.messageId, r.status])).toEqual([
      [idOf('d', 1), 'gave_up'],
      [idOf('d', 2), 'pending'],
    ]);
    // And the deliverer still sends it.
    expect(await deliverNow()).toBe(1);
    expect(receiver.received).toHaveLength(1);
    expect((await outbox()).at(-1)).toMatchObject({ messageId: idOf('d', 2), status: 'delivered' });
  });

  it('forgets finished re-sends older than ten periods, so they do not fill the outbox; pending ones and other messages stay', async () => {
    const row = (messageId: string, over: { eventType?: string; status?: 'pending' | 'delivered' | 'gave_up'; createdMs: number }) => ({
      messageId,
      webhookId: am,
      transitionId: null,
      eventType: over.eventType ?? RESEND_EVENT,
      body: '[]',
      status: over.status ?? 'delivered',
      createdAt: at(over.createdMs),
      nextAttemptAt: at(over.createdMs),
    });
    await database.db.insert(webhookOutbox).values([
      row('old-delivered', { createdMs: 0 }),
      row('old-gave-up', { status: 'gave_up', createdMs: 5 * M }),
      // Being attempted right now (leased), so not superseded either.
      { ...row('old-pending', { status: 'pending', createdMs: 0 }), lockedUntil: at(31 * M) },
      row('old-firing', { eventType: 'alert.firing', createdMs: 0 }),
      row('at-the-limit', { createdMs: 20 * M }),
      row('recent', { createdMs: 25 * M }),
    ]);
    await step(30 * M);
    expect((await outbox()).map((r) => r.messageId)).toEqual(['old-pending', 'old-firing', 'at-the-limit', 'recent']);
  });

  it('queues at most `batch` per step, the oldest firing first, and the rest at the next', async () => {
    await fire('p1', { firedMs: 2 * S });
    await fire('p2', { firedMs: 0 });
    await fire('p3', { firedMs: 1 * S });
    expect((await step(2 * M, 2)).queued).toBe(2);
    expect((await outbox()).map((r) => r.messageId)).toEqual([idOf('p2', 2), idOf('p3', 1)]);
    expect((await step(2 * M, 2)).queued).toBe(1);
    expect((await step(2 * M, 2)).queued).toBe(0);
  });

  const deliverNow = async () => {
    await database.db.update(webhookOutbox).set({ nextAttemptAt: new Date(Date.now() - 1000) });
    return deliverDue(database, { policy: { baseMs: 1000, maxMs: 1000, giveUpAfterMs: 60_000 }, timeoutMs: 3000, batch: 10, key, outbound: { allow: parseAllowList('127.0.0.1/32') }, log, now: () => new Date() });
  };

  it('gives up unsent a claimed re-send whose alert resolved after it was queued: no firing after the resolve', async () => {
    await fire('squid');
    await step(60 * S);
    await database.db.update(alertStates).set({ status: 'resolved' });
    expect(await deliverNow()).toBe(1);
    expect(receiver.received).toEqual([]);
    expect((await outbox()).map((r) => [r.status, r.attempts, r.lastError])).toEqual([['gave_up', 0, expect.stringMatching(/^superseded: the alert stopped firing/)]]);
  });

  it('delivers a re-send as Alertmanager takes it: POST <base>/api/v2/alerts with the alert array', async () => {
    await fire('squid');
    await step(60 * S);
    expect(await deliverNow()).toBe(1);
    expect(receiver.received.map((r) => r.path)).toEqual(['/am/api/v2/alerts']);
    const [alert] = JSON.parse(receiver.received[0]!.body) as { labels: Record<string, string> }[];
    expect(alert!.labels).toMatchObject({ alertname: 'drops', proxy: 'squid' });
    // No Standard Webhooks signature on an Alertmanager request.
    expect(receiver.received[0]!.signature).toBe('');
    expect((await outbox())[0]!.status).toBe('delivered');
  });
});
