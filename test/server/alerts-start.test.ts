/**
 * The alert machinery as the server runs it (server/alerts/start.ts): its delivery loop
 * queues the re-sends of firing alerts (db/queries/alerts-resend.ts) and delivers them, so
 * an Alertmanager endpoint hears a firing alert again without anyone kicking the loop.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { openDatabase } from '../../db/open';
import { createRule } from '../../db/queries/alert-rules';
import { recentDeliveries } from '../../db/queries/webhook-outbox';
import { createWebhook } from '../../db/queries/webhooks';
import { alertStates } from '../../db/schema';
import { labelsKey } from '../../lib/alerts/observation';
import { alertRuleInputSchema } from '../../lib/alerts/rule';
import { BUILTIN_LAYERS } from '../../lib/analysis/catalogue';
import { generateSecretKey } from '../../lib/crypto/secret-box';
import { createLogger } from '../../lib/log';
import { parseAllowList } from '../../lib/net/allow-list';
import { startAlerts } from '../../server/alerts/start';
import { startWebhookReceiver, waitFor, type WebhookReceiver } from '../helpers/webhook-receiver';

const log = createLogger({ level: 'silent' });
const key = generateSecretKey();

describe('the alert loops', () => {
  let database: Database;
  // Opening and migrating PGlite takes seconds on a loaded machine: in the hook, not the test.
  beforeAll(async () => {
    database = await openDatabase({ kind: 'pglite', dataDir: 'memory://' });
  });
  afterAll(async () => {
    await database?.close();
  });
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it('re-send a firing alert to an Alertmanager endpoint from the delivery loop', async () => {
    const receiver: WebhookReceiver = await startWebhookReceiver();
    cleanup.push(() => receiver.close());
    const am = (await createWebhook(database.db, { name: 'am', url: receiver.url, format: 'alertmanager', enabled: true }, new Date(), key)).webhook.id;
    const rule = await createRule(
      database.db,
      alertRuleInputSchema.parse({ name: 'probe gone', kind: 'probe_offline', severity: 'critical', offlineAfter: '10m', resolveAfter: '1h', webhooks: [am] }),
      new Date(),
      { kind: 'cli', name: 'test' },
    );
    const labels = { probe: 'edge-1' };
    const firedAt = new Date(Date.now() - 61_000);
    await database.db.insert(alertStates).values({ ruleId: rule.id, labelsKey: labelsKey(labels), labels, status: 'firing', since: firedAt, firedAt, value: 700_000, evidence: {}, evaluatedAt: firedAt, notified: true });

    const alerts = startAlerts({
      database,
      publicUrl: 'http://dash.test',
      layers: BUILTIN_LAYERS,
      intervalMs: 3_600_000,
      pollMs: 50,
      timeoutMs: 3000,
      policy: { baseMs: 1000, maxMs: 1000, giveUpAfterMs: 60_000 },
      secretKey: key,
      outboundAllow: parseAllowList('127.0.0.1/32'),
      metrics: { evaluation: () => {}, attempt: () => {} },
      log,
    });
    cleanup.push(() => alerts.close());

    await waitFor('the re-send at the Alertmanager endpoint', () => receiver.received.length > 0, 20_000);
    expect(receiver.received[0]!.path).toBe('/api/v2/alerts');
    const [alert] = JSON.parse(receiver.received[0]!.body) as { labels: Record<string, string>; startsAt: string }[];
    expect(alert).toMatchObject({ labels: { alertname: 'probe gone', probe: 'edge-1', severity: 'critical' }, startsAt: firedAt.toISOString() });
    // The receiver has answered; the loop records the outcome right after, in its own time.
    const latest = async () => (await recentDeliveries(database.db, { webhookId: am, includeResends: true }))[0];
    await waitFor('the re-send recorded as delivered', async () => (await latest())?.status === 'delivered', 20_000);
    expect(await latest()).toMatchObject({ eventType: 'alert.resend', status: 'delivered', attempts: 1 });
  });
});
