/**
 * Alerts as people read them: the current state of each, the history of transitions, firing
 * counts. Each alert and transition says which silence muted it (issue 19).
 */
import { and, count, desc, eq, ne } from 'drizzle-orm';
import type { Severity } from '../../lib/alerts/rule';
import type { AlertSilencing, TransitionSilencing } from '../../lib/alerts/silence';
import type { AlertView as BaseAlertView, TransitionView as BaseTransitionView } from '../../lib/alerts/views';
import type { Executor } from '../client';
import { alertRules as rl, alertStates as st, alertTransitions as tr } from '../schema';

export type AlertView = BaseAlertView & AlertSilencing;
export type TransitionView = BaseTransitionView & TransitionSilencing;

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

/** The newest transitions, newest first. */
export async function alertHistory(db: Executor, options: { ruleId?: number; limit?: number } = {}): Promise<TransitionView[]> {
  const rows = await db
    .select({ t: tr, rule: rl.name, severity: rl.severity })
    .from(tr)
    .innerJoin(rl, eq(rl.id, tr.ruleId))
    .where(options.ruleId === undefined ? undefined : eq(tr.ruleId, options.ruleId))
    .orderBy(desc(tr.at), desc(tr.id))
    .limit(options.limit ?? 100);
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
  }));
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
