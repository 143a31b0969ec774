/**
 * The whole path on every backend, from seeded drops to the receivers: a drop_rate rule
 * evaluated at injected instants fires and resolves (db/queries/alerts-evaluate.ts), its
 * outbox messages are built by each endpoint's provider, and the real deliverer sends
 * them over HTTP: the PagerDuty stand-in (checking the documented Events v2 schema) sees a
 * trigger and a resolve with one dedup_key; an Alertmanager endpoint gets the firing, a
 * re-send while it fires, and the resolve with endsAt at the resolve.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { createRule } from '../../db/queries/alert-rules';
import { queueResends } from '../../db/queries/alerts-resend';
import { storeBatch } from '../../db/queries/ingest';
import { addProbe } from '../../db/queries/probes';
import { createWebhook } from '../../db/queries/webhooks';
import { alertRuleInputSchema } from '../../lib/alerts/rule';
import { BUILTIN_LAYERS } from '../../lib/analysis/catalogue';
import type { IngestEvent } from '../../lib/contracts/ingest';
import { generateSecretKey } from '../../lib/crypto/secret-box';
import { createLogger } from '../../lib/log';
import { parseAllowList } from '../../lib/net/allow-list';
import { dedupKey } from '../../lib/receivers/pagerduty';
import { deliverDue } from '../../server/alerts/deliver';
import { evaluateRules } from '../../server/alerts/evaluate';
import { backends } from '../helpers/databases';
import { ended, opened, path, T0 } from '../helpers/events';
import { startPagerDutyReceiver, type PagerDutyReceiver } from '../helpers/pagerduty-receiver';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';

const S = 1000;
const M = 60 * S;
const at = (ms: number) => new Date(T0.getTime() + ms);
const log = createLogger({ level: 'silent' });
const key = generateSecretKey();
const ROUTING_KEY = 'aaaabbbbccccddddeeeeffff00001111';

type AmAlert = { labels: Record<string, string>; startsAt: string; endsAt: string };

describe.each(backends())('from evaluation to PagerDuty and Alertmanager on $name', (backend) => {
  let database: Database;
  let pd: PagerDutyReceiver;
  let am: WebhookReceiver;
  beforeAll(async () => {
    database = await backend.open();
    pd = await startPagerDutyReceiver();
    am = await startWebhookReceiver();
  });
  afterAll(async () => {
    await pd.close();
    await am.close();
    await database.close();
  });

  const deliver = async (ms: number) => deliverDue(database, { policy: { baseMs: 1000, maxMs: 1000, giveUpAfterMs: 3_600_000 }, timeoutMs: 3000, batch: 10, key, outbound: { allow: parseAllowList('127.0.0.1/32') }, log, now: () => at(ms) });
  const evaluate = (ms: number) => evaluateRules(database, { now: at(ms), publicUrl: 'http://dash.test', layers: BUILTIN_LAYERS, log, signatureRuns: new Map(), signatureEveryMs: 0 });
  const amAlerts = () => am.received.map((r) => ({ path: r.path, alert: (JSON.parse(r.body) as AmAlert[])[0]! }));

  it('fires and resolves to both receivers, with one dedup_key and one Alertmanager label set', async () => {
    const probeId = (await addProbe(database.db, { name: 'edge-1', labels: {} })).probe.id;
    const pdId = (await createWebhook(database.db, { name: 'pd', url: pd.url, format: 'pagerduty', enabled: true, secret: ROUTING_KEY }, T0, key)).webhook.id;
    const amId = (await createWebhook(database.db, { name: 'am', url: am.url, format: 'alertmanager', enabled: true }, T0, key)).webhook.id;
    const rule = await createRule(
      database.db,
      alertRuleInputSchema.parse({ name: 'squid drops', kind: 'drop_rate', severity: 'warning', window: '5m', threshold: 1, for: '1m', resolveAfter: '1m', groupBy: ['proxy'], webhooks: [pdId, amId] }),
      T0,
      { kind: 'cli', name: 'test' },
    );
    const squid = path({ proxy: 'squid', kind: 'http' });
    const events: IngestEvent[] = Array.from({ length: 10 }, (_, i) => {
      const id = `s-recv-${i}`;
      return [opened(id, { path: squid }, at(i * 12 * S)), ended(id, 60 * S, { path: squid, endKind: 'tcp_fin' }, at(i * 12 * S))];
    }).flat();
    await storeBatch(database.db, probeId, events, at(3 * M));

    await evaluate(3 * M);
    await evaluate(4 * M); // firing
    expect(await deliver(4 * M)).toBe(2);
    // A minute later the Alertmanager endpoint hears it again; PagerDuty does not need to.
    expect((await queueResends(database.db, { now: at(5 * M), publicUrl: 'http://dash.test', batch: 10 })).queued).toBe(1);
    expect(await deliver(5 * M)).toBe(1);
    await evaluate(8 * M + 30 * S);
    await evaluate(9 * M + 30 * S); // resolved
    expect(await deliver(9 * M + 30 * S)).toBe(2);

    expect(pd.requests.map((r) => [r.answered, r.errors])).toEqual([[202, []], [202, []]]);
    const [trigger, resolve] = pd.events();
    expect(trigger).toMatchObject({ routing_key: ROUTING_KEY, event_action: 'trigger', dedup_key: dedupKey(rule.id, { proxy: 'squid' }), payload: { severity: 'warning', source: 'squid', component: 'squid', class: 'drop_rate' } });
    expect(resolve).toEqual({ routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: trigger!.dedup_key });

    const sent = amAlerts();
    expect(sent.map((s) => s.path)).toEqual(['/api/v2/alerts', '/api/v2/alerts', '/api/v2/alerts']);
    const [first, again, end] = sent.map((s) => s.alert);
    expect(first!.labels).toEqual({ alertname: 'squid drops', severity: 'warning', rule_id: String(rule.id), kind: 'drop_rate', proxy: 'squid' });
    expect(again!.labels).toEqual(first!.labels);
    expect(end!.labels).toEqual(first!.labels);
    expect([first!.startsAt, again!.startsAt, end!.startsAt]).toEqual([at(4 * M).toISOString(), at(4 * M).toISOString(), at(4 * M).toISOString()]);
    expect([first!.endsAt, again!.endsAt, end!.endsAt]).toEqual([at(8 * M).toISOString(), at(9 * M).toISOString(), at(9 * M + 30 * S).toISOString()]);
    // Resolved: nothing more to re-send.
    expect((await queueResends(database.db, { now: at(11 * M), publicUrl: 'http://dash.test', batch: 10 })).queued).toBe(0);
  });
});
