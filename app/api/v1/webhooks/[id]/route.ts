import { getDatabase } from '@/db/client';
import { recentDeliveries } from '@/db/queries/webhook-outbox';
import { deleteWebhook, getWebhook, updateWebhook, WebhookError } from '@/db/queries/webhooks';
import { outboundAllowList } from '@/lib/config/server-env';
import { fieldProblem, parseId, parseJsonBody } from '@/lib/http/json-input';
import { problem } from '@/lib/http/problem';
import { webhookUpdateSchema } from '@/lib/receivers';
import { installedSecretKey } from '@/lib/crypto/key-holder';
import { refusedUrlProblem } from '@/lib/webhooks/url-check';
import { withDatabaseErrors } from '@/app/api/v1/database-errors';
import { recordAudit } from '@/db/queries/audit';
import { writingPrincipal } from '@/server/auth/current';

export const dynamic = 'force-dynamic';

type Ctx = { params: Promise<{ id: string }> };
const notFound = (id: number) => problem(404, 'WEBHOOK_ERR_NOT_FOUND', `no webhook endpoint with id ${id}`);

/** GET /api/v1/webhooks/:id: the endpoint (no secret) and its recent deliveries with every attempt. */
export const GET = withDatabaseErrors(async function GET(_request: Request, ctx: Ctx): Promise<Response> {
  const id = parseId((await ctx.params).id);
  if (!id.ok) return id.response;
  const db = getDatabase().db;
  const webhook = await getWebhook(db, id.data);
  if (!webhook) return notFound(id.data);
  return Response.json({ ...webhook, deliveries: await recentDeliveries(db, { webhookId: id.data, limit: 50 }) }, { headers: { 'cache-control': 'no-store' } });
});

/**
 * PUT /api/v1/webhooks/:id: replace name, url, format, enabled. The secret stays unless a
 * new `routingKey` is given (pagerduty) or the format changes to one with another kind of
 * secret (to pagerduty: `routingKey` is then required, 400 naming it otherwise; to a signed
 * format: a new signing secret, in this answer only). A PagerDuty endpoint's new URL needs
 * its `routingKey` again (400 naming it): a stored key never follows the endpoint to
 * another address. A literal internal address is refused (400 naming `url`).
 */
export const PUT = withDatabaseErrors(async function PUT(request: Request, ctx: Ctx): Promise<Response> {
  const id = parseId((await ctx.params).id);
  if (!id.ok) return id.response;
  const body = await parseJsonBody(request, webhookUpdateSchema);
  if (!body.ok) return body.response;
  const refused = refusedUrlProblem(body.data.url, outboundAllowList());
  if (refused) return refused;
  try {
    const now = new Date();
    const webhook = await getDatabase().db.transaction(async (tx) => {
      const before = await getWebhook(tx, id.data);
      const after = before && (await updateWebhook(tx, id.data, body.data, now, installedSecretKey()));
      if (after) await recordAudit(tx, writingPrincipal(), { action: 'webhook.update', subjectKind: 'webhook', subjectId: id.data, before, after: after.webhook }, now);
      return after;
    });
    return webhook ? Response.json({ ...webhook.webhook, ...(webhook.secret !== null && { secret: webhook.secret }) }, { headers: { 'cache-control': 'no-store' } }) : notFound(id.data);
  } catch (err) {
    if (err instanceof WebhookError) return fieldProblem(err.code === 'WEBHOOK_ERR_NAME_TAKEN' ? 409 : 400, err.code, err.field, err.message);
    throw err;
  }
});

/** DELETE /api/v1/webhooks/:id: 204; its queued messages go with it. */
export const DELETE = withDatabaseErrors(async function DELETE(_request: Request, ctx: Ctx): Promise<Response> {
  const id = parseId((await ctx.params).id);
  if (!id.ok) return id.response;
  const now = new Date();
  const deleted = await getDatabase().db.transaction(async (tx) => {
    const before = await getWebhook(tx, id.data);
    if (!before || !(await deleteWebhook(tx, id.data))) return false;
    await recordAudit(tx, writingPrincipal(), { action: 'webhook.delete', subjectKind: 'webhook', subjectId: id.data, before }, now);
    return true;
  });
  return deleted ? new Response(null, { status: 204 }) : notFound(id.data);
});
