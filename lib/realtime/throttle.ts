/**
 * Leading-and-trailing throttle: the first call runs at once, calls inside the interval
 * collapse into one run at its end. Keeps a browser at a few renders per second however
 * fast pushes arrive, without losing the last one.
 */

export interface ThrottleClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: ThrottleClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface Throttle {
  /** Ask for a run: now if the interval has passed since the last one, else at its end. */
  schedule(): void;
  /** Forget a pending run (unmount). */
  cancel(): void;
}

export function createThrottle(run: () => void, intervalMs: number, clock: ThrottleClock = realClock): Throttle {
  if (!(intervalMs > 0)) throw new RangeError(`intervalMs must be positive, got ${intervalMs}`);
  let last = Number.NEGATIVE_INFINITY;
  let timer: unknown = null;
  const fire = () => {
    timer = null;
    last = clock.now();
    run();
  };
  return {
    schedule() {
      if (timer !== null) return;
      const wait = last + intervalMs - clock.now();
      if (wait <= 0) fire();
      else timer = clock.setTimeout(fire, wait);
    },
    cancel() {
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
    },
  };
}
