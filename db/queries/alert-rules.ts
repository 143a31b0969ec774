/**
 * Alert rules in the database: create, replace, delete, read. A rule's webhooks live in
 * alert_rule_webhooks; an id that names no endpoint is refused with the field's index.
 */
import type { Principal } from '../../lib/auth/roles';
import { recordAudit } from './audit';
import { asc, eq, inArray } from 'drizzle-orm';
import type { AlertRuleSpec } from '../../lib/alerts/rule';
import type { SignatureBaseline } from '../../lib/alerts/signature-watch';
import type { Db, Executor } from '../client';
import { alertRules, alertRuleWebhooks, webhookEndpoints } from '../schema';

export interface StoredRule extends AlertRuleSpec {
  id: number;
  baseline: SignatureBaseline | null;
  createdAt: Date;
  updatedAt: Date;
}

export class AlertRuleError extends Error {
  constructor(
    readonly code: 'ALERT_ERR_NAME_TAKEN' | 'ALERT_ERR_UNKNOWN_WEBHOOK' | 'ALERT_ERR_NOT_FOUND',
    message: string,
    /** The request field at fault, for a 400 that names it. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'AlertRuleError';
  }
}

type RuleRow = typeof alertRules.$inferSelect;

function toStored(row: RuleRow, webhooks: number[]): StoredRule {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    severity: row.severity,
    enabled: row.enabled,
    forMs: row.forMs,
    resolveAfterMs: row.resolveAfterMs,
    condition: row.condition,
    scope: row.scope,
    groupBy: row.groupBy,
    webhooks,
    baseline: row.baseline,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

async function webhooksOf(db: Executor, ruleIds: number[]): Promise<Map<number, number[]>> {
  const out = new Map<number, number[]>();
  if (ruleIds.length === 0) return out;
  const rows = await db.select().from(alertRuleWebhooks).where(inArray(alertRuleWebhooks.ruleId, ruleIds)).orderBy(asc(alertRuleWebhooks.webhookId));
  for (const r of rows) out.set(r.ruleId, [...(out.get(r.ruleId) ?? []), r.webhookId]);
  return out;
}

/** Every rule, by name. */
export async function listRules(db: Executor, filter: { enabledOnly?: boolean } = {}): Promise<StoredRule[]> {
  const rows = await db
    .select()
    .from(alertRules)
    .where(filter.enabledOnly ? eq(alertRules.enabled, true) : undefined)
    .orderBy(asc(alertRules.name));
  const hooks = await webhooksOf(db, rows.map((r) => r.id));
  return rows.map((r) => toStored(r, hooks.get(r.id) ?? []));
}

export async function getRule(db: Executor, id: number): Promise<StoredRule | null> {
  const [row] = await db.select().from(alertRules).where(eq(alertRules.id, id));
  if (!row) return null;
  return toStored(row, (await webhooksOf(db, [id])).get(id) ?? []);
}

async function checkWebhooks(tx: Executor, ids: number[]): Promise<void> {
  if (ids.length === 0) return;
  const found = new Set((await tx.select({ id: webhookEndpoints.id }).from(webhookEndpoints).where(inArray(webhookEndpoints.id, ids))).map((r) => r.id));
  const i = ids.findIndex((id) => !found.has(id));
  if (i >= 0) throw new AlertRuleError('ALERT_ERR_UNKNOWN_WEBHOOK', `no webhook endpoint with id ${ids[i]}`, `webhooks.${i}`);
}

async function nameTaken(tx: Executor, name: string, exceptId?: number): Promise<void> {
  const [other] = await tx.select({ id: alertRules.id }).from(alertRules).where(eq(alertRules.name, name));
  if (other && other.id !== exceptId) throw new AlertRuleError('ALERT_ERR_NAME_TAKEN', `a rule named "${name}" already exists`, 'name');
}

function columns(spec: AlertRuleSpec) {
  return {
    name: spec.name,
    kind: spec.kind,
    severity: spec.severity,
    enabled: spec.enabled,
    forMs: spec.forMs,
    resolveAfterMs: spec.resolveAfterMs,
    condition: spec.condition,
    scope: spec.scope,
    groupBy: spec.groupBy,
  };
}

/** Each write is in the audit log as `actor`'s, in the write's own transaction. */
export async function createRule(db: Db, spec: AlertRuleSpec, now: Date, actor: Principal): Promise<StoredRule> {
  const id = await db.transaction(async (tx) => {
    await nameTaken(tx, spec.name);
    await checkWebhooks(tx, spec.webhooks);
    const [row] = await tx.insert(alertRules).values({ ...columns(spec), createdAt: now, updatedAt: now }).returning({ id: alertRules.id });
    if (spec.webhooks.length > 0) await tx.insert(alertRuleWebhooks).values(spec.webhooks.map((webhookId) => ({ ruleId: row!.id, webhookId })));
    await recordAudit(tx, actor, { action: 'alert_rule.create', subjectKind: 'alert_rule', subjectId: row!.id, after: spec }, now);
    return row!.id;
  });
  return (await getRule(db, id))!;
}

/**
 * Replace a rule. Its alerts keep their state (same id); a signature rule learns its
 * baseline again, since what counts as known depends on the edited scope and window.
 */
export async function replaceRule(db: Db, id: number, spec: AlertRuleSpec, now: Date, actor: Principal): Promise<StoredRule> {
  await db.transaction(async (tx) => {
    const [row] = await tx.select({ id: alertRules.id }).from(alertRules).where(eq(alertRules.id, id)).for('update');
    if (!row) throw new AlertRuleError('ALERT_ERR_NOT_FOUND', `no alert rule with id ${id}`);
    const before = await getRule(tx, id);
    await nameTaken(tx, spec.name, id);
    await checkWebhooks(tx, spec.webhooks);
    await tx.update(alertRules).set({ ...columns(spec), baseline: null, updatedAt: now }).where(eq(alertRules.id, id));
    await tx.delete(alertRuleWebhooks).where(eq(alertRuleWebhooks.ruleId, id));
    if (spec.webhooks.length > 0) await tx.insert(alertRuleWebhooks).values(spec.webhooks.map((webhookId) => ({ ruleId: id, webhookId })));
    await recordAudit(tx, actor, { action: 'alert_rule.update', subjectKind: 'alert_rule', subjectId: id, before: before && auditView(before), after: spec }, now);
  });
  return (await getRule(db, id))!;
}

/** A rule as the audit log shows it: its spec, without the learned baseline. */
function auditView(rule: StoredRule): unknown {
  const { baseline: _baseline, ...rest } = rule as StoredRule & { baseline?: unknown };
  return rest;
}

/** Delete a rule with its states and history. Returns false when there was none. */
export async function deleteRule(db: Db, id: number, now: Date, actor: Principal): Promise<boolean> {
  return db.transaction(async (tx) => {
    const before = await getRule(tx, id);
    const rows = await tx.delete(alertRules).where(eq(alertRules.id, id)).returning({ id: alertRules.id });
    if (rows.length > 0) await recordAudit(tx, actor, { action: 'alert_rule.delete', subjectKind: 'alert_rule', subjectId: id, before: before && auditView(before) }, now);
    return rows.length > 0;
  });
}

export async function saveBaseline(db: Executor, id: number, baseline: SignatureBaseline): Promise<void> {
  await db.update(alertRules).set({ baseline }).where(eq(alertRules.id, id));
}
