import { getDatabase, readOptions } from '@/db/client';
import { analysisReport } from '@/db/queries/analysis-report';
import { earliestDataHint } from '@/db/queries/earliest-data';
import { layersInUse } from '@/lib/config/layers';
import { parseScopedQuery, withIgnoredHeader } from '@/lib/dashboard/query-params';
import { dashboardScopeSchema, resolveScope } from '@/lib/dashboard/scope';
import { describeIssues, problem } from '@/lib/http/problem';
import { queryObject } from '@/lib/http/query';
import { withDatabaseErrors } from '@/app/api/v1/database-errors';
import { inReportSlot } from '@/lib/http/report-slots';

export const dynamic = 'force-dynamic';

/**
 * GET /api/v1/analysis?range=|from=&to=&probe=&proxy=&target=&label=&profile= : signatures,
 * verdicts, evidence, fixes. The dashboard's scope, as the analysis page reads it; unknown
 * parameters are named in the dropscope-ignored-params header (lib/dashboard/query-params.ts).
 */
export const GET = withDatabaseErrors(async function GET(request: Request): Promise<Response> {
  const now = new Date();
  const parsed = parseScopedQuery(dashboardScopeSchema, queryObject(new URL(request.url).searchParams), now);
  if (!parsed.success) return problem(400, 'API_ERR_QUERY', `bad query string: ${describeIssues(parsed.issues)}`, { issues: parsed.issues, headers: withIgnoredHeader(parsed.ignored) });
  const database = getDatabase();
  const earliestData = await earliestDataHint(database.db, now);
  const report = await inReportSlot(() => analysisReport(database.db, resolveScope(parsed.data, now, { earliestData }), { now, layers: layersInUse(), ...readOptions(database) }));
  return Response.json(report, { headers: withIgnoredHeader(parsed.ignored, { 'cache-control': 'no-store' }) });
});
