/** The per-probe token bucket of lib/ingest/rate-limit.ts, on an injected clock. */
import { describe, expect, it } from 'vitest';
import { MAX_BATCH_EVENTS } from '../../../lib/contracts/ingest';
import { IngestRateLimiter, MIN_BATCH_COST, processRateLimiter } from '../../../lib/ingest/rate-limit';

describe('IngestRateLimiter', () => {
  it('starts full, takes a batch by its events (at least MIN_BATCH_COST), and refills at the rate', () => {
    const limiter = new IngestRateLimiter({ eventsPerSecond: 1000, burst: 5000 });
    expect(limiter.take(1, 4000, 0)).toEqual({ ok: true });
    expect(limiter.take(1, 1000, 0)).toEqual({ ok: true });
    // Empty: one event costs MIN_BATCH_COST tokens, 25 ms at 1000 events/s.
    expect(limiter.take(1, 1, 0)).toEqual({ ok: false, retryAfterMs: MIN_BATCH_COST });
    expect(limiter.peek(1, 0)).toEqual({ ok: false, retryAfterMs: MIN_BATCH_COST });
    expect(limiter.take(1, 1, 25)).toEqual({ ok: true });
    // A refused request takes nothing: 500 events need 500 ms, however often asked.
    expect(limiter.take(1, 500, 25)).toEqual({ ok: false, retryAfterMs: 500 });
    expect(limiter.take(1, 500, 25)).toEqual({ ok: false, retryAfterMs: 500 });
    expect(limiter.take(1, 500, 525)).toEqual({ ok: true });
    // Never more than the burst, however long idle.
    expect(limiter.take(1, 5000, 3_600_000)).toEqual({ ok: true });
    expect(limiter.take(1, 25, 3_600_000).ok).toBe(false);
  });

  it('keeps a bucket per probe', () => {
    const limiter = new IngestRateLimiter({ eventsPerSecond: 10, burst: 5000 });
    expect(limiter.take(1, 5000, 0).ok).toBe(true);
    expect(limiter.take(1, 1, 0).ok).toBe(false);
    expect(limiter.take(2, 5000, 0).ok).toBe(true);
  });

  it('refills nothing when the clock goes back, and takes nothing away', () => {
    const limiter = new IngestRateLimiter({ eventsPerSecond: 100, burst: 5000 });
    expect(limiter.take(1, 5000, 10_000).ok).toBe(true);
    expect(limiter.take(1, 25, 0).ok).toBe(false);
    expect(limiter.take(1, 25, 10_250)).toEqual({ ok: true });
  });

  it('counts a batch as at most a whole batch, so a burst of one batch always lets one through', () => {
    expect(IngestRateLimiter.cost(0)).toBe(MIN_BATCH_COST);
    expect(IngestRateLimiter.cost(80)).toBe(80);
    expect(IngestRateLimiter.cost(1e9)).toBe(MAX_BATCH_EVENTS);
  });

  it('throws RangeError on a rate that is not positive or a burst smaller than a batch', () => {
    expect(() => new IngestRateLimiter({ eventsPerSecond: 0, burst: 5000 })).toThrow(RangeError);
    expect(() => new IngestRateLimiter({ eventsPerSecond: Infinity, burst: 5000 })).toThrow(RangeError);
    expect(() => new IngestRateLimiter({ eventsPerSecond: 10, burst: MAX_BATCH_EVENTS - 1 })).toThrow(/at least 5000/);
  });

  it('is one per process for a given limit', () => {
    const a = processRateLimiter({ eventsPerSecond: 7, burst: 5000 });
    expect(processRateLimiter({ eventsPerSecond: 7, burst: 5000 })).toBe(a);
    expect(processRateLimiter({ eventsPerSecond: 8, burst: 5000 })).not.toBe(a);
  });
});
