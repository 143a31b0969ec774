/**
 * How fast a probe starts dials: a token bucket over the whole runner (`rate` dials a second,
 * bursts of `burst`), the rest waiting their turn in order.
 *
 * Why: a probe that starts (or sees a mass drop) with 10,000 canaries otherwise dials them
 * all within the first second's jitter. The target and every proxy on the way take a SYN
 * flood, proxies with a connection-rate limit start refusing (and those refusals would be
 * reported as the proxy's), and the probe's own event loop is saturated, so every dial's
 * request, response and timers live for seconds, survive into V8's old space and die there:
 * bench:agent at 10,000 found the probe's old space fragmented at twice the size of what it
 * holds, for as long as the probe ran. Paced, a dial finishes in milliseconds and its garbage
 * dies young.
 *
 * Starts are paced, not dials in flight: a dial into a black hole holds nothing here, so a
 * dead path cannot starve the others' reconnects.
 */
import type { Timers } from '../reporter';

/** What waits for a turn: told to dial when it comes; false when it no longer wants to. */
export interface Paced {
  dialNow(): boolean;
}

export interface DialPace {
  /** Dial starts a second, sustained. */
  ratePerS: number;
  /** Dial starts at once after a quiet while (a small probe dials everything at once). */
  burst: number;
}

/** 500 dials a second, 100 at once: 10,000 canaries open in 20 s; 100 without waiting. */
export const DEFAULT_DIAL_PACE: DialPace = { ratePerS: 500, burst: 100 };

/** The pace of `dial.rate` in probe.yaml: bursts of a fifth of a second's dials. */
export function dialPaceOf(ratePerS: number): DialPace {
  return { ratePerS, burst: Math.max(1, Math.round(ratePerS / 5)) };
}

export class DialPacer {
  #tokens: number;
  #last: number;
  /** In arrival order; deleting one that stopped is O(1). */
  readonly #queue = new Set<Paced>();
  #timer: unknown = null;

  constructor(
    private readonly pace: DialPace,
    private readonly clock: () => number,
    private readonly timers: Timers,
  ) {
    if (!(pace.ratePerS > 0) || !(pace.burst >= 1)) throw new RangeError(`dial pace needs a rate above 0 and a burst of at least 1, not ${pace.ratePerS}/s and ${pace.burst}`);
    this.#tokens = pace.burst;
    this.#last = clock();
  }

  /** Dials waiting for their turn. */
  get queued(): number {
    return this.#queue.size;
  }

  /** `p` dials now if a start is free and nobody waits before it, else when its turn comes. */
  request(p: Paced): void {
    this.#refill();
    if (this.#queue.size === 0 && this.#tokens >= 1) {
      if (p.dialNow()) this.#tokens -= 1;
      return;
    }
    this.#queue.add(p);
    this.#arm();
  }

  /** `p` no longer waits (its canary stopped). */
  cancel(p: Paced): void {
    this.#queue.delete(p);
    if (this.#queue.size === 0 && this.#timer !== null) {
      this.timers.clearTimeout(this.#timer);
      this.#timer = null;
    }
  }

  #refill(): void {
    const now = this.clock();
    this.#tokens = Math.min(this.pace.burst, this.#tokens + ((now - this.#last) * this.pace.ratePerS) / 1000);
    this.#last = now;
  }

  #arm(): void {
    if (this.#timer !== null || this.#queue.size === 0) return;
    const waitMs = Math.max(1, Math.ceil(((1 - this.#tokens) * 1000) / this.pace.ratePerS));
    this.#timer = this.timers.setTimeout(this.#drain, waitMs);
  }

  readonly #drain = (): void => {
    this.#timer = null;
    this.#refill();
    for (const p of this.#queue) {
      if (this.#tokens < 1) break;
      this.#queue.delete(p);
      if (p.dialNow()) this.#tokens -= 1;
    }
    this.#arm();
  };
}
