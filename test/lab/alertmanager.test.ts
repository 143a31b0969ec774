/**
 * dropscope against the real Prometheus Alertmanager (Debian `prometheus-alertmanager`,
 * /usr/bin/prometheus-alertmanager), started here on 127.0.0.1 with a temp config and
 * storage, clustering off, and stopped by its PID. Through the real delivery path (outbox,
 * deliverDue, the outbound guard allowing 127.0.0.1, HTTP): a firing reaches it and
 * `GET /api/v2/alerts` shows it active with our labels and annotations; a re-send
 * (db/queries/alerts-resend.ts) moves its endsAt forward; the resolve makes it leave the
 * active alerts; and "Send test" is accepted without leaving an active alert behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Database } from '../../db/client';
import { openDatabase } from '../../db/open';
import { createRule, type StoredRule } from '../../db/queries/alert-rules';
import { queueResends } from '../../db/queries/alerts-resend';
import { enqueueTestMessage, recentDeliveries } from '../../db/queries/webhook-outbox';
import { createWebhook } from '../../db/queries/webhooks';
import { alertStates, webhookOutbox } from '../../db/schema';
import { notificationBody, summarize, type AlertNotification } from '../../lib/alerts/notification';
import { labelsKey } from '../../lib/alerts/observation';
import { alertRuleInputSchema } from '../../lib/alerts/rule';
import { generateSecretKey } from '../../lib/crypto/secret-box';
import { createLogger } from '../../lib/log';
import { parseAllowList } from '../../lib/net/allow-list';
import { generateMessageId } from '../../lib/webhooks/signature';
import { deliverDue } from '../../server/alerts/deliver';
import { freePort, labDir, startDaemon, writeConfig, type Daemon } from './daemon';

const BINARY = '/usr/bin/prometheus-alertmanager';
const key = generateSecretKey();
const log = createLogger({ level: 'silent' });
const policy = { baseMs: 500, maxMs: 1000, giveUpAfterMs: 60_000 };

interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  status: { state: string };
}

describe('the real Alertmanager receives dropscope\'s alerts', () => {
  let am: Daemon;
  let base: string;
  let database: Database;
  let webhookId: number;
  let rule: StoredRule;

  beforeAll(async () => {
    const dir = await labDir('alertmanager');
    const port = await freePort();
    const config = await writeConfig(dir, 'alertmanager.yml', ['route:', '  receiver: blackhole', '  group_wait: 1s', 'receivers:', '  - name: blackhole', ''].join('\n'));
    am = await startDaemon({
      name: 'alertmanager',
      command: BINARY,
      args: [`--config.file=${config}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn'],
      port,
      dir,
      readyTimeoutMs: 20_000,
    });
    base = `http://127.0.0.1:${port}`;
    await until('Alertmanager ready', async () => (await fetch(`${base}/-/ready`)).ok);
    database = await openDatabase({ kind: 'pglite', dataDir: 'memory://' });
    webhookId = (await createWebhook(database.db, { name: 'am', url: base, format: 'alertmanager', enabled: true }, new Date(), key)).webhook.id;
    rule = await createRule(database.db, alertRuleInputSchema.parse({ name: 'drops on squid', kind: 'drop_rate', severity: 'critical', window: '5m', threshold: 1, for: '1m', resolveAfter: '1m', groupBy: ['proxy'], webhooks: [webhookId] }), new Date(), { kind: 'cli', name: 'lab' });
  });
  afterAll(async () => {
    await database?.close();
    await am?.stop();
  });

  const deliver = () => deliverDue(database, { policy, timeoutMs: 5000, batch: 10, key, outbound: { allow: parseAllowList('127.0.0.1/32') }, log, now: () => new Date() });
  const active = async (): Promise<AmAlert[]> => {
    const res = await fetch(`${base}/api/v2/alerts?active=true&silenced=true&inhibited=true&unprocessed=true`);
    expect(res.status).toBe(200);
    return (await res.json()) as AmAlert[];
  };
  const ours = async () => (await active()).filter((a) => a.labels.rule_id === String(rule.id));
  const enqueue = async (eventType: string, body: string) => {
    await database.db.insert(webhookOutbox).values({ messageId: generateMessageId(), webhookId, transitionId: null, eventType, body, createdAt: new Date(), nextAttemptAt: new Date(Date.now() - 1000) });
  };
  const notification = (over: Partial<AlertNotification>): AlertNotification => {
    const n: Omit<AlertNotification, 'summary'> = {
      status: 'firing',
      rule: { id: rule.id, name: rule.name, kind: rule.kind, severity: rule.severity },
      labels: { proxy: 'squid', 'label:region': 'eu' },
      value: 3,
      threshold: 1,
      startsAt: new Date(Date.now() - 60_000).toISOString(),
      evidence: {},
      url: 'http://dash.test/drops?proxy=squid',
      ...over,
    };
    return { ...n, summary: summarize(n) };
  };

  it('takes "Send test" (200) and shows no active alert for it', async () => {
    await enqueueTestMessage(database.db, webhookId, new Date(Date.now() - 1000), 'http://dash.test');
    expect(await deliver()).toBe(1);
    const [d] = await recentDeliveries(database.db, { webhookId });
    expect(d).toMatchObject({ status: 'delivered', history: [{ ok: true, httpStatus: 200 }] });
    expect((await active()).filter((a) => a.labels.alertname === 'DropscopeTest')).toEqual([]);
  });

  it('shows a firing as active with our labels, keeps it with a re-send, and drops it on resolve', async () => {
    const fired = notification({});
    await enqueue('alert.firing', notificationBody('alertmanager', fired, new Date()));
    expect(await deliver()).toBe(1);
    let [alert, ...more] = await until('the alert in Alertmanager', async () => ((await ours()).length > 0 ? ours() : null));
    expect(more).toEqual([]);
    expect(alert!.labels).toEqual({ alertname: 'drops on squid', severity: 'critical', rule_id: String(rule.id), kind: 'drop_rate', proxy: 'squid', label_region: 'eu' });
    expect(alert!.annotations).toMatchObject({ summary: fired.summary, dashboard: 'http://dash.test/drops?proxy=squid' });
    expect(alert!.generatorURL).toBe('http://dash.test/drops?proxy=squid');
    expect(alert!.status.state).toBe('active');
    expect(Date.parse(alert!.startsAt)).toBe(Date.parse(fired.startsAt));
    const firstEnds = Date.parse(alert!.endsAt);
    expect(firstEnds).toBeGreaterThan(Date.now() + 3 * 60_000);

    // The re-send step, two periods after the firing, as the delivery loop runs it.
    const labels = { proxy: 'squid', 'label:region': 'eu' };
    const firedAt = new Date(Date.now() - 2 * 60_000 - 1000);
    await database.db.insert(alertStates).values({ ruleId: rule.id, labelsKey: labelsKey(labels), labels, status: 'firing', since: firedAt, firedAt, value: 3, evidence: {}, evaluatedAt: firedAt, notified: true });
    expect((await queueResends(database.db, { now: new Date(), publicUrl: 'http://dash.test', batch: 10 })).queued).toBe(1);
    expect(await deliver()).toBe(1);
    [alert] = await until('the re-sent endsAt', async () => {
      const list = await ours();
      return list.length === 1 && Date.parse(list[0]!.endsAt) > firstEnds ? list : null;
    });
    expect(alert!.labels.proxy).toBe('squid');

    await enqueue('alert.resolved', notificationBody('alertmanager', notification({ status: 'resolved', startsAt: firedAt.toISOString(), endsAt: new Date().toISOString() }), new Date()));
    expect(await deliver()).toBe(1);
    await until('the alert gone from the active alerts', async () => (await ours()).length === 0);
    expect((await recentDeliveries(database.db, { webhookId })).every((d) => d.status === 'delivered')).toBe(true);
  });
});

/** Poll `check` every 100 ms until it returns something truthy; fail after 15 s naming `what`. */
async function until<T>(what: string, check: () => Promise<T | null | false>): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const got = await check().catch(() => null);
    if (got) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
