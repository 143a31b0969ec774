/**
 * The first contact with PostgreSQL when a server starts: retried for a while when the
 * connection itself fails, so a server started while its database restarts (a rolling
 * deploy, a host rebooting both) waits for it instead of exiting. It also covers a
 * connection timed out by a busy process: the connect timeout is measured on the server's
 * own event loop, which Next's start-up blocks for seconds on a loaded machine (CI saw
 * "Connection terminated due to connection timeout" from the live relay's first connect).
 *
 * What PostgreSQL itself refuses (a wrong password, a missing database, a bad statement) is
 * not retried: waiting would not change the answer.
 */

export interface StartWait {
  /** How long to keep trying, from the first attempt; 0 tries once. */
  waitMs: number;
  /** Told before each wait: the error, the attempt that failed (1-based), the wait. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** SQLSTATE codes: two characters of class (a digit and a digit or letter, or F0, HV, P0, XX) and three more. */
const SQLSTATE = /^([0-9][0-9A-Z]|F0|HV|P0|XX)[0-9A-Z]{3}$/;

/**
 * Whether `err` is the connection failing rather than PostgreSQL answering: no SQLSTATE at
 * all (refused, reset, timed out, terminated), or one that says "not now": connection
 * exceptions (class 08), the database starting up or shutting down (57P03), too many
 * connections (53300).
 */
export function isConnectionFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !SQLSTATE.test(code)) return true;
  return code.startsWith('08') || code === '57P03' || code === '53300';
}

/** Waits between attempts: 250 ms, doubling, at most 4 s. */
export function startRetryDelayMs(attempt: number): number {
  return Math.min(250 * 2 ** Math.min(attempt - 1, 10), 4_000);
}

/** `fn`, tried again after each connection failure until `waitMs` has passed; the last error is thrown. */
export async function retryAtStart<T>(fn: () => Promise<T>, options: StartWait): Promise<T> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = now() + options.waitMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const delayMs = startRetryDelayMs(attempt);
      if (!isConnectionFailure(err) || now() + delayMs > deadline) throw err;
      options.onRetry?.(err, attempt, delayMs);
      await sleep(delayMs);
    }
  }
}
