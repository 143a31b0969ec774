import { getDatabase, readOptions } from '@/db/client';
import { analysisReport } from '@/db/queries/analysis-report';
import { analysisQuerySchema, DEFAULT_ANALYSIS_RANGE_MS, labelOf } from '@/lib/contracts/analysis-query';
import { layersInUse } from '@/lib/config/layers';
import { describeIssues, fieldIssues, problem } from '@/lib/http/problem';
import { queryObject } from '@/lib/http/query';
import { withDatabaseErrors } from '@/app/api/v1/database-errors';
import { inReportSlot } from '@/lib/http/report-slots';

export const dynamic = 'force-dynamic';

/** GET /api/v1/analysis?from=&to=&probe=&proxy=&target=&label=&profile= : signatures, verdicts, evidence, fixes. */
export const GET = withDatabaseErrors(async function GET(request: Request): Promise<Response> {
  const parsed = analysisQuerySchema.safeParse(queryObject(new URL(request.url).searchParams));
  if (!parsed.success) {
    const issues = fieldIssues(parsed.error);
    return problem(400, 'API_ERR_QUERY', `bad query string: ${describeIssues(issues)}`, { issues });
  }
  const now = new Date();
  const to = parsed.data.to ? new Date(parsed.data.to) : now;
  const from = parsed.data.from ? new Date(parsed.data.from) : new Date(to.getTime() - DEFAULT_ANALYSIS_RANGE_MS);
  const database = getDatabase();
  const report = await inReportSlot(() => analysisReport(database.db, { from, to, probe: parsed.data.probe, proxy: parsed.data.proxy, target: parsed.data.target, label: labelOf(parsed.data), profile: parsed.data.profile }, { now, layers: layersInUse(), ...readOptions(database) }));
  return Response.json(report, { headers: { 'cache-control': 'no-store' } });
});
