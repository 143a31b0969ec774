/**
 * When to try a failed webhook again: exponential backoff with full jitter
 * (a uniform delay between 0 and min(max, base · 2^(failures-1))), until the message is
 * older than the give-up age. The defaults keep trying for 25 hours, past the 24 the
 * issue asks for; tests shorten all three through the environment.
 */
export interface RetryPolicy {
  baseMs: number;
  maxMs: number;
  giveUpAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 5_000, maxMs: 3_600_000, giveUpAfterMs: 25 * 3_600_000 };

/** The delay before the next attempt after `failures` failed ones (1 or more). */
export function retryDelayMs(failures: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(Math.max(failures - 1, 0), 40));
  return Math.floor(random() * ceiling);
}

/**
 * The instant of the next attempt, or null to give up: a message keeps being retried while
 * it is younger than the give-up age, and the last try lands at or before that age.
 */
export function nextAttemptAt(createdAt: Date, failures: number, now: Date, policy: RetryPolicy, random: () => number = Math.random): Date | null {
  const deadline = createdAt.getTime() + policy.giveUpAfterMs;
  if (now.getTime() >= deadline) return null;
  return new Date(Math.min(now.getTime() + retryDelayMs(failures, policy, random), deadline));
}
