import { getDatabase } from '@/db/client';
import { ONLINE_WITHIN_MS, probesStatus } from '@/db/queries/probes-status';
import { resolveScope } from '@/lib/dashboard/scope';
import { describeIssues, problem } from '@/lib/http/problem';
import { queryObject } from '@/lib/http/query';
import { parseScopeQuery } from '@/lib/paths/query';
import type { ProbesReport } from '@/lib/paths/types';
import { withDatabaseErrors } from '@/app/api/v1/database-errors';
import { liveAnswer } from '@/lib/realtime/live-answer';

export const dynamic = 'force-dynamic';

/** GET /api/v1/probes?probe=&label= : every probe, online when heard from within 90 s. The time range does not apply. Live pages add `w=` (lib/realtime/live-answer.ts). */
export const GET = withDatabaseErrors(liveAnswer('probes', { kind: 'none' }, async function GET(request: Request): Promise<Response> {
  const parsed = parseScopeQuery(queryObject(new URL(request.url).searchParams));
  if (!parsed.success) return problem(400, 'API_ERR_QUERY', `bad query string: ${describeIssues(parsed.issues)}`, { issues: parsed.issues });
  const now = new Date();
  const probes = await probesStatus(getDatabase().db, now, resolveScope(parsed.data, now));
  const report: ProbesReport = { now: now.toISOString(), onlineWithinMs: ONLINE_WITHIN_MS, probes };
  return Response.json(report, { headers: { 'cache-control': 'no-store' } });
}));
