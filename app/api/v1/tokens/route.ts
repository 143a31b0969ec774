import { getDatabase } from '@/db/client';
import { createApiToken, listApiTokens } from '@/db/queries/api-tokens';
import { recordAudit } from '@/db/queries/audit';
import { tokenCreateSchema } from '@/lib/auth/inputs';
import { parseJsonBody } from '@/lib/http/json-input';
import { writingPrincipal } from '@/server/auth/current';
import { withDatabaseErrors } from '@/app/api/v1/database-errors';
import { tokenJson } from './token-json';

export const dynamic = 'force-dynamic';

/** GET /api/v1/tokens: API tokens, never their values. */
export const GET = withDatabaseErrors(async function GET(): Promise<Response> {
  const tokens = await listApiTokens(getDatabase().db);
  return Response.json({ tokens: tokens.map(tokenJson) }, { headers: { 'cache-control': 'no-store' } });
});

/** POST /api/v1/tokens: a token for automation; its value is in this answer only (201). */
export const POST = withDatabaseErrors(async function POST(request: Request): Promise<Response> {
  const body = await parseJsonBody(request, tokenCreateSchema);
  if (!body.ok) return body.response;
  const now = new Date();
  const principal = writingPrincipal();
  const db = getDatabase().db;
  const { record, token } = await db.transaction(async (tx) => {
    const made = await createApiToken(
      tx,
      {
        name: body.data.name,
        role: body.data.role,
        expiresAt: body.data.expiresInDays === null ? null : new Date(now.getTime() + body.data.expiresInDays * 86_400_000),
        createdBy: principal.kind === 'user' ? principal.id : null,
      },
      now,
    );
    await recordAudit(tx, principal, { action: 'token.create', subjectKind: 'token', subjectId: made.record.id, after: tokenJson(made.record) }, now);
    return made;
  });
  return Response.json({ ...tokenJson(record), token }, { status: 201, headers: { 'cache-control': 'no-store', location: `/api/v1/tokens/${record.id}` } });
});
