import { getDatabase } from '@/db/client';
import { completeSetup, SetupError } from '@/db/queries/setup';
import { recordAudit } from '@/db/queries/audit';
import { setupInputSchema } from '@/lib/auth/inputs';
import { parseJsonBody } from '@/lib/http/json-input';
import { problem } from '@/lib/http/problem';
import { withDatabaseErrors } from '@/app/api/v1/database-errors';

export const dynamic = 'force-dynamic';

/** POST /api/v1/setup: the first admin, with the one-time link's token printed at start (201). */
export const POST = withDatabaseErrors(async function POST(request: Request): Promise<Response> {
  const body = await parseJsonBody(request, setupInputSchema);
  if (!body.ok) return body.response;
  const { token, ...admin } = body.data;
  try {
    const db = getDatabase().db;
    const user = await completeSetup(db, token, admin, new Date());
    await recordAudit(db, { kind: 'user', id: user.id, name: user.name, email: user.email, role: user.role }, { action: 'user.setup', subjectKind: 'user', subjectId: user.id, after: user });
    return Response.json({ user: { id: user.id, email: user.email, name: user.name, role: user.role } }, { status: 201 });
  } catch (err) {
    if (!(err instanceof SetupError)) throw err;
    return problem(err.code === 'SETUP_ERR_DONE' ? 409 : 403, err.code, err.message);
  }
});
