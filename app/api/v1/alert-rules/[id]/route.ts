import { getDatabase } from '@/db/client';
import { deleteRule, getRule, replaceRule } from '@/db/queries/alert-rules';
import { resolveBeforeDelete } from '@/db/queries/alerts-evaluate';
import { alertHistory, currentAlerts } from '@/db/queries/alerts-history';
import { alertRuntime } from '@/lib/alerts/runtime';
import { alertRuleInputSchema } from '@/lib/alerts/rule';
import { parseId, parseJsonBody } from '@/lib/http/json-input';
import { problem } from '@/lib/http/problem';
import { ruleErrorResponse, ruleJson } from '../respond';
import { withDatabaseErrors } from '@/app/api/v1/database-errors';
import { writingPrincipal } from '@/server/auth/current';

export const dynamic = 'force-dynamic';

type Ctx = { params: Promise<{ id: string }> };

/** GET /api/v1/alert-rules/:id: the rule, its alerts and their recent transitions. */
export const GET = withDatabaseErrors(async function GET(_request: Request, ctx: Ctx): Promise<Response> {
  const id = parseId((await ctx.params).id);
  if (!id.ok) return id.response;
  const db = getDatabase().db;
  const rule = await getRule(db, id.data);
  if (!rule) return problem(404, 'ALERT_ERR_NOT_FOUND', `no alert rule with id ${id.data}`);
  const alerts = await currentAlerts(db, { ruleId: rule.id });
  return Response.json({ ...ruleJson(rule, alerts), history: await alertHistory(db, { ruleId: rule.id, limit: 50 }) }, { headers: { 'cache-control': 'no-store' } });
});

/** PUT /api/v1/alert-rules/:id: replace the rule (the same body as POST). */
export const PUT = withDatabaseErrors(async function PUT(request: Request, ctx: Ctx): Promise<Response> {
  const id = parseId((await ctx.params).id);
  if (!id.ok) return id.response;
  const body = await parseJsonBody(request, alertRuleInputSchema);
  if (!body.ok) return body.response;
  try {
    const rule = await replaceRule(getDatabase().db, id.data, body.data, new Date(), writingPrincipal());
    return Response.json(ruleJson(rule, await currentAlerts(getDatabase().db, { ruleId: rule.id })));
  } catch (err) {
    return ruleErrorResponse(err);
  }
});

/** DELETE /api/v1/alert-rules/:id: 204; firing alerts are resolved (and sent) first, then its alerts and history go. */
export const DELETE = withDatabaseErrors(async function DELETE(request: Request, ctx: Ctx): Promise<Response> {
  const id = parseId((await ctx.params).id);
  if (!id.ok) return id.response;
  const database = getDatabase();
  const rule = await getRule(database.db, id.data);
  if (!rule) return problem(404, 'ALERT_ERR_NOT_FOUND', `no alert rule with id ${id.data}`);
  const runtime = alertRuntime();
  const resolved = await resolveBeforeDelete(database.db, rule, { now: new Date(), publicUrl: runtime?.publicUrl ?? new URL(request.url).origin });
  await deleteRule(database.db, rule.id, new Date(), writingPrincipal());
  if (resolved.messages > 0) runtime?.nudgeDeliveries();
  return new Response(null, { status: 204 });
});
