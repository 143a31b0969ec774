/**
 * Applying one evaluation of one rule: the states move (lib/alerts), and each transition
 * is written with its outbox messages in the same transaction. A crash before the commit
 * leaves nothing (the next evaluation decides again); after it, the transition and its
 * messages exist exactly once, so a restart neither loses nor repeats an alert. Silences
 * hold notifications back (issue 19); the alert's `notified` says whether its current
 * firing reached receivers, so a resolve goes only where a firing went. A firing still
 * waiting in the outbox when its alert resolves is retired rather than sent after its
 * resolve (retireUnsentFirings).
 */
import { and, desc, eq, inArray, isNull, lte, or, sql } from 'drizzle-orm';
import { alertLink } from '../../lib/alerts/link';
import { notificationBody, summarize, type AlertNotification } from '../../lib/alerts/notification';
import { planUpdates, type Observation, type StoredAlert } from '../../lib/alerts/observation';
import { quorumOf } from '../../lib/alerts/quorum';
import { silencingOf } from '../../lib/alerts/silence';
import { SUPERSEDED_FIRING } from '../../lib/alerts/transition-delivery';
import { generateMessageId } from '../../lib/webhooks/signature';
import type { Db, Executor } from '../client';
import { alertRuleWebhooks, alertStates, alertTransitions, webhookEndpoints, webhookOutbox } from '../schema';
import type { StoredRule } from './alert-rules';
import { activeSilences } from './silences';

/** First key of the advisory locks taken per rule ("dsal"). */
export const ADVISORY_NAMESPACE = 0x6473616c;

export interface EvaluationOutcome {
  transitions: number;
  /** Outbox messages written (firing and resolved, per enabled endpoint). */
  messages: number;
  /** Notifications held back by a silence (a firing muted, or a resolve of a firing nobody was told of). */
  muted: number;
}

/**
 * Apply one evaluation of `rule` at `ctx.now`. Silences (lib/alerts/silence.ts) are read in
 * the same transaction: each alert records the silence muting it (`silenced_by`, the one
 * that ends last); a firing under a silence is written (and shown) but sent to no one
 * (`notified` stays false), a firing still on when its silence is over is sent then, once,
 * and a resolve is sent only when its firing was.
 */
export async function applyEvaluation(db: Db, rule: StoredRule, observations: readonly Observation[], ctx: { now: Date; publicUrl: string }): Promise<EvaluationOutcome> {
  const { now } = ctx;
  return db.transaction(async (tx) => {
    // One evaluator per rule at a time, even with several servers on one PostgreSQL: the
    // second waits, then plans on the states the first committed (no double transitions).
    await tx.execute(sql`select pg_advisory_xact_lock(${ADVISORY_NAMESPACE}::int, ${rule.id}::int)`);
    const rows = await tx.select().from(alertStates).where(eq(alertStates.ruleId, rule.id)).for('update');
    const stored = new Map<string, StoredAlert>(rows.map((r) => [r.labelsKey, { labels: r.labels, status: r.status, since: r.since.getTime(), clearSince: r.clearSince?.getTime() ?? null }]));
    const previous = new Map(rows.map((r) => [r.labelsKey, r]));
    const updates = planUpdates(stored, observations, { forMs: rule.forMs, resolveAfterMs: rule.resolveAfterMs }, now.getTime());
    const outcome: EvaluationOutcome = { transitions: 0, messages: 0, muted: 0 };
    if (updates.length === 0) return outcome;
    const silences = await activeSilences(tx, now);
    const subject = (labels: Record<string, string>) => ({ rule: { name: rule.name, scope: rule.scope }, labels });

    for (const u of updates) {
      const before = previous.get(u.key);
      // A label set that never breached has nothing worth a row.
      if (!before && !u.transition) continue;
      const fired = u.transition?.to === 'firing' ? now : (before?.firedAt ?? null);
      const silencedBy = silencingOf(silences, subject(u.labels), now)?.id ?? null;
      const wasNotified = before?.notified ?? false;
      const send = decideDelivery(u.transition, u.state.status, wasNotified, silencedBy, u.state.clearSince !== null);
      const values = {
        labels: u.labels,
        status: u.state.status,
        since: new Date(u.state.since),
        clearSince: u.state.clearSince === null ? null : new Date(u.state.clearSince),
        firedAt: fired,
        value: u.value,
        evidence: u.evidence,
        evaluatedAt: now,
        silencedBy,
        notified: send.notified,
      };
      await tx
        .insert(alertStates)
        .values({ ruleId: rule.id, labelsKey: u.key, ...values })
        .onConflictDoUpdate({ target: [alertStates.ruleId, alertStates.labelsKey], set: values });
      if (send.muted) outcome.muted += 1;

      let transitionId: number | null = null;
      if (u.transition) {
        outcome.transitions += 1;
        // The silence that held this transition's notification back: the one in force, or
        // for a resolve nobody hears of, the one that muted its firing.
        const mutedBy = send.muted ? (silencedBy ?? before?.silencedBy ?? null) : null;
        const [t] = await tx
          .insert(alertTransitions)
          .values({ ruleId: rule.id, labelsKey: u.key, labels: u.labels, fromStatus: u.transition.from, toStatus: u.transition.to, at: now, value: u.value, evidence: u.evidence, silencedBy: mutedBy })
          .returning({ id: alertTransitions.id });
        transitionId = t!.id;
      } else if (send.deliver === 'firing') {
        // A firing that outlived its silence: told now, as the firing transition's message
        // (webhook_outbox_transition_webhook_key then allows it once per endpoint).
        transitionId = await lastFiringTransition(tx, rule.id, u.key);
      }
      if (send.deliver === null) continue;

      const quorum = quorumOf(u.evidence);
      const notification: Omit<AlertNotification, 'summary'> = {
        status: send.deliver,
        rule: { id: rule.id, name: rule.name, kind: rule.kind, severity: rule.severity },
        labels: u.labels,
        value: u.value,
        threshold: rule.condition.threshold,
        startsAt: (fired ?? now).toISOString(),
        ...(send.deliver === 'resolved' && { endsAt: now.toISOString() }),
        evidence: u.evidence,
        // Which probes saw it, at the top of the payload: receivers route on it without digging.
        ...(quorum && { quorum }),
        url: alertLink(ctx.publicUrl, rule.kind, rule.scope, u.labels, rule.condition.windowMs),
      };
      const full: AlertNotification = { ...notification, summary: summarize(notification) };
      outcome.messages += await enqueueForRule(tx, { ruleId: rule.id, labelsKey: u.key }, transitionId, full, now);
    }
    return outcome;
  });
}

/** What one alert's evaluation tells receivers, and whether they will have heard of its firing. */
export interface DeliveryDecision {
  deliver: 'firing' | 'resolved' | null;
  /** The stored `notified`: receivers were told of the current firing. */
  notified: boolean;
  /** A notification was due but held back (a silence, or a resolve of a firing never told). */
  muted: boolean;
}

/**
 * The delivery rules of silences, apart from the database:
 * - a transition to firing is sent unless silenced;
 * - a firing that nobody was told of is sent once no silence holds it any more, unless its
 *   condition has already cleared (`clearing`: only the resolve timer runs, a disabled rule's
 *   alerts too): it is held while clearing, and if it then resolves nobody hears of either;
 * - a resolve is sent only when its firing was (a silenced-only firing resolves quietly);
 *   a firing that was sent gets its resolve even under a silence begun since, so a
 *   receiver is never left with an incident that does not end.
 */
export function decideDelivery(transition: { to: string; notify: boolean } | null, status: string, wasNotified: boolean, silencedBy: number | null, clearing: boolean): DeliveryDecision {
  if (transition?.notify && transition.to === 'firing') {
    return silencedBy === null ? { deliver: 'firing', notified: true, muted: false } : { deliver: null, notified: false, muted: true };
  }
  if (transition?.notify && transition.to === 'resolved') {
    return wasNotified ? { deliver: 'resolved', notified: false, muted: false } : { deliver: null, notified: false, muted: true };
  }
  if (status !== 'firing') return { deliver: null, notified: false, muted: false };
  if (wasNotified) return { deliver: null, notified: true, muted: false };
  return silencedBy === null && !clearing ? { deliver: 'firing', notified: true, muted: false } : { deliver: null, notified: false, muted: false };
}

/** The transition that started the alert's current firing; null if it is gone. */
async function lastFiringTransition(tx: Executor, ruleId: number, key: string): Promise<number | null> {
  const [t] = await tx
    .select({ id: alertTransitions.id })
    .from(alertTransitions)
    .where(and(eq(alertTransitions.ruleId, ruleId), eq(alertTransitions.labelsKey, key), eq(alertTransitions.toStatus, 'firing')))
    .orderBy(desc(alertTransitions.at), desc(alertTransitions.id))
    .limit(1);
  return t?.id ?? null;
}

/**
 * Resolve a rule's alerts at once, telling receivers, before the rule is deleted (its
 * states go with it, and a receiver must not be left with an alert that never ends).
 */
export async function resolveBeforeDelete(db: Db, rule: StoredRule, ctx: { now: Date; publicUrl: string }): Promise<EvaluationOutcome> {
  return applyEvaluation(db, { ...rule, resolveAfterMs: 0 }, [], ctx);
}

async function enqueueForRule(tx: Executor, alert: { ruleId: number; labelsKey: string }, transitionId: number | null, n: AlertNotification, now: Date): Promise<number> {
  const retired = n.status === 'resolved' ? await retireUnsentFirings(tx, alert, now) : new Set<number>();
  const endpoints = (
    await tx
      .select({ id: webhookEndpoints.id, format: webhookEndpoints.format })
      .from(alertRuleWebhooks)
      .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, alertRuleWebhooks.webhookId))
      .where(and(eq(alertRuleWebhooks.ruleId, alert.ruleId), eq(webhookEndpoints.enabled, true)))
  ).filter((e) => !retired.has(e.id));
  if (endpoints.length === 0) return 0;
  const written = await tx
    .insert(webhookOutbox)
    .values(
      endpoints.map((e) => ({
        messageId: generateMessageId(),
        webhookId: e.id,
        transitionId,
        eventType: `alert.${n.status}`,
        body: notificationBody(e.format, n, now),
        createdAt: now,
        nextAttemptAt: now,
      })),
    )
    // A late firing for a transition an endpoint already has a message of: not twice.
    .onConflictDoNothing()
    .returning({ id: webhookOutbox.id });
  return written.length;
}

/**
 * Give up the alert's firings still waiting in the outbox (a failed trigger in backoff, an
 * endpoint that was disabled), before its resolve is queued: the outbox keeps no order per
 * alert, so the resolve, due at once, would be sent first and the firing after it, opening
 * an incident (PagerDuty's) that nothing closes. A firing a deliverer holds right now
 * (leased) is left to finish. Returns the endpoints whose firing was retired before any
 * attempt: they never got it, so they get no resolve either. One that was attempted (a
 * timeout, a 5xx) may have reached the receiver: it still gets the resolve, which is
 * harmless for an alert the receiver never saw and closes one it did.
 */
async function retireUnsentFirings(tx: Executor, alert: { ruleId: number; labelsKey: string }, now: Date): Promise<Set<number>> {
  const transitions = tx
    .select({ id: alertTransitions.id })
    .from(alertTransitions)
    .where(and(eq(alertTransitions.ruleId, alert.ruleId), eq(alertTransitions.labelsKey, alert.labelsKey)));
  const retired = await tx
    .update(webhookOutbox)
    .set({ status: 'gave_up', lockedUntil: null, lastError: SUPERSEDED_FIRING })
    .where(
      and(
        eq(webhookOutbox.status, 'pending'),
        eq(webhookOutbox.eventType, 'alert.firing'),
        or(isNull(webhookOutbox.lockedUntil), lte(webhookOutbox.lockedUntil, now)),
        inArray(webhookOutbox.transitionId, transitions),
      ),
    )
    .returning({ webhookId: webhookOutbox.webhookId, transitionId: webhookOutbox.transitionId, attempts: webhookOutbox.attempts });
  if (retired.length === 0) return new Set();
  // A firing of an earlier episode (leased when that one resolved, failed since) is retired
  // too, but says nothing of whether this episode's firing went.
  const current = await lastFiringTransition(tx, alert.ruleId, alert.labelsKey);
  return new Set(retired.filter((r) => r.transitionId === current && r.attempts === 0).map((r) => r.webhookId));
}
