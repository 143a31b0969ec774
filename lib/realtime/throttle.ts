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

/**
 * A throttle whose runs fall in slots of the wall clock: [k·interval, (k+1)·interval). A
 * call in a slot with no run yet runs at once; the rest of the slot collapses into one run
 * at the start of the next. So every browser showing one view, whatever moment it opened,
 * refetches at the same instants and asks for the same watermark: with pushes arriving all
 * the time, the server computes one answer per slot instead of one per viewer (leading-edge
 * throttles started at each page's own moment would spread the viewers over the interval).
 * `clock.now()` must be wall time (Date.now()) for the slots of different browsers to line
 * up; clocks a second apart only cost an extra answer now and then.
 *
 * `phaseMs` shifts the grid: slots are [k·interval + phase, (k+1)·interval + phase). Views
 * given different phases (view-key.ts: one per view, the same in every browser) refresh at
 * different instants, so the server computes their answers one after another instead of all
 * at each whole 10 s.
 */
export function createAlignedThrottle(run: () => void, intervalMs: number, clock: ThrottleClock = wallClock, phaseMs = 0): Throttle {
  if (!(intervalMs > 0)) throw new RangeError(`intervalMs must be positive, got ${intervalMs}`);
  if (!(phaseMs >= 0 && phaseMs < intervalMs)) throw new RangeError(`phaseMs must be in [0, ${intervalMs}), got ${phaseMs}`);
  let lastSlot = Number.NEGATIVE_INFINITY;
  let timer: unknown = null;
  const slot = () => Math.floor((clock.now() - phaseMs) / intervalMs);
  const fire = () => {
    timer = null;
    lastSlot = slot();
    run();
  };
  return {
    schedule() {
      if (timer !== null) return;
      const current = slot();
      if (current !== lastSlot) fire();
      else timer = clock.setTimeout(fire, (current + 1) * intervalMs + phaseMs - clock.now());
    },
    cancel() {
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
    },
  };
}

const wallClock: ThrottleClock = { ...realClock, now: () => Date.now() };
