import { getDatabase } from '@/db/client';
import { listSessions } from '@/db/queries/sessions';
import { sessionListQuerySchema } from '@/lib/contracts/session-query';
import { describeIssues, fieldIssues, problem } from '@/lib/http/problem';
import { queryObject } from '@/lib/http/query';
import { withDatabaseErrors } from '@/app/api/v1/database-errors';

export const dynamic = 'force-dynamic';

/** GET /api/v1/sessions?target=&proxy=&probe=&profile=&outcome=&endKind=&from=&to=&limit= */
export const GET = withDatabaseErrors(async function GET(request: Request): Promise<Response> {
  const parsed = sessionListQuerySchema.safeParse(queryObject(new URL(request.url).searchParams));
  if (!parsed.success) {
    const issues = fieldIssues(parsed.error);
    return problem(400, 'API_ERR_QUERY', `bad query string: ${describeIssues(issues)}`, { issues });
  }
  const sessions = await listSessions(getDatabase().db, parsed.data);
  return Response.json({ sessions }, { headers: { 'cache-control': 'no-store' } });
});
