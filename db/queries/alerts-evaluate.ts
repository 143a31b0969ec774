/**
 * Applying one evaluation of one rule: the states move (lib/alerts), and each transition
 * is written with its outbox messages in the same transaction. A crash before the commit
 * leaves nothing (the next evaluation decides again); after it, the transition and its
 * messages exist exactly once, so a restart neither loses nor repeats an alert.
 */
import { and, eq, sql } from 'drizzle-orm';
import { alertLink } from '../../lib/alerts/link';
import { notificationBody, summarize, type AlertNotification } from '../../lib/alerts/notification';
import { planUpdates, type Observation, type StoredAlert } from '../../lib/alerts/observation';
import { quorumOf } from '../../lib/alerts/quorum';
import { generateMessageId } from '../../lib/webhooks/signature';
import type { Db, Executor } from '../client';
import { alertRuleWebhooks, alertStates, alertTransitions, webhookEndpoints, webhookOutbox } from '../schema';
import type { StoredRule } from './alert-rules';

/** First key of the advisory locks taken per rule ("dsal"). */
export const ADVISORY_NAMESPACE = 0x6473616c;

export interface EvaluationOutcome {
  transitions: number;
  /** Outbox messages written (firing and resolved, per enabled endpoint). */
  messages: number;
}

export async function applyEvaluation(db: Db, rule: StoredRule, observations: readonly Observation[], ctx: { now: Date; publicUrl: string }): Promise<EvaluationOutcome> {
  const { now } = ctx;
  return db.transaction(async (tx) => {
    // One evaluator per rule at a time, even with several servers on one PostgreSQL: the
    // second waits, then plans on the states the first committed (no double transitions).
    await tx.execute(sql`select pg_advisory_xact_lock(${ADVISORY_NAMESPACE}::int, ${rule.id}::int)`);
    const rows = await tx.select().from(alertStates).where(eq(alertStates.ruleId, rule.id)).for('update');
    const stored = new Map<string, StoredAlert>(rows.map((r) => [r.labelsKey, { labels: r.labels, status: r.status, since: r.since.getTime(), clearSince: r.clearSince?.getTime() ?? null }]));
    const firedAt = new Map(rows.map((r) => [r.labelsKey, r.firedAt]));
    const updates = planUpdates(stored, observations, { forMs: rule.forMs, resolveAfterMs: rule.resolveAfterMs }, now.getTime());
    const outcome: EvaluationOutcome = { transitions: 0, messages: 0 };

    for (const u of updates) {
      // A label set that never breached has nothing worth a row.
      if (!stored.has(u.key) && !u.transition) continue;
      const fired = u.transition?.to === 'firing' ? now : (firedAt.get(u.key) ?? null);
      const values = {
        labels: u.labels,
        status: u.state.status,
        since: new Date(u.state.since),
        clearSince: u.state.clearSince === null ? null : new Date(u.state.clearSince),
        firedAt: fired,
        value: u.value,
        evidence: u.evidence,
        evaluatedAt: now,
      };
      await tx
        .insert(alertStates)
        .values({ ruleId: rule.id, labelsKey: u.key, ...values })
        .onConflictDoUpdate({ target: [alertStates.ruleId, alertStates.labelsKey], set: values });
      if (!u.transition) continue;

      outcome.transitions += 1;
      const [t] = await tx
        .insert(alertTransitions)
        .values({ ruleId: rule.id, labelsKey: u.key, labels: u.labels, fromStatus: u.transition.from, toStatus: u.transition.to, at: now, value: u.value, evidence: u.evidence })
        .returning({ id: alertTransitions.id });
      if (!u.transition.notify) continue;

      const quorum = quorumOf(u.evidence);
      const notification: Omit<AlertNotification, 'summary'> = {
        status: u.transition.to === 'firing' ? 'firing' : 'resolved',
        rule: { id: rule.id, name: rule.name, kind: rule.kind, severity: rule.severity },
        labels: u.labels,
        value: u.value,
        threshold: rule.condition.threshold,
        startsAt: (fired ?? now).toISOString(),
        ...(u.transition.to === 'resolved' && { endsAt: now.toISOString() }),
        evidence: u.evidence,
        // Which probes saw it, at the top of the payload: receivers route on it without digging.
        ...(quorum && { quorum }),
        url: alertLink(ctx.publicUrl, rule.kind, rule.scope, u.labels, rule.condition.windowMs),
      };
      const full: AlertNotification = { ...notification, summary: summarize(notification) };
      outcome.messages += await enqueueForRule(tx, rule.id, t!.id, full, now);
    }
    return outcome;
  });
}

/**
 * Resolve a rule's alerts at once, telling receivers, before the rule is deleted (its
 * states go with it, and a receiver must not be left with an alert that never ends).
 */
export async function resolveBeforeDelete(db: Db, rule: StoredRule, ctx: { now: Date; publicUrl: string }): Promise<EvaluationOutcome> {
  return applyEvaluation(db, { ...rule, resolveAfterMs: 0 }, [], ctx);
}

async function enqueueForRule(tx: Executor, ruleId: number, transitionId: number, n: AlertNotification, now: Date): Promise<number> {
  const endpoints = await tx
    .select({ id: webhookEndpoints.id, format: webhookEndpoints.format })
    .from(alertRuleWebhooks)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, alertRuleWebhooks.webhookId))
    .where(and(eq(alertRuleWebhooks.ruleId, ruleId), eq(webhookEndpoints.enabled, true)));
  if (endpoints.length === 0) return 0;
  await tx.insert(webhookOutbox).values(
    endpoints.map((e) => ({
      messageId: generateMessageId(),
      webhookId: e.id,
      transitionId,
      eventType: `alert.${n.status}`,
      body: notificationBody(e.format, n, now),
      createdAt: now,
      nextAttemptAt: now,
    })),
  );
  return endpoints.length;
}
