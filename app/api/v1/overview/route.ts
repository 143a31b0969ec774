import { getDatabase } from '@/db/client';
import { overview } from '@/db/queries/overview';
import { describeIssues, fieldIssues, problem } from '@/lib/http/problem';
import { queryObject } from '@/lib/http/query';
import { overviewQuerySchema } from '@/lib/overview/overview';
import { withDatabaseErrors } from '@/app/api/v1/database-errors';
import { liveAnswer } from '@/lib/realtime/live-answer';

export const dynamic = 'force-dynamic';

/** GET /api/v1/overview?window=1h: the first page's numbers as JSON (lib/overview/overview.ts). Live pages add `w=` (lib/realtime/live-answer.ts). */
export const GET = withDatabaseErrors(liveAnswer('overview', { kind: 'window' }, async function GET(request: Request): Promise<Response> {
  const parsed = overviewQuerySchema.safeParse(queryObject(new URL(request.url).searchParams));
  if (!parsed.success) {
    const issues = fieldIssues(parsed.error);
    return problem(400, 'API_ERR_QUERY', `bad query string: ${describeIssues(issues)}`, { issues });
  }
  const { db } = getDatabase();
  const body = await overview(db, { now: new Date(), windowMs: parsed.data.window });
  // Numbers change with every batch; a cached answer would show a stale page after a push.
  return Response.json(body, { headers: { 'cache-control': 'no-store' } });
}));
