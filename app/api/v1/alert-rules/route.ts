import { getDatabase } from '@/db/client';
import { createRule, listRules } from '@/db/queries/alert-rules';
import { currentAlerts } from '@/db/queries/alerts-history';
import { alertRuleInputSchema } from '@/lib/alerts/rule';
import { parseJsonBody } from '@/lib/http/json-input';
import { ruleJson, ruleErrorResponse } from './respond';
import { withDatabaseErrors } from '@/app/api/v1/database-errors';
import { writingPrincipal } from '@/server/auth/current';

export const dynamic = 'force-dynamic';

/** GET /api/v1/alert-rules: every rule with its alerts that are not inactive. */
export const GET = withDatabaseErrors(async function GET(): Promise<Response> {
  const db = getDatabase().db;
  const [rules, alerts] = [await listRules(db), await currentAlerts(db)];
  return Response.json({ rules: rules.map((r) => ruleJson(r, alerts.filter((a) => a.ruleId === r.id))) }, { headers: { 'cache-control': 'no-store' } });
});

/** POST /api/v1/alert-rules: create a rule (201), or 400 naming the bad field, 409 for a taken name. */
export const POST = withDatabaseErrors(async function POST(request: Request): Promise<Response> {
  const body = await parseJsonBody(request, alertRuleInputSchema);
  if (!body.ok) return body.response;
  try {
    const rule = await createRule(getDatabase().db, body.data, new Date(), writingPrincipal());
    return Response.json(ruleJson(rule, []), { status: 201, headers: { location: `/api/v1/alert-rules/${rule.id}` } });
  } catch (err) {
    return ruleErrorResponse(err);
  }
});
