/**
 * The backend refuses the probe token (401): it was revoked, or the probe was deleted. Sending
 * again at the backoff pace changes nothing and floods the log, so sending pauses: one request
 * per `retryMs` in case the token is restored, one error line when it starts and at most one
 * reminder an hour while it lasts, one info line when a batch goes through again.
 */
import type { Logger } from '../../lib/log';

/** At most one reminder line this often while the token stays refused. */
export const UNAUTHORIZED_REMINDER_MS = 60 * 60 * 1000;

export class UnauthorizedPause {
  readonly retryMs: number;
  readonly #log: Logger;
  readonly #now: () => Date;
  #since: Date | undefined;
  #remindedAt = 0;
  #refusals = 0;

  constructor(options: { log: Logger; now: () => Date; retryMs: number }) {
    this.#log = options.log;
    this.#now = options.now;
    this.retryMs = options.retryMs;
  }

  /** Since when the token is refused; undefined while it is not. */
  get since(): Date | undefined {
    return this.#since;
  }

  /** A 401: pause (or stay paused), logging only the first refusal and the hourly reminder. */
  refused(reason: string, pending: number): void {
    const now = this.#now();
    this.#refusals++;
    if (!this.#since) {
      this.#since = now;
      this.#remindedAt = now.getTime();
      this.#log.error(
        { reason, pending, retryMs: this.retryMs },
        `backend refused the probe token (HTTP 401): sending paused, events kept in the spool; retrying every ${describeMs(this.retryMs)} in case the token is restored (check the probe's token, or \`dropscope probe list\`)`,
      );
      return;
    }
    if (now.getTime() - this.#remindedAt < UNAUTHORIZED_REMINDER_MS) return;
    this.#remindedAt = now.getTime();
    this.#log.error(
      { reason, pending, since: this.#since.toISOString(), refusals: this.#refusals },
      `backend still refuses the probe token (HTTP 401) since ${this.#since.toISOString()}: sending paused, events kept in the spool`,
    );
  }

  /** A batch went through: the token works (again). */
  accepted(pending: number): void {
    if (!this.#since) return;
    const pausedForMs = this.#now().getTime() - this.#since.getTime();
    this.#log.info({ pausedForMs, refusals: this.#refusals, pending }, 'backend accepts the probe token again: sending resumed');
    this.#since = undefined;
    this.#refusals = 0;
  }
}

/** `5 min`, `90 s`, `1.5 h`: what an operator reads in a log line. */
function describeMs(ms: number): string {
  if (ms < 1_000) return `${ms} ms`;
  if (ms < 60_000) return `${Math.round(ms / 100) / 10} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 6_000) / 10} min`;
  return `${Math.round(ms / 360_000) / 10} h`;
}
