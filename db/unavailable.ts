/**
 * Whether a database error means the database cannot be reached right now (refused, gone,
 * restarting, out of connections), as opposed to a statement that failed on its data. The
 * first is answered 503 with Retry-After (the probe waits and resends: nothing was kept),
 * the second 500.
 */

/** postgres.js's own codes for a connection it could not make or lost, and the socket's. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
]);

/**
 * SQLSTATEs of an unavailable server: class 08 (connection exception), 57P01-57P03 (admin
 * or crash shutdown, cannot connect now) and 53300 (too many connections).
 */
function unavailableState(code: string): boolean {
  return code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300';
}

export function isDatabaseUnavailable(err: unknown): boolean {
  // drizzle wraps the driver's error ("Failed query: ...") in `cause`; walk a few levels.
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    const code = typeof e.code === 'string' ? e.code : null;
    if (code && (CONNECTION_CODES.has(code) || (/^[0-9A-Z]{5}$/.test(code) && unavailableState(code)))) return true;
  }
  return false;
}
