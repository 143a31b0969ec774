import { getDatabase } from '@/db/client';
import { deleteRule, getRule, replaceRule } from '@/db/queries/alert-rules';
import { alertHistory, currentAlerts } from '@/db/queries/alerts-history';
import { alertRuleInputSchema } from '@/lib/alerts/rule';
import { parseId, parseJsonBody } from '@/lib/http/json-input';
import { problem } from '@/lib/http/problem';
import { ruleErrorResponse, ruleJson } from '../respond';

export const dynamic = 'force-dynamic';

type Ctx = { params: Promise<{ id: string }> };

/** GET /api/v1/alert-rules/:id: the rule, its alerts and their recent transitions. */
export async function GET(_request: Request, ctx: Ctx): Promise<Response> {
  const id = parseId((await ctx.params).id);
  if (!id.ok) return id.response;
  const db = getDatabase().db;
  const rule = await getRule(db, id.data);
  if (!rule) return problem(404, 'ALERT_ERR_NOT_FOUND', `no alert rule with id ${id.data}`);
  const alerts = await currentAlerts(db, { ruleId: rule.id });
  return Response.json({ ...ruleJson(rule, alerts), history: await alertHistory(db, { ruleId: rule.id, limit: 50 }) }, { headers: { 'cache-control': 'no-store' } });
}

/** PUT /api/v1/alert-rules/:id: replace the rule (the same body as POST). */
export async function PUT(request: Request, ctx: Ctx): Promise<Response> {
  const id = parseId((await ctx.params).id);
  if (!id.ok) return id.response;
  const body = await parseJsonBody(request, alertRuleInputSchema);
  if (!body.ok) return body.response;
  try {
    const rule = await replaceRule(getDatabase().db, id.data, body.data, new Date());
    return Response.json(ruleJson(rule, await currentAlerts(getDatabase().db, { ruleId: rule.id })));
  } catch (err) {
    return ruleErrorResponse(err);
  }
}

/** DELETE /api/v1/alert-rules/:id: 204; its alerts and history go with it. */
export async function DELETE(_request: Request, ctx: Ctx): Promise<Response> {
  const id = parseId((await ctx.params).id);
  if (!id.ok) return id.response;
  if (!(await deleteRule(getDatabase().db, id.data))) return problem(404, 'ALERT_ERR_NOT_FOUND', `no alert rule with id ${id.data}`);
  return new Response(null, { status: 204 });
}
