import { getDatabase } from '@/db/client';
import { savePlanStatus } from '@/db/queries/probe-plan';
import { MAX_STATUS_BYTES, planStatusSchema } from '@/lib/contracts/plan';
import { describeIssues, fieldIssues, problem } from '@/lib/http/problem';
import { BodyError, readBody } from '@/lib/http/read-body';
import { withDatabaseErrors } from '@/app/api/v1/database-errors';
import { authenticatePlanProbe } from '../../authenticate';

export const dynamic = 'force-dynamic';

/**
 * POST /api/v1/probe/plan/status: what the token's own probe runs of its plan, and what it
 * could not run and why. 204; the report replaces the probe's previous one. The body may be
 * up to 256 KiB (500 paths), more than the API's usual 64 KiB (lib/http/json-input.ts).
 */
export const POST = withDatabaseErrors(async function POST(request: Request): Promise<Response> {
  const db = getDatabase().db;
  const auth = await authenticatePlanProbe(db, request);
  if (!auth.ok) return auth.response;
  if (!(request.headers.get('content-type') ?? '').toLowerCase().startsWith('application/json')) {
    return problem(415, 'API_ERR_MEDIA_TYPE', 'send the body as application/json');
  }
  let text: string;
  try {
    text = await readBody(request, MAX_STATUS_BYTES);
  } catch (err) {
    if (!(err instanceof BodyError)) throw err;
    return problem(err.code === 'BODY_TOO_LARGE' ? 413 : 415, `API_ERR_${err.code.slice('BODY_'.length)}`, err.message);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return problem(400, 'API_ERR_JSON', `body is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = planStatusSchema.safeParse(json);
  if (!parsed.success) {
    const issues = fieldIssues(parsed.error);
    return problem(400, 'API_ERR_SCHEMA', `invalid plan status: ${describeIssues(issues)}`, { issues });
  }
  await savePlanStatus(db, auth.probe.id, parsed.data, new Date());
  return new Response(null, { status: 204 });
});
