/**
 * One evaluation of every rule at `now` (a disabled one only lets its alerts resolve): observe, move the states, write the
 * transitions and outbox messages (db/queries/alerts-evaluate.ts), holding back what a
 * silence mutes. A rule that fails is logged and counted and does not stop the others.
 *
 * Signature rules run the drop analysis, the most expensive query we have: they are
 * evaluated at most once per `signatureEveryMs` and learn their baseline on their first run.
 */
import type { Database } from '../../db/client';
import { listRules, saveBaseline, type StoredRule } from '../../db/queries/alert-rules';
import { applyEvaluation } from '../../db/queries/alerts-evaluate';
import { observe, signatureSightings } from '../../db/queries/alerts-observe';
import type { Observation } from '../../lib/alerts/observation';
import { compareSignatures, learnBaseline } from '../../lib/alerts/signature-watch';
import type { Layer } from '../../lib/analysis/catalogue';
import type { Logger } from '../../lib/log';

export interface EvaluateContext {
  now: Date;
  publicUrl: string;
  layers: readonly Layer[];
  log: Logger;
  /** Signature rules: the last evaluation per rule id, kept by the caller between rounds. */
  signatureRuns: Map<number, number>;
  signatureEveryMs: number;
}

export interface EvaluationSummary {
  rules: number;
  failed: number;
  transitions: number;
  messages: number;
  /** Notifications a silence held back this round. */
  muted: number;
}

export async function evaluateRules(database: Database, ctx: EvaluateContext): Promise<EvaluationSummary> {
  const rules = await listRules(database.db);
  const summary: EvaluationSummary = { rules: 0, failed: 0, transitions: 0, messages: 0, muted: 0 };
  for (const rule of rules) {
    try {
      const observations = await observeRule(database, rule, ctx);
      if (observations === null) continue;
      const outcome = await applyEvaluation(database.db, rule, observations, ctx);
      summary.rules += 1;
      summary.transitions += outcome.transitions;
      summary.messages += outcome.messages;
      summary.muted += outcome.muted;
    } catch (err) {
      summary.failed += 1;
      ctx.log.error({ err, ruleId: rule.id, rule: rule.name }, 'evaluating an alert rule failed');
    }
  }
  return summary;
}

/** Null when the rule is skipped this round (a signature rule between its runs, or learning). */
async function observeRule(database: Database, rule: StoredRule, ctx: EvaluateContext): Promise<Observation[] | null> {
  // A disabled rule observes nothing: its alerts clear and resolve like any others.
  if (!rule.enabled) return [];
  if (rule.kind !== 'signature') return observe(database.db, rule, ctx.now);
  const last = ctx.signatureRuns.get(rule.id);
  if (last !== undefined && ctx.now.getTime() - last < ctx.signatureEveryMs) return null;
  ctx.signatureRuns.set(rule.id, ctx.now.getTime());
  const sightings = await signatureSightings(database.db, rule, ctx.now, ctx.layers);
  if (!rule.baseline) {
    await saveBaseline(database.db, rule.id, learnBaseline(sightings, rule.condition.minCount, ctx.now));
    return null;
  }
  return compareSignatures(sightings, rule.baseline, rule.condition.threshold, rule.condition.minCount);
}
