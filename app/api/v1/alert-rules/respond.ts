/** The JSON of a rule, and the answers for the rule store's errors. */
import type { StoredRule } from '@/db/queries/alert-rules';
import { AlertRuleError } from '@/db/queries/alert-rules';
import type { AlertView } from '@/db/queries/alerts-history';
import { ruleToWire } from '@/lib/alerts/rule';
import { fieldProblem } from '@/lib/http/json-input';
import { problem } from '@/lib/http/problem';

export function ruleJson(rule: StoredRule, alerts: AlertView[]) {
  return { id: rule.id, ...ruleToWire(rule), createdAt: rule.createdAt.toISOString(), updatedAt: rule.updatedAt.toISOString(), alerts };
}

/** Known errors become 400/404/409; anything else is rethrown (Next answers 500 and logs it). */
export function ruleErrorResponse(err: unknown): Response {
  if (!(err instanceof AlertRuleError)) throw err;
  if (err.code === 'ALERT_ERR_NOT_FOUND') return problem(404, err.code, err.message);
  return fieldProblem(err.code === 'ALERT_ERR_NAME_TAKEN' ? 409 : 400, err.code, err.field ?? '(root)', err.message);
}
