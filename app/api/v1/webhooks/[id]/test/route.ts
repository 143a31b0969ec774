import { getDatabase } from '@/db/client';
import { enqueueTestMessage, recentDeliveries } from '@/db/queries/webhook-outbox';
import { alertRuntime } from '@/lib/alerts/runtime';
import { fieldProblem, parseId } from '@/lib/http/json-input';
import { problem } from '@/lib/http/problem';
import { REFUSED_PREFIX } from '@/lib/webhooks/deliver';
import { URL_REFUSED } from '@/lib/webhooks/url-check';
import { withDatabaseErrors } from '@/app/api/v1/database-errors';

export const dynamic = 'force-dynamic';

const POLL_MS = 100;

/**
 * POST /api/v1/webhooks/:id/test: send one signed test message through the outbox (so it
 * is in the delivery history) and wait for its attempt, at most the request timeout. A
 * test is tried once, never retried; the answer says how it went:
 * - 202 with the delivery: delivered, or still in flight when the wait ended;
 * - 400 naming `url`: its address may not be reached (loopback, private, ...: the
 *   reason says which, and that DROPSCOPE_OUTBOUND_ALLOW can allow it); nothing was sent;
 * - 502 WEBHOOK_ERR_TEST_FAILED: the receiver did not take it (its status, a redirect, a
 *   network error, a timeout), with the delivery.
 */
export const POST = withDatabaseErrors(async function POST(request: Request, ctx: { params: Promise<{ id: string }> }): Promise<Response> {
  const id = parseId((await ctx.params).id);
  if (!id.ok) return id.response;
  const db = getDatabase().db;
  const runtime = alertRuntime();
  const now = new Date();
  const queued = await enqueueTestMessage(db, id.data, now, runtime?.publicUrl ?? new URL(request.url).origin);
  if (!queued) return problem(404, 'WEBHOOK_ERR_NOT_FOUND', `no webhook endpoint with id ${id.data}`);
  runtime?.nudgeDeliveries();

  const deadline = Date.now() + (runtime?.deliveryTimeoutMs ?? 10_000) + 2_000;
  const current = async () => (await recentDeliveries(db, { webhookId: id.data, limit: 5 })).find((d) => d.id === queued.id);
  let delivery = await current();
  while (delivery && delivery.history.length === 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    delivery = await current();
  }
  const headers = { 'cache-control': 'no-store' };
  if (delivery?.status === 'gave_up') {
    const reason = delivery.lastError ?? 'no answer';
    if (reason.startsWith(REFUSED_PREFIX)) return fieldProblem(400, URL_REFUSED, 'url', reason.slice(REFUSED_PREFIX.length));
    return Response.json(
      { error: { code: 'WEBHOOK_ERR_TEST_FAILED', message: `the test message was not delivered: ${reason} (a test is sent once, not retried)` }, messageId: queued.messageId, delivery },
      { status: 502, headers },
    );
  }
  return Response.json({ messageId: queued.messageId, delivery: delivery ?? null }, { status: 202, headers });
});
