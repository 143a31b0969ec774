/**
 * What an API path no route serves answers (issue 19): a JSON 404 in the API's problem shape
 * (lib/http/problem.ts: `{ error: { code, message } }`, plus the `path` it could not find),
 * for every method, so a script that mistypes a path reads a reason instead of Next's HTML
 * page. Only the path is echoed; the query is not (it can hold anything).
 */
export const API_NOT_FOUND = 'API_ERR_NOT_FOUND';

export function apiNotFound(req: Request): Response {
  const { pathname } = new URL(req.url);
  return Response.json(
    { error: { code: API_NOT_FOUND, message: `not found: no API at ${req.method} ${pathname}; the API lives under /api/v1 (see the README)`, path: pathname } },
    { status: 404, headers: { 'cache-control': 'no-store' } },
  );
}
