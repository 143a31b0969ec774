import { getDatabase, readOptions } from '@/db/client';
import { dropsReport } from '@/db/queries/drops';
import { earliestDataHint } from '@/db/queries/earliest-data';
import { layersInUse } from '@/lib/config/layers';
import { parseScopedQuery, withIgnoredHeader } from '@/lib/dashboard/query-params';
import { resolveScope } from '@/lib/dashboard/scope';
import { dropsQuerySchema, splitDropsQuery } from '@/lib/drops/query';
import { describeIssues, problem } from '@/lib/http/problem';
import { queryObject } from '@/lib/http/query';
import { withDatabaseErrors } from '@/app/api/v1/database-errors';
import { liveAnswer } from '@/lib/realtime/live-answer';
import { inReportSlot } from '@/lib/http/report-slots';

export const dynamic = 'force-dynamic';

/** GET /api/v1/drops?range=&probe=&…&bin=&scale=&cluster= : exactly what the drops page renders. Live pages add `w=` (lib/realtime/live-answer.ts). */
export const GET = withDatabaseErrors(liveAnswer('drops', { kind: 'scope' }, async function GET(request: Request): Promise<Response> {
  const now = new Date();
  const parsed = parseScopedQuery(dropsQuerySchema, queryObject(new URL(request.url).searchParams), now);
  if (!parsed.success) return problem(400, 'API_ERR_QUERY', `bad query string: ${describeIssues(parsed.issues)}`, { issues: parsed.issues, headers: withIgnoredHeader(parsed.ignored) });
  const q = splitDropsQuery(parsed.data);
  const database = getDatabase();
  const earliestData = await earliestDataHint(database.db, now);
  const report = await inReportSlot(() => dropsReport(database.db, resolveScope(q.scope, now, { earliestData }), q, { now, layers: layersInUse(), ...readOptions(database) }));
  return Response.json(report, { headers: withIgnoredHeader(parsed.ignored, { 'cache-control': 'no-store' }) });
}));
