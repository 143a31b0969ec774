import { getDatabase } from '@/db/client';
import { createWebhook, listWebhooks, WebhookError } from '@/db/queries/webhooks';
import { outboundAllowList } from '@/lib/config/server-env';
import { installedSecretKey } from '@/lib/crypto/key-holder';
import { fieldProblem, parseJsonBody } from '@/lib/http/json-input';
import { webhookCreateSchema } from '@/lib/receivers';
import { refusedUrlProblem } from '@/lib/webhooks/url-check';
import { withDatabaseErrors } from '@/app/api/v1/database-errors';
import { recordAudit } from '@/db/queries/audit';
import { writingPrincipal } from '@/server/auth/current';

export const dynamic = 'force-dynamic';

/** GET /api/v1/webhooks: every endpoint, without secrets. */
export const GET = withDatabaseErrors(async function GET(): Promise<Response> {
  return Response.json({ webhooks: await listWebhooks(getDatabase().db) }, { headers: { 'cache-control': 'no-store' } });
});

/**
 * POST /api/v1/webhooks: create an endpoint. What it needs depends on its format's provider
 * (lib/receivers): `pagerduty` requires `routingKey` (32 characters; the URL defaults to
 * PagerDuty's Events API), `alertmanager` takes Alertmanager's base URL. A Standard
 * Webhooks (or Slack) endpoint's generated signing secret is in the answer, the only time
 * it is shown; a routing key is never shown again. A URL at a literal internal address is
 * refused here (400 naming `url`); host names are checked when a message is sent.
 */
export const POST = withDatabaseErrors(async function POST(request: Request): Promise<Response> {
  const body = await parseJsonBody(request, webhookCreateSchema);
  if (!body.ok) return body.response;
  const refused = refusedUrlProblem(body.data.url, outboundAllowList());
  if (refused) return refused;
  try {
    const now = new Date();
    const { webhook, secret } = await getDatabase().db.transaction(async (tx) => {
      const made = await createWebhook(tx, body.data, now, installedSecretKey());
      await recordAudit(tx, writingPrincipal(), { action: 'webhook.create', subjectKind: 'webhook', subjectId: made.webhook.id, after: made.webhook }, now);
      return made;
    });
    return Response.json({ ...webhook, ...(secret !== null && { secret }) }, { status: 201, headers: { location: `/api/v1/webhooks/${webhook.id}`, 'cache-control': 'no-store' } });
  } catch (err) {
    if (err instanceof WebhookError) return fieldProblem(err.code === 'WEBHOOK_ERR_NAME_TAKEN' ? 409 : 400, err.code, err.field, err.message);
    throw err;
  }
});
