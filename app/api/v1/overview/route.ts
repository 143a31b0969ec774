import { getDatabase } from '@/db/client';
import { overview } from '@/db/queries/overview';
import { parseQuery, withIgnoredHeader } from '@/lib/dashboard/query-params';
import { describeIssues, problem } from '@/lib/http/problem';
import { queryObject } from '@/lib/http/query';
import { overviewQuerySchema } from '@/lib/overview/overview';
import { withDatabaseErrors } from '@/app/api/v1/database-errors';
import { liveAnswer } from '@/lib/realtime/live-answer';

export const dynamic = 'force-dynamic';

/** GET /api/v1/overview?window=1h: the first page's numbers as JSON (lib/overview/overview.ts). Live pages add `w=` (lib/realtime/live-answer.ts). */
export const GET = withDatabaseErrors(liveAnswer('overview', { kind: 'window' }, async function GET(request: Request): Promise<Response> {
  const parsed = parseQuery(overviewQuerySchema, queryObject(new URL(request.url).searchParams));
  if (!parsed.success) return problem(400, 'API_ERR_QUERY', `bad query string: ${describeIssues(parsed.issues)}`, { issues: parsed.issues, headers: withIgnoredHeader(parsed.ignored) });
  const { db } = getDatabase();
  const body = await overview(db, { now: new Date(), windowMs: parsed.data.window });
  // Numbers change with every batch; a cached answer would show a stale page after a push.
  return Response.json(body, { headers: withIgnoredHeader(parsed.ignored, { 'cache-control': 'no-store' }) });
}));
