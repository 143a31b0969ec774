import { getDatabase } from '@/db/client';
import { earliestDataHint } from '@/db/queries/earliest-data';
import { handshakesReport } from '@/db/queries/handshakes';
import { parseScopedQuery, withIgnoredHeader } from '@/lib/dashboard/query-params';
import { dashboardScopeSchema, resolveScope } from '@/lib/dashboard/scope';
import { describeIssues, problem } from '@/lib/http/problem';
import { queryObject } from '@/lib/http/query';
import { withDatabaseErrors } from '@/app/api/v1/database-errors';
import { liveAnswer } from '@/lib/realtime/live-answer';

export const dynamic = 'force-dynamic';

/** GET /api/v1/handshakes?range=&probe=&… : exactly what the handshake page renders. Live pages add `w=` (lib/realtime/live-answer.ts). */
export const GET = withDatabaseErrors(liveAnswer('handshakes', { kind: 'scope' }, async function GET(request: Request): Promise<Response> {
  const now = new Date();
  const parsed = parseScopedQuery(dashboardScopeSchema, queryObject(new URL(request.url).searchParams), now);
  if (!parsed.success) return problem(400, 'API_ERR_QUERY', `bad query string: ${describeIssues(parsed.issues)}`, { issues: parsed.issues, headers: withIgnoredHeader(parsed.ignored) });
  const db = getDatabase().db;
  const report = await handshakesReport(db, resolveScope(parsed.data, now, { earliestData: await earliestDataHint(db, now) }));
  return Response.json(report, { headers: withIgnoredHeader(parsed.ignored, { 'cache-control': 'no-store' }) });
}));
