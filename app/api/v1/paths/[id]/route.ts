import { getDatabase } from '@/db/client';
import { earliestDataHint } from '@/db/queries/earliest-data';
import { pathDetail, pathExists } from '@/db/queries/path-detail';
import { withIgnoredHeader } from '@/lib/dashboard/query-params';
import { resolveScope } from '@/lib/dashboard/scope';
import { describeIssues, problem } from '@/lib/http/problem';
import { queryObject } from '@/lib/http/query';
import { parsePathId } from '@/lib/paths/path-id';
import { parseScopeQuery } from '@/lib/paths/query';
import { withDatabaseErrors } from '@/app/api/v1/database-errors';
import { liveAnswer } from '@/lib/realtime/live-answer';
import { inReportSlot } from '@/lib/http/report-slots';
import { layersInUse } from '@/lib/config/layers';
import { longestSessionMs } from '@/db/queries/path-activity';
import { ingestSettings } from '@/lib/config/server-env';

export const dynamic = 'force-dynamic';

/** GET /api/v1/paths/:id?range=&from=&to=&probe=&label=&profile= : one target × proxy (`target~proxy`, each percent-encoded). Live pages add `w=` (lib/realtime/live-answer.ts). */
export const GET = withDatabaseErrors(liveAnswer('path', { kind: 'scope' }, async function GET(request: Request, props: { params: Promise<{ id: string }> }): Promise<Response> {
  const key = parsePathId((await props.params).id);
  if (!key) return problem(404, 'API_ERR_PATH_ID', 'expected a path id of the form encodeURIComponent(target)~encodeURIComponent(proxy)');
  const now = new Date();
  const parsed = parseScopeQuery(queryObject(new URL(request.url).searchParams), now);
  if (!parsed.success) return problem(400, 'API_ERR_QUERY', `bad query string: ${describeIssues(parsed.issues)}`, { issues: parsed.issues, headers: withIgnoredHeader(parsed.ignored) });
  const database = getDatabase();
  const db = database.db;
  if (!(await pathExists(db, key))) return problem(404, 'API_ERR_PATH_UNKNOWN', `no session was ever recorded from target ${key.target} through proxy ${key.proxy}`);
  const earliestData = await earliestDataHint(db, now);
  const detail = await inReportSlot(() => pathDetail(db, key, resolveScope(parsed.data, now, { earliestData }), now, { layers: layersInUse(), longestSessionMs: longestSessionMs(ingestSettings().limits) }));
  return Response.json(detail, { headers: withIgnoredHeader(parsed.ignored, { 'cache-control': 'no-store' }) });
}));
