import { getDatabase } from '@/db/client';
import { handshakesReport } from '@/db/queries/handshakes';
import { dashboardScopeSchema, resolveScope } from '@/lib/dashboard/scope';
import { describeIssues, fieldIssues, problem } from '@/lib/http/problem';
import { queryObject } from '@/lib/http/query';
import { withDatabaseErrors } from '@/app/api/v1/database-errors';
import { liveAnswer } from '@/lib/realtime/live-answer';

export const dynamic = 'force-dynamic';

/** GET /api/v1/handshakes?range=&probe=&… : exactly what the handshake page renders. Live pages add `w=` (lib/realtime/live-answer.ts). */
export const GET = withDatabaseErrors(liveAnswer('handshakes', { kind: 'scope' }, async function GET(request: Request): Promise<Response> {
  const parsed = dashboardScopeSchema.safeParse(queryObject(new URL(request.url).searchParams));
  if (!parsed.success) {
    const issues = fieldIssues(parsed.error);
    return problem(400, 'API_ERR_QUERY', `bad query string: ${describeIssues(issues)}`, { issues });
  }
  const report = await handshakesReport(getDatabase().db, resolveScope(parsed.data, new Date()));
  return Response.json(report, { headers: { 'cache-control': 'no-store' } });
}));
