import { getDatabase } from '@/db/client';
import { enqueueTestMessage, recentDeliveries } from '@/db/queries/webhook-outbox';
import { alertRuntime } from '@/lib/alerts/runtime';
import { parseId } from '@/lib/http/json-input';
import { problem } from '@/lib/http/problem';
import { withDatabaseErrors } from '@/app/api/v1/database-errors';

export const dynamic = 'force-dynamic';

const POLL_MS = 100;

/**
 * POST /api/v1/webhooks/:id/test: queue a signed test message through the outbox (so it is
 * retried like any other) and wait for its first attempt, at most the request timeout.
 * 202 with the delivery as it stands; `history` is empty if the attempt is still running.
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
  return Response.json({ messageId: queued.messageId, delivery: delivery ?? null }, { status: 202, headers: { 'cache-control': 'no-store' } });
});
