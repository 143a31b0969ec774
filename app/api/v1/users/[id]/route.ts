import { getDatabase } from '@/db/client';
import { recordAudit } from '@/db/queries/audit';
import { countAdmins, deleteUser, getUser, setUserPassword, setUserRole } from '@/db/queries/users';
import { userPatchSchema } from '@/lib/auth/inputs';
import { fieldProblem, parseJsonBody } from '@/lib/http/json-input';
import { problem } from '@/lib/http/problem';
import { writingPrincipal } from '@/server/auth/current';
import { withDatabaseErrors } from '@/app/api/v1/database-errors';
import { userJson } from '../user-json';

export const dynamic = 'force-dynamic';

type Ctx = { params: Promise<{ id: string }> };
const notFound = (id: string) => problem(404, 'USER_ERR_NOT_FOUND', `no person with id ${JSON.stringify(id.slice(0, 60))}`);
const LAST_ADMIN = 'the last admin cannot be demoted or removed: make someone else admin first';

/** PATCH /api/v1/users/:id: change the role and/or set a password (which ends their sessions). */
export const PATCH = withDatabaseErrors(async function PATCH(request: Request, ctx: Ctx): Promise<Response> {
  const { id } = await ctx.params;
  const body = await parseJsonBody(request, userPatchSchema);
  if (!body.ok) return body.response;
  const db = getDatabase().db;
  const now = new Date();
  return db.transaction(async (tx) => {
    const before = await getUser(tx, id);
    if (!before) return notFound(id);
    if (body.data.role && body.data.role !== 'admin' && before.role === 'admin' && (await countAdmins(tx)) <= 1) {
      return fieldProblem(409, 'USER_ERR_LAST_ADMIN', 'role', LAST_ADMIN);
    }
    if (body.data.role) await setUserRole(tx, id, body.data.role, now);
    if (body.data.password) await setUserPassword(tx, id, body.data.password, now);
    const after = (await getUser(tx, id))!;
    await recordAudit(tx, writingPrincipal(), {
      action: body.data.password ? (body.data.role ? 'user.update+password' : 'user.password') : 'user.update',
      subjectKind: 'user',
      subjectId: id,
      before: userJson(before),
      after: userJson(after),
    });
    return Response.json(userJson(after));
  });
});

/** DELETE /api/v1/users/:id: remove a person; their sessions end at once. */
export const DELETE = withDatabaseErrors(async function DELETE(_request: Request, ctx: Ctx): Promise<Response> {
  const { id } = await ctx.params;
  const db = getDatabase().db;
  return db.transaction(async (tx) => {
    const before = await getUser(tx, id);
    if (!before) return notFound(id);
    if (before.role === 'admin' && (await countAdmins(tx)) <= 1) return problem(409, 'USER_ERR_LAST_ADMIN', LAST_ADMIN);
    await deleteUser(tx, id);
    await recordAudit(tx, writingPrincipal(), { action: 'user.delete', subjectKind: 'user', subjectId: id, before: userJson(before) });
    return new Response(null, { status: 204 });
  });
});
