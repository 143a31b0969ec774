/** Full-jitter exponential backoff, capped, for at least the give-up age. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY, nextAttemptAt, retryDelayMs } from '../../../lib/webhooks/retry';

describe('webhook retry schedule', () => {
  it('draws each delay uniformly below min(max, base·2^(n-1))', () => {
    const policy = { baseMs: 1000, maxMs: 60_000, giveUpAfterMs: 3_600_000 };
    expect([1, 2, 3, 4, 7, 30].map((n) => retryDelayMs(n, policy, () => 0.999999))).toEqual([999, 1999, 3999, 7999, 59_999, 59_999]);
    expect(retryDelayMs(5, policy, () => 0)).toBe(0);
    fc.assert(fc.property(fc.integer({ min: 1, max: 1000 }), fc.double({ min: 0, max: 0.9999999, noNaN: true }), (n, r) => {
      const d = retryDelayMs(n, policy, () => r);
      return d >= 0 && d <= 60_000;
    }));
  });

  it('keeps retrying for at least 24 hours by default, and stops at the give-up age', () => {
    expect(DEFAULT_RETRY.giveUpAfterMs).toBeGreaterThanOrEqual(24 * 3_600_000);
    const created = new Date('2026-11-01T00:00:00Z');
    // Worst case for coverage: every delay the longest.
    let now = created;
    let failures = 0;
    for (;;) {
      failures += 1;
      const next = nextAttemptAt(created, failures, now, DEFAULT_RETRY, () => 0.999999);
      if (!next) break;
      now = next;
      if (failures > 10_000) throw new Error('unbounded');
    }
    expect(now.getTime() - created.getTime()).toBe(DEFAULT_RETRY.giveUpAfterMs);
    expect(failures).toBeGreaterThan(20);
  });
});
