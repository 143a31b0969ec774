import { getDatabase } from '@/db/client';
import { recordAudit } from '@/db/queries/audit';
import { createProbe } from '@/db/queries/probe-admin';
import { ProbeExistsError } from '@/db/queries/probes';
import { ONLINE_WITHIN_MS, probesStatus } from '@/db/queries/probes-status';
import { resolveScope } from '@/lib/dashboard/scope';
import { fieldProblem, parseJsonBody } from '@/lib/http/json-input';
import { describeIssues, problem } from '@/lib/http/problem';
import { queryObject } from '@/lib/http/query';
import { withIgnoredHeader } from '@/lib/dashboard/query-params';
import { parseScopeQuery } from '@/lib/paths/query';
import type { ProbesReport } from '@/lib/paths/types';
import { withDatabaseErrors } from '@/app/api/v1/database-errors';
import { liveAnswer } from '@/lib/realtime/live-answer';
import { writingPrincipal } from '@/server/auth/current';
import { probeCreateSchema } from './probe-input';
import { probeJson } from './probe-json';

export const dynamic = 'force-dynamic';

/** GET /api/v1/probes?probe=&label= : every probe, online when heard from within 90 s. The time range does not apply. Live pages add `w=` (lib/realtime/live-answer.ts). */
export const GET = withDatabaseErrors(liveAnswer('probes', { kind: 'none' }, async function GET(request: Request): Promise<Response> {
  const now = new Date();
  const parsed = parseScopeQuery(queryObject(new URL(request.url).searchParams), now);
  if (!parsed.success) return problem(400, 'API_ERR_QUERY', `bad query string: ${describeIssues(parsed.issues)}`, { issues: parsed.issues, headers: withIgnoredHeader(parsed.ignored) });
  const probes = await probesStatus(getDatabase().db, now, resolveScope(parsed.data, now));
  const report: ProbesReport = { now: now.toISOString(), onlineWithinMs: ONLINE_WITHIN_MS, probes };
  return Response.json(report, { headers: withIgnoredHeader(parsed.ignored, { 'cache-control': 'no-store' }) });
}));

/**
 * POST /api/v1/probes {name, labels?, kind?}: register a probe (or, with kind `target`, a
 * standalone canary target). 201 {probe, token}: the token is in this answer only. 409
 * naming `name` when it is taken (by a revoked probe too: POST .../token brings that one back).
 */
export const POST = withDatabaseErrors(async function POST(request: Request): Promise<Response> {
  const body = await parseJsonBody(request, probeCreateSchema);
  if (!body.ok) return body.response;
  const db = getDatabase().db;
  try {
    const { probe, token } = await db.transaction(async (tx) => {
      const made = await createProbe(tx, body.data);
      await recordAudit(tx, writingPrincipal(), { action: 'probe.create', subjectKind: 'probe', subjectId: made.probe.id, after: probeJson(made.probe) });
      return made;
    });
    return Response.json({ probe: probeJson(probe), token }, { status: 201, headers: { 'cache-control': 'no-store', location: `/api/v1/probes/${probe.id}` } });
  } catch (err) {
    if (err instanceof ProbeExistsError) return fieldProblem(409, err.code, 'name', `${err.message} (a revoked one keeps its name: give it a new token to bring it back)`);
    throw err;
  }
});
