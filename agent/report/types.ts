/** The reporter's public shapes, shared by agent/reporter.ts (which re-exports them) and the loop. */

/** The timer seam: tests and simulations can drive time themselves. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface ReporterStats {
  /** Events the backend acknowledged (stored or already had). */
  sent: number;
  /** Requests that failed and will be retried. */
  failures: number;
  /** Events moved to the dead-letter file. */
  deadLettered: number;
  lastError?: string;
  lastSuccessAt?: Date;
  /** The backend refuses the probe token (401): sending is paused, retried at `unauthorizedRetryMs`. */
  unauthorized: boolean;
  /** When the current 401 pause began; absent while sending is not paused. */
  unauthorizedSince?: Date;
  /** A batch refused the same way repeatedly is being bisected to find the event that causes it. */
  isolating: boolean;
  /** Isolations started (since start), whether they found an event, an outage or nothing. */
  isolations: number;
}

export interface Reporter {
  /**
   * Send everything now; resolves once the spool is empty or a request failed (see `stats()`).
   * While the token is refused (`stats().unauthorized`) it resolves at once and sends nothing.
   */
  flush(): Promise<void>;
  /** End the loop, aborting an in-flight request; the unsent events stay in the spool. Idempotent. */
  stop(): Promise<void>;
  stats(): ReporterStats;
}
