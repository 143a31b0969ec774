import { z } from 'zod';
import { getDatabase } from '@/db/client';
import { listAudit } from '@/db/queries/audit';
import { fieldIssues, describeIssues, problem } from '@/lib/http/problem';
import { queryObject } from '@/lib/http/query';
import { withDatabaseErrors } from '@/app/api/v1/database-errors';

export const dynamic = 'force-dynamic';

const querySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  before: z.coerce.number().int().min(1).optional(),
  subject: z.string().regex(/^[a-z_]{1,40}$/).optional(),
});

/** GET /api/v1/audit: every write, newest first; `before` (an id) pages back. */
export const GET = withDatabaseErrors(async function GET(request: Request): Promise<Response> {
  const q = querySchema.safeParse(queryObject(new URL(request.url).searchParams));
  if (!q.success) {
    const issues = fieldIssues(q.error);
    return problem(400, 'API_ERR_QUERY', `invalid query: ${describeIssues(issues)}`, { issues });
  }
  const entries = await listAudit(getDatabase().db, { limit: q.data.limit, beforeId: q.data.before, subjectKind: q.data.subject });
  return Response.json({ entries: entries.map((e) => ({ ...e, at: e.at.toISOString() })) }, { headers: { 'cache-control': 'no-store' } });
});
