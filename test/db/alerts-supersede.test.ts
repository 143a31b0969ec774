/**
 * A firing still waiting in the outbox when its alert resolves, on every backend: the
 * outbox keeps no order per alert, so a trigger in backoff would be sent after its resolve
 * (due at once) and open a PagerDuty incident that never closes. The resolve retires the
 * unsent firing (gave_up, saying why) and is not sent where the firing never went; a
 * firing delivered, or being attempted right now (leased), keeps its resolve.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { createRule } from '../../db/queries/alert-rules';
import { applyEvaluation } from '../../db/queries/alerts-evaluate';
import { createWebhook } from '../../db/queries/webhooks';
import { webhookOutbox } from '../../db/schema';
import type { Observation } from '../../lib/alerts/observation';
import { alertRuleInputSchema } from '../../lib/alerts/rule';
import { generateSecretKey } from '../../lib/crypto/secret-box';
import { backends } from '../helpers/databases';

const T0 = new Date('2026-12-07T10:00:00Z');
const S = 1000;
const M = 60 * S;
const at = (ms: number) => new Date(T0.getTime() + ms);
const ROUTING_KEY = '0123456789abcdef0123456789abcdef';
const breach = (proxy: string): Observation => ({ labels: { proxy }, value: 5, verdict: 'breach', evidence: { drops: 25 } });
const clear = (proxy: string): Observation => ({ labels: { proxy }, value: 0, verdict: 'clear', evidence: { drops: 0 } });

describe.each(backends())('a resolve overtaking its firing on $name', (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await backend.open();
  });
  afterAll(() => database.close());

  it('retires the unsent firing; skips the resolve only where it was never attempted', async () => {
    const key = generateSecretKey();
    const endpoint = async (name: string) => (await createWebhook(database.db, { name, url: 'https://events.pagerduty.com/v2/enqueue', format: 'pagerduty', enabled: true, secret: ROUTING_KEY }, T0, key)).webhook.id;
    const failing = await endpoint('failing');
    const delivered = await endpoint('delivered');
    const leased = await endpoint('leased');
    const waiting = await endpoint('waiting');
    const rule = await createRule(
      database.db,
      alertRuleInputSchema.parse({ name: 'drops', kind: 'drop_rate', severity: 'critical', window: '1m', threshold: 1, scope: { target: 'builtin' }, groupBy: ['proxy'], webhooks: [failing, delivered, leased, waiting] }),
      T0,
      { kind: 'cli', name: 'test' },
    );
    const evaluate = (ms: number, obs: Observation[]) => applyEvaluation(database.db, rule, obs, { now: at(ms), publicUrl: 'http://dash.test' });
    const rows = async () => (await database.db.select().from(webhookOutbox)).sort((a, b) => a.id - b.id);

    // Two alerts fire: squid's is the one that resolves, direct's must be left alone.
    expect(await evaluate(M, [breach('squid'), breach('direct')])).toMatchObject({ messages: 8 });
    const squidFiring = (await rows()).filter((r) => r.eventType === 'alert.firing' && r.body.includes('"squid"'));
    expect(squidFiring).toHaveLength(4);
    const mine = (webhookId: number) => squidFiring.find((r) => r.webhookId === webhookId)!;
    // failing: an attempt failed, the next one waits in backoff; delivered: done;
    // leased: a deliverer holds it right now (its lease runs past the resolve); waiting:
    // never attempted yet (its first attempt is due later).
    await database.db.update(webhookOutbox).set({ attempts: 1, nextAttemptAt: at(3 * M), lastError: 'HTTP 503 (Service Unavailable)' }).where(eq(webhookOutbox.id, mine(failing).id));
    await database.db.update(webhookOutbox).set({ status: 'delivered', attempts: 1, deliveredAt: at(M) }).where(eq(webhookOutbox.id, mine(delivered).id));
    await database.db.update(webhookOutbox).set({ lockedUntil: at(2 * M + 30 * S) }).where(eq(webhookOutbox.id, mine(leased).id));
    await database.db.update(webhookOutbox).set({ nextAttemptAt: at(3 * M) }).where(eq(webhookOutbox.id, mine(waiting).id));

    const outcome = await evaluate(2 * M, [clear('squid'), breach('direct')]);
    expect(outcome).toEqual({ transitions: 1, messages: 3, muted: 0 });

    const after = await rows();
    const byId = new Map(after.map((r) => [r.id, r]));
    expect(byId.get(mine(failing).id)).toMatchObject({ status: 'gave_up', attempts: 1, lockedUntil: null, lastError: 'superseded: the alert resolved before this firing was delivered' });
    expect(byId.get(mine(delivered).id)).toMatchObject({ status: 'delivered' });
    expect(byId.get(mine(leased).id)).toMatchObject({ status: 'pending', lockedUntil: at(2 * M + 30 * S) });
    expect(byId.get(mine(waiting).id)).toMatchObject({ status: 'gave_up', attempts: 0, lastError: 'superseded: the alert resolved before this firing was delivered' });
    // Resolves go where the firing went or may have gone (an attempt that failed may still
    // have reached the receiver: a timeout), not where it was never sent.
    const resolves = after.filter((r) => r.eventType === 'alert.resolved');
    expect(resolves.map((r) => r.webhookId).sort()).toEqual([failing, delivered, leased].sort());
    // The other alert's firings are untouched.
    const direct = after.filter((r) => r.eventType === 'alert.firing' && r.body.includes('"direct"'));
    expect(direct.map((r) => r.status)).toEqual(['pending', 'pending', 'pending', 'pending']);

    // An endpoint whose firing went fine earlier gets the next episode's resolve as usual.
    await evaluate(3 * M, [breach('squid'), breach('direct')]);
    await database.db.update(webhookOutbox).set({ status: 'delivered', deliveredAt: at(3 * M) }).where(and(eq(webhookOutbox.status, 'pending'), eq(webhookOutbox.eventType, 'alert.firing')));
    expect(await evaluate(4 * M, [clear('squid'), breach('direct')])).toEqual({ transitions: 1, messages: 4, muted: 0 });
  });
});
