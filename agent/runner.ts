/**
 * Holds every planned canary forever: attempt, wait, attempt again. The wait is
 * exponential backoff with full jitter, so a mass drop across a fleet spreads the
 * reconnects instead of turning them into a storm against the target. A session that
 * stayed open a while proves the path works, and resets the backoff.
 */
import { nextDelay, type BackoffOptions } from './backoff';
import { runAttempt, type CanaryDeps, type StopSignal } from './canary';
import type { PlannedCanary } from './config';
import type { Timers } from './reporter';
import { DueQueue } from './schedule/due-queue';

export interface CanaryCounts {
  open: number;
  connecting: number;
  backoff: number;
}

export interface Runner {
  counts(): CanaryCounts;
  /** Close every canary politely (their endings are reported as probe_closed) and wait. */
  stop(): Promise<void>;
}

/** An open session this long (or longer) resets the backoff. */
const HEALTHY_SESSION_MS = 10_000;

export function startRunner(
  canaries: readonly PlannedCanary[],
  deps: Omit<CanaryDeps, 'stop' | 'onOpen'> & {
    backoff: BackoffOptions;
    random?: () => number;
    /** The waits between attempts; tests drive time themselves through this seam. */
    timers?: Timers;
    onError?(err: unknown): void;
  },
): Runner {
  const stop = new Stopper();
  const state = new Map<string, keyof CanaryCounts>();
  const random = deps.random ?? Math.random;
  const timers: Timers = deps.timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
  // Every canary's pings and deadlines on one timer.
  const queue = deps.queue ?? new DueQueue();

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (stop.aborted) return resolve();
      const t = timers.setTimeout(done, ms);
      function done() {
        timers.clearTimeout(t);
        stop.removeEventListener('abort', done);
        resolve();
      }
      stop.addEventListener('abort', done);
    });

  const hold = async (canary: PlannedCanary) => {
    let failures = 0;
    const canaryDeps: CanaryDeps = { ...deps, stop, queue, onOpen: () => state.set(canary.key, 'open') };
    // Spread the first dials too: a probe restarting with 500 canaries must not dial all at once.
    state.set(canary.key, 'backoff');
    await sleep(nextDelay(0, deps.backoff, random));
    while (!stop.aborted) {
      state.set(canary.key, 'connecting');
      try {
        const result = await runAttempt(canary, canaryDeps);
        failures = result.opened && result.lifetimeMs >= HEALTHY_SESSION_MS ? 0 : failures + 1;
      } catch (err) {
        // runAttempt turns network failures into events; anything else is a bug, but one
        // canary's bug must not stop the others.
        deps.onError?.(err);
        failures += 1;
      }
      if (stop.aborted) break;
      state.set(canary.key, 'backoff');
      await sleep(nextDelay(failures, deps.backoff, random));
    }
    state.delete(canary.key);
  };

  const running = canaries.map(hold);
  return {
    counts() {
      const c: CanaryCounts = { open: 0, connecting: 0, backoff: 0 };
      for (const s of state.values()) c[s] += 1;
      return c;
    },
    async stop() {
      stop.abort();
      await Promise.all(running);
    },
  };
}

/**
 * The runner's stop: thousands of canaries listen on it, so its listeners are a Set (an
 * AbortSignal's EventTarget walks its whole list on every add and warns past ten).
 */
class Stopper implements StopSignal {
  aborted = false;
  readonly #listeners = new Set<() => void>();

  addEventListener(_type: 'abort', listener: () => void): void {
    if (!this.aborted) this.#listeners.add(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    this.#listeners.delete(listener);
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    const listeners = [...this.#listeners];
    this.#listeners.clear();
    for (const listener of listeners) listener();
  }
}
