import { getDatabase } from '@/db/client';
import { listBinSessions, listSessions } from '@/db/queries/sessions';
import { sessionListQuerySchema } from '@/lib/contracts/session-query';
import { earliestDataHint } from '@/db/queries/earliest-data';
import { parseQuery, parseScopedQuery, withIgnoredHeader } from '@/lib/dashboard/query-params';
import { resolveScope } from '@/lib/dashboard/scope';
import { binSessionsQuerySchema, isBinSessionsQuery, type BinSessionsAnswer } from '@/lib/drops/bin-sessions';
import { describeIssues, problem } from '@/lib/http/problem';
import { queryObject } from '@/lib/http/query';
import { withDatabaseErrors } from '@/app/api/v1/database-errors';

export const dynamic = 'force-dynamic';

/**
 * GET /api/v1/sessions?target=&proxy=&probe=&profile=&outcome=&endKind=&from=&to=&limit=
 *
 * With `minDurationMs` (and `maxDurationMs`), the sessions of one histogram bar instead
 * (lib/drops/bin-sessions.ts): the dashboard scope (range or from/to, filters), `measure`,
 * `kind`, paginated by `cursor`.
 */
export const GET = withDatabaseErrors(async function GET(request: Request): Promise<Response> {
  const params = new URL(request.url).searchParams;
  if (isBinSessionsQuery(params)) return binSessions(params);
  const parsed = parseQuery(sessionListQuerySchema, queryObject(params));
  if (!parsed.success) return problem(400, 'API_ERR_QUERY', `bad query string: ${describeIssues(parsed.issues)}`, { issues: parsed.issues, headers: withIgnoredHeader(parsed.ignored) });
  const sessions = await listSessions(getDatabase().db, parsed.data);
  return Response.json({ sessions }, { headers: withIgnoredHeader(parsed.ignored, { 'cache-control': 'no-store' }) });
});

async function binSessions(params: URLSearchParams): Promise<Response> {
  // Parsed as every dashboard endpoint parses its scope: unknown keys named in a header, the range limit applied.
  const now = new Date();
  const parsed = parseScopedQuery(binSessionsQuerySchema, queryObject(params), now);
  if (!parsed.success) return problem(400, 'API_ERR_QUERY', `bad query string: ${describeIssues(parsed.issues)}`, { issues: parsed.issues, headers: withIgnoredHeader(parsed.ignored) });
  const { minDurationMs, maxDurationMs, measure, kind, cursor, limit, ...query } = parsed.data;
  const database = getDatabase();
  const scope = resolveScope(query, now, { earliestData: await earliestDataHint(database.db, now) });
  const page = await listBinSessions(database.db, scope, { measure, kind, minMs: minDurationMs, maxMs: maxDurationMs ?? null, limit, ...(cursor !== undefined && { cursor }) });
  const answer: BinSessionsAnswer = {
    scope: {
      from: scope.from.toISOString(),
      to: scope.to.toISOString(),
      ...(scope.probe && { probe: scope.probe }),
      ...(scope.label && { label: `${scope.label.key}=${scope.label.value}` }),
      ...(scope.proxy && { proxy: scope.proxy }),
      ...(scope.target && { target: scope.target }),
      ...(scope.profile && { profile: scope.profile }),
    },
    ...page,
  };
  return Response.json(answer, { headers: withIgnoredHeader(parsed.ignored, { 'cache-control': 'no-store' }) });
}
