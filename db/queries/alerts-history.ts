/**
 * Alerts as people read them: the current state of each, the history of transitions, firing
 * counts. Each alert and transition says which silence muted it (issue 19), and each
 * transition what became of its messages (lib/alerts/transition-delivery.ts).
 */
import { and, count, desc, eq, inArray, ne, sql } from 'drizzle-orm';
import type { Severity } from '../../lib/alerts/rule';
import type { AlertSilencing, TransitionSilencing } from '../../lib/alerts/silence';
import { SUPERSEDED_FIRING, type TransitionDelivered, type TransitionDelivery } from '../../lib/alerts/transition-delivery';
import type { AlertView as BaseAlertView, TransitionView as BaseTransitionView } from '../../lib/alerts/views';
import type { Executor } from '../client';
import { alertRuleWebhooks as rw, alertRules as rl, alertStates as st, alertTransitions as tr, webhookOutbox as o } from '../schema';

export type AlertView = BaseAlertView & AlertSilencing;
export type TransitionView = BaseTransitionView & TransitionSilencing & TransitionDelivered;

/** Every alert that is not inactive (pending, firing, resolved), firing first. */
export async function currentAlerts(db: Executor, options: { ruleId?: number; limit?: number } = {}): Promise<AlertView[]> {
  const rows = await db
    .select({ s: st, rule: rl.name, kind: rl.kind, severity: rl.severity })
    .from(st)
    .innerJoin(rl, eq(rl.id, st.ruleId))
    .where(and(ne(st.status, 'inactive'), options.ruleId === undefined ? undefined : eq(st.ruleId, options.ruleId)))
    .orderBy(desc(eq(st.status, 'firing')), desc(eq(st.status, 'pending')), desc(st.since))
    .limit(options.limit ?? 200);
  return rows.map(({ s, rule, kind, severity }) => ({
    ruleId: s.ruleId,
    rule,
    kind,
    severity,
    labels: s.labels,
    status: s.status,
    since: s.since.toISOString(),
    firedAt: s.firedAt?.toISOString() ?? null,
    value: s.value,
    evidence: s.evidence,
    evaluatedAt: s.evaluatedAt.toISOString(),
    silencedBy: s.silencedBy,
    notified: s.notified,
  }));
}

/** The newest transitions, newest first, each with what became of its messages. */
export async function alertHistory(db: Executor, options: { ruleId?: number; limit?: number } = {}): Promise<TransitionView[]> {
  const rows = await db
    .select({ t: tr, rule: rl.name, severity: rl.severity })
    .from(tr)
    .innerJoin(rl, eq(rl.id, tr.ruleId))
    .where(options.ruleId === undefined ? undefined : eq(tr.ruleId, options.ruleId))
    .orderBy(desc(tr.at), desc(tr.id))
    .limit(options.limit ?? 100);
  const delivery = await deliveries(
    db,
    rows.map((r) => r.t.id),
    [...new Set(rows.map((r) => r.t.ruleId))],
  );
  return rows.map(({ t, rule, severity }) => ({
    id: t.id,
    ruleId: t.ruleId,
    rule,
    severity,
    labels: t.labels,
    from: t.fromStatus,
    to: t.toStatus,
    at: t.at.toISOString(),
    value: t.value,
    evidence: t.evidence,
    silencedBy: t.silencedBy,
    delivery: { ...(delivery.messages.get(t.id) ?? NO_MESSAGES), receivers: delivery.receivers.get(t.ruleId) ?? 0 },
  }));
}

const NO_MESSAGES = { messages: 0, delivered: 0, pending: 0, failed: 0, superseded: 0 } as const;

/** The outbox's messages of these transitions by outcome, and each rule's receivers now: two indexed reads. */
async function deliveries(db: Executor, transitionIds: number[], ruleIds: number[]) {
  const messages = new Map<number, Omit<TransitionDelivery, 'receivers'>>();
  const receivers = new Map<number, number>();
  if (transitionIds.length === 0) return { messages, receivers };
  const superseded = sql<number>`count(*) filter (where ${o.status} = 'gave_up' and ${o.lastError} = ${SUPERSEDED_FIRING})`.mapWith(Number);
  const byTransition = await db
    .select({
      id: o.transitionId,
      messages: count(),
      delivered: sql<number>`count(*) filter (where ${o.status} = 'delivered')`.mapWith(Number),
      pending: sql<number>`count(*) filter (where ${o.status} = 'pending')`.mapWith(Number),
      gaveUp: sql<number>`count(*) filter (where ${o.status} = 'gave_up')`.mapWith(Number),
      superseded,
    })
    .from(o)
    .where(inArray(o.transitionId, transitionIds))
    .groupBy(o.transitionId);
  for (const r of byTransition) {
    if (r.id !== null) messages.set(r.id, { messages: r.messages, delivered: r.delivered, pending: r.pending, failed: r.gaveUp - r.superseded, superseded: r.superseded });
  }
  const byRule = await db.select({ ruleId: rw.ruleId, n: count() }).from(rw).where(inArray(rw.ruleId, ruleIds)).groupBy(rw.ruleId);
  for (const r of byRule) receivers.set(r.ruleId, r.n);
  return { messages, receivers };
}

/** Firing alerts per severity, for /metrics (three label values at most). */
export async function firingBySeverity(db: Executor): Promise<Record<Severity, number>> {
  const rows = await db
    .select({ severity: rl.severity, n: count() })
    .from(st)
    .innerJoin(rl, eq(rl.id, st.ruleId))
    .where(eq(st.status, 'firing'))
    .groupBy(rl.severity);
  const out: Record<Severity, number> = { critical: 0, warning: 0, info: 0 };
  for (const r of rows) out[r.severity] = r.n;
  return out;
}
