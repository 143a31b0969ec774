import { getDatabase } from '@/db/client';
import { earliestDataHint } from '@/db/queries/earliest-data';
import { pathsMatrix } from '@/db/queries/paths';
import { withIgnoredHeader } from '@/lib/dashboard/query-params';
import { resolveScope } from '@/lib/dashboard/scope';
import { describeIssues, problem } from '@/lib/http/problem';
import { queryObject } from '@/lib/http/query';
import { parsePathsQuery } from '@/lib/paths/query';
import { withDatabaseErrors } from '@/app/api/v1/database-errors';
import { liveAnswer } from '@/lib/realtime/live-answer';
import { longestSessionMs } from '@/db/queries/path-activity';
import { ingestSettings } from '@/lib/config/server-env';

export const dynamic = 'force-dynamic';

/** GET /api/v1/paths?range=&from=&to=&probe=&label=&proxy=&target=&profile=&by=probe : the paths matrix. Live pages add `w=` (lib/realtime/live-answer.ts). */
export const GET = withDatabaseErrors(liveAnswer('paths', { kind: 'scope' }, async function GET(request: Request): Promise<Response> {
  const now = new Date();
  const parsed = parsePathsQuery(queryObject(new URL(request.url).searchParams), now);
  if (!parsed.success) return problem(400, 'API_ERR_QUERY', `bad query string: ${describeIssues(parsed.issues)}`, { issues: parsed.issues, headers: withIgnoredHeader(parsed.ignored) });
  const db = getDatabase().db;
  const matrix = await pathsMatrix(db, resolveScope(parsed.data.scope, now, { earliestData: await earliestDataHint(db, now) }), { byProbe: parsed.data.byProbe, now, longestSessionMs: longestSessionMs(ingestSettings().limits) });
  return Response.json(matrix, { headers: withIgnoredHeader(parsed.ignored, { 'cache-control': 'no-store' }) });
}));
