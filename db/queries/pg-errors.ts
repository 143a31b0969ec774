/**
 * PostgreSQL's error codes, as postgres.js and PGlite report them (drizzle wraps the
 * driver's error in its own, with the original as `cause`).
 */
function codeOf(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, i = 0; e && i < 4; e = e.cause as typeof e, i++) {
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
  }
  return undefined;
}

export function isUniqueViolation(err: unknown): boolean {
  return codeOf(err) === '23505';
}
