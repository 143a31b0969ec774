import { getDatabase } from '@/db/client';
import { createSilence, listSilences } from '@/db/queries/silences';
import { resolveSilenceSpec, silenceInputSchema, silenceListStateSchema } from '@/lib/alerts/silence';
import { parseJsonBody } from '@/lib/http/json-input';
import { describeIssues, fieldIssues, problem } from '@/lib/http/problem';
import { withDatabaseErrors } from '@/app/api/v1/database-errors';
import { writingPrincipal } from '@/server/auth/current';

export const dynamic = 'force-dynamic';

/** GET /api/v1/silences?state=active|pending|expired|all (default all): silences, those not over first. */
export const GET = withDatabaseErrors(async function GET(request: Request): Promise<Response> {
  const raw = new URL(request.url).searchParams.get('state');
  const state = silenceListStateSchema.safeParse(raw ?? undefined);
  if (!state.success) {
    const issues = fieldIssues(state.error).map((i) => ({ ...i, path: 'state' }));
    return problem(400, 'API_ERR_PARAM', `invalid query: ${describeIssues(issues)}`, { issues });
  }
  const now = new Date();
  const silences = await listSilences(getDatabase().db, { state: state.data, now });
  return Response.json({ now: now.toISOString(), silences }, { headers: { 'cache-control': 'no-store' } });
});

/**
 * POST /api/v1/silences `{matchers, startsAt?, endsAt? | duration?, comment?}`: 201 with the
 * silence, created by the caller; 400 naming the bad field (a window that ends before it
 * starts, lasts over 30 days, or starts over 30 days ahead included).
 */
export const POST = withDatabaseErrors(async function POST(request: Request): Promise<Response> {
  const body = await parseJsonBody(request, silenceInputSchema);
  if (!body.ok) return body.response;
  const now = new Date();
  const spec = resolveSilenceSpec(body.data, now);
  if (!spec.ok) return problem(400, 'API_ERR_SCHEMA', `invalid body: ${describeIssues(spec.issues)}`, { issues: spec.issues });
  const silence = await createSilence(getDatabase().db, spec.spec, writingPrincipal(), now);
  return Response.json(silence, { status: 201, headers: { 'cache-control': 'no-store', location: `/api/v1/silences/${silence.id}` } });
});
