import { getDatabase } from '@/db/client';
import { endSilence, getSilence } from '@/db/queries/silences';
import { parseId } from '@/lib/http/json-input';
import { problem } from '@/lib/http/problem';
import { withDatabaseErrors } from '@/app/api/v1/database-errors';
import { writingPrincipal } from '@/server/auth/current';
import { silenceErrorResponse } from '../respond';

export const dynamic = 'force-dynamic';

type Ctx = { params: Promise<{ id: string }> };

/** GET /api/v1/silences/:id: one silence, 404 when there is none. */
export const GET = withDatabaseErrors(async function GET(_request: Request, ctx: Ctx): Promise<Response> {
  const id = parseId((await ctx.params).id);
  if (!id.ok) return id.response;
  const silence = await getSilence(getDatabase().db, id.data, new Date());
  if (!silence) return problem(404, 'SILENCE_ERR_NOT_FOUND', `no silence with id ${id.data}`);
  return Response.json(silence, { headers: { 'cache-control': 'no-store' } });
});

/**
 * DELETE /api/v1/silences/:id: end it now (200 with the ended silence, `endedBy` the caller).
 * The silence stays in the list as expired; an alert it held gets its firing sent at the
 * next evaluation. 404 for no such silence, 409 when it is already over.
 */
export const DELETE = withDatabaseErrors(async function DELETE(_request: Request, ctx: Ctx): Promise<Response> {
  const id = parseId((await ctx.params).id);
  if (!id.ok) return id.response;
  try {
    return Response.json(await endSilence(getDatabase().db, id.data, writingPrincipal(), new Date()), { headers: { 'cache-control': 'no-store' } });
  } catch (err) {
    return silenceErrorResponse(err);
  }
});
