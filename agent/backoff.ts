/**
 * Exponential backoff with full jitter: the delay is uniform in [0, min(cap, base * 2^attempt)).
 * Full jitter (rather than "base plus a little noise") spreads a fleet of probes that all lost
 * the same backend or proxy at the same instant, so they do not come back as one thundering
 * herd. See https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/.
 *
 * Shared by the reporter (backend retries) and the canary reconnect logic: keep the API stable.
 */

export interface BackoffOptions {
  /** Upper bound of the first delay (attempt 0), in ms. */
  baseMs: number;
  /** No delay ever exceeds this, in ms. */
  capMs: number;
}

/**
 * The delay before retry number `attempt` (0 for the first retry).
 *
 * @param random a source in [0, 1); injected so tests can pin the jitter.
 * @returns ms in [0, min(capMs, baseMs * 2^attempt)).
 * @throws RangeError when `attempt` is not a non-negative integer or a bound is negative or not finite.
 */
export function nextDelay(attempt: number, { baseMs, capMs }: BackoffOptions, random: () => number = Math.random): number {
  if (!Number.isInteger(attempt) || attempt < 0) throw new RangeError(`attempt must be a non-negative integer, got ${attempt}`);
  if (!Number.isFinite(baseMs) || baseMs < 0) throw new RangeError(`baseMs must be a finite number >= 0, got ${baseMs}`);
  if (!Number.isFinite(capMs) || capMs < 0) throw new RangeError(`capMs must be a finite number >= 0, got ${capMs}`);
  // 2 ** 1024 is Infinity and 0 * Infinity is NaN: clamp the exponent so a retry loop that
  // runs for days (and a base of 0) still gets a number.
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 1023));
  return random() * ceiling;
}
