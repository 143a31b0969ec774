/**
 * Every /api path no other route serves, /api itself included (an optional catch-all: with
 * `[...unknown]` a bare /api got Next's HTML 404): a JSON 404 (not-found.ts) whatever the method.
 * Next matches its more specific routes first (app/api/v1/...), so this never shadows one;
 * better-auth (/api/auth) and ingest are served by server.ts before Next sees the request.
 * The gate still runs first: anonymous callers get 401, as on any API path, and a write
 * needs an editor (lib/auth/access-policy.ts).
 */
import { apiNotFound } from './not-found';

export const dynamic = 'force-dynamic';

export const GET = apiNotFound;
export const POST = apiNotFound;
export const PUT = apiNotFound;
export const PATCH = apiNotFound;
export const DELETE = apiNotFound;
