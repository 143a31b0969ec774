import { getDatabase } from '@/db/client';
import { recordAudit } from '@/db/queries/audit';
import { createPasswordUser, listUsers, UserExistsError } from '@/db/queries/users';
import { userCreateSchema } from '@/lib/auth/inputs';
import { fieldProblem, parseJsonBody } from '@/lib/http/json-input';
import { writingPrincipal } from '@/server/auth/current';
import { withDatabaseErrors } from '@/app/api/v1/database-errors';
import { userJson } from './user-json';

export const dynamic = 'force-dynamic';

/** GET /api/v1/users: everyone who can sign in, with their role and how they sign in. */
export const GET = withDatabaseErrors(async function GET(): Promise<Response> {
  const users = await listUsers(getDatabase().db);
  return Response.json({ users: users.map(userJson) }, { headers: { 'cache-control': 'no-store' } });
});

/** POST /api/v1/users: add a person who signs in with a password (201; 409 for a taken email). */
export const POST = withDatabaseErrors(async function POST(request: Request): Promise<Response> {
  const body = await parseJsonBody(request, userCreateSchema);
  if (!body.ok) return body.response;
  const db = getDatabase().db;
  try {
    const user = await db.transaction(async (tx) => {
      const created = await createPasswordUser(tx, body.data, new Date());
      await recordAudit(tx, writingPrincipal(), { action: 'user.create', subjectKind: 'user', subjectId: created.id, after: userJson(created) });
      return created;
    });
    return Response.json(userJson(user), { status: 201, headers: { location: `/api/v1/users/${user.id}` } });
  } catch (err) {
    if (err instanceof UserExistsError) return fieldProblem(409, err.code, 'email', err.message);
    throw err;
  }
});
