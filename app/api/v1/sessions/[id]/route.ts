import { getDatabase } from '@/db/client';
import { getSession } from '@/db/queries/sessions';
import { problem } from '@/lib/http/problem';
import { withDatabaseErrors } from '@/app/api/v1/database-errors';

export const dynamic = 'force-dynamic';

export const GET = withDatabaseErrors(async function GET(_request: Request, ctx: { params: Promise<{ id: string }> }): Promise<Response> {
  const { id } = await ctx.params;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) return problem(400, 'API_ERR_PARAM', 'id: expected 1-64 letters, digits, "_" or "-"');
  const session = await getSession(getDatabase().db, id);
  if (!session) return problem(404, 'API_ERR_NOT_FOUND', `no session with id ${id}`);
  return Response.json(session);
});
