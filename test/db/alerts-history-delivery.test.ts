/**
 * What the alert history says became of each firing and resolve, on every backend, read
 * from the transition's own messages in the outbox: sent, retrying, given up, superseded by
 * its resolve, held by a silence, or never sent and why.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { createRule, type StoredRule } from '../../db/queries/alert-rules';
import { applyEvaluation } from '../../db/queries/alerts-evaluate';
import { alertHistory } from '../../db/queries/alerts-history';
import { createSilence } from '../../db/queries/silences';
import { createWebhook } from '../../db/queries/webhooks';
import { webhookOutbox } from '../../db/schema';
import type { Observation } from '../../lib/alerts/observation';
import { alertRuleInputSchema } from '../../lib/alerts/rule';
import { deliveryOutcome } from '../../lib/alerts/transition-delivery';
import type { Principal } from '../../lib/auth/roles';
import { generateSecretKey } from '../../lib/crypto/secret-box';
import { backends } from '../helpers/databases';

const ALICE: Principal = { kind: 'user', id: 'u1', name: 'Alice', email: 'alice@example.com', role: 'editor' };
const T0 = new Date('2026-12-07T10:00:00Z');
const M = 60_000;
const at = (ms: number) => new Date(T0.getTime() + ms);
const breach: Observation = { labels: { proxy: 'squid' }, value: 5, verdict: 'breach', evidence: { drops: 25 } };
const clear: Observation = { labels: { proxy: 'squid' }, value: 0, verdict: 'clear', evidence: { drops: 0 } };

describe.each(backends())('alert history deliveries on $name', (backend) => {
  let database: Database;
  let hooks: number[];
  let n = 0;

  beforeAll(async () => {
    database = await backend.open();
    const key = generateSecretKey();
    hooks = [];
    for (const name of ['ops', 'pager']) hooks.push((await createWebhook(database.db, { name, url: `http://127.0.0.1:9/${name}`, format: 'standard', enabled: true }, T0, key)).webhook.id);
  });
  afterAll(() => database.close());

  const rule = (webhooks: number[]): Promise<StoredRule> =>
    createRule(database.db, alertRuleInputSchema.parse({ name: `drops ${++n}`, kind: 'drop_rate', severity: 'critical', window: '1m', threshold: 1, scope: { target: 'builtin' }, groupBy: ['proxy'], webhooks }), T0, ALICE);
  const evaluate = (r: StoredRule, ms: number, obs: Observation[]) => applyEvaluation(database.db, r, obs, { now: at(ms), publicUrl: 'http://dash.test' });
  /** [change, state, text] per transition of the rule, oldest first. */
  const told = async (r: StoredRule) =>
    (await alertHistory(database.db, { ruleId: r.id })).reverse().map((t) => {
      const o = deliveryOutcome(t);
      return [`${t.from}>${t.to}`, o.state, o.text];
    });
  const settle = (r: StoredRule, status: 'delivered' | 'gave_up', webhookId?: number) =>
    database.db
      .update(webhookOutbox)
      .set({ status, attempts: 1, deliveredAt: status === 'delivered' ? at(0) : null })
      .where(eq(webhookOutbox.webhookId, webhookId ?? hooks[0]!))
      .returning()
      .then((rows) => rows.filter((m) => (JSON.parse(m.body) as { data: { rule: { id: number } } }).data.rule.id === r.id));

  it('a firing queued to two receivers: retrying, then one delivered and one given up, then both sent', async () => {
    const r = await rule(hooks);
    await evaluate(r, 0, [breach]);
    expect(await told(r)).toEqual([['inactive>firing', 'sending', '0 of 2 delivered, 2 retrying']]);
    await settle(r, 'delivered', hooks[0]);
    await settle(r, 'gave_up', hooks[1]);
    expect(await told(r)).toEqual([['inactive>firing', 'failed', '1 of 2 delivered, 1 given up']]);
    await settle(r, 'delivered', hooks[1]);
    await evaluate(r, 2 * M, [clear]);
    await settle(r, 'delivered', hooks[0]);
    await settle(r, 'delivered', hooks[1]);
    expect(await told(r)).toEqual([
      ['inactive>firing', 'sent', 'sent to 2 receivers'],
      ['firing>resolved', 'sent', 'sent to 2 receivers'],
    ]);
  });

  it('a firing that resolves before it went out is superseded, and its resolve is not sent', async () => {
    const r = await rule([hooks[0]!]);
    await evaluate(r, 10 * M, [breach]);
    await evaluate(r, 12 * M, [clear]);
    expect(await told(r)).toEqual([
      ['inactive>firing', 'superseded', 'not sent: it resolved before it went out'],
      ['firing>resolved', 'unsent', 'not sent: no receiver was told it fired'],
    ]);
  });

  it('a rule without receivers says so; a silenced firing leaves it to the badge', async () => {
    const quiet = await rule([]);
    await evaluate(quiet, 20 * M, [breach]);
    expect(await told(quiet)).toEqual([['inactive>firing', 'no-receivers', 'no receivers: the rule tells no one']]);

    const held = await rule([hooks[0]!]);
    await createSilence(database.db, { matchers: { rule: held.name }, startsAt: at(30 * M), endsAt: at(40 * M), comment: '' }, ALICE, at(30 * M));
    await evaluate(held, 31 * M, [breach]);
    const [t] = await alertHistory(database.db, { ruleId: held.id });
    expect(t!.silencedBy).not.toBeNull();
    expect(await told(held)).toEqual([['inactive>firing', 'held', '']]);
  });
});
