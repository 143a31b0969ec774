import { getDatabase } from '@/db/client';
import { planForProbe, recordPlanFetch } from '@/db/queries/probe-plan';
import { problem } from '@/lib/http/problem';
import { withDatabaseErrors } from '@/app/api/v1/database-errors';
import { authenticatePlanProbe } from '../authenticate';

export const dynamic = 'force-dynamic';

/** Whether an If-None-Match header names `etag` (or is `*`); weak tags compare as strong ones. */
function matches(ifNoneMatch: string | null, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t.replace(/^W\//, '') === etag;
  });
}

/**
 * GET /api/v1/probe/plan: the token's own probe's plan, with its version as the ETag; 304
 * when the probe already has it. Both answers record the fetch (the probes page shows it).
 */
export const GET = withDatabaseErrors(async function GET(request: Request): Promise<Response> {
  const db = getDatabase().db;
  const auth = await authenticatePlanProbe(db, request);
  if (!auth.ok) return auth.response;
  const plan = await planForProbe(db, auth.probe.id);
  // Deleted between the two reads: as if the token were unknown.
  if (!plan) return problem(401, 'PLAN_ERR_UNAUTHORIZED', 'unknown or revoked probe token');
  await recordPlanFetch(db, auth.probe.id, new Date(), plan.version, plan.revision);
  const etag = `"${plan.version}"`;
  const headers = { etag, 'cache-control': 'private, no-cache' };
  if (matches(request.headers.get('if-none-match'), etag)) return new Response(null, { status: 304, headers });
  return Response.json(plan, { headers });
});
