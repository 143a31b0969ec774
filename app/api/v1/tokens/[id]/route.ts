import { getDatabase } from '@/db/client';
import { getApiToken, revokeApiToken } from '@/db/queries/api-tokens';
import { recordAudit } from '@/db/queries/audit';
import { parseId } from '@/lib/http/json-input';
import { problem } from '@/lib/http/problem';
import { writingPrincipal } from '@/server/auth/current';
import { withDatabaseErrors } from '@/app/api/v1/database-errors';
import { tokenJson } from '../token-json';

export const dynamic = 'force-dynamic';

/** DELETE /api/v1/tokens/:id: revoke a token; requests with it are refused from now on. */
export const DELETE = withDatabaseErrors(async function DELETE(_request: Request, ctx: { params: Promise<{ id: string }> }): Promise<Response> {
  const id = parseId((await ctx.params).id);
  if (!id.ok) return id.response;
  const db = getDatabase().db;
  const now = new Date();
  return db.transaction(async (tx) => {
    const before = await getApiToken(tx, id.data);
    if (!before) return problem(404, 'TOKEN_ERR_NOT_FOUND', `no API token with id ${id.data}`);
    const after = (await revokeApiToken(tx, id.data, now))!;
    await recordAudit(tx, writingPrincipal(), { action: 'token.revoke', subjectKind: 'token', subjectId: id.data, before: tokenJson(before), after: tokenJson(after) }, now);
    return Response.json(tokenJson(after));
  });
});
