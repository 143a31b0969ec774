/**
 * Holds every planned canary forever: attempt, wait, attempt again. The wait is
 * exponential backoff with full jitter, so a mass drop across a fleet spreads the
 * reconnects instead of turning them into a storm against the target. A session that
 * stayed open a while proves the path works, and resets the backoff.
 */
import { setMaxListeners } from 'node:events';
import { nextDelay, type BackoffOptions } from './backoff';
import { runAttempt, type CanaryDeps } from './canary';
import type { PlannedCanary } from './config';
import type { Timers } from './reporter';

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
  const controller = new AbortController();
  // Every canary listens on this one signal: thousands of listeners are expected here.
  setMaxListeners(0, controller.signal);
  const state = new Map<string, keyof CanaryCounts>();
  const random = deps.random ?? Math.random;
  const timers: Timers = deps.timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (controller.signal.aborted) return resolve();
      const t = timers.setTimeout(done, ms);
      function done() {
        timers.clearTimeout(t);
        controller.signal.removeEventListener('abort', done);
        resolve();
      }
      controller.signal.addEventListener('abort', done, { once: true });
    });

  const hold = async (canary: PlannedCanary) => {
    let failures = 0;
    // Spread the first dials too: a probe restarting with 500 canaries must not dial all at once.
    state.set(canary.key, 'backoff');
    await sleep(nextDelay(0, deps.backoff, random));
    while (!controller.signal.aborted) {
      state.set(canary.key, 'connecting');
      try {
        const result = await runAttempt(canary, { ...deps, stop: controller.signal, onOpen: () => state.set(canary.key, 'open') });
        failures = result.opened && result.lifetimeMs >= HEALTHY_SESSION_MS ? 0 : failures + 1;
      } catch (err) {
        // runAttempt turns network failures into events; anything else is a bug, but one
        // canary's bug must not stop the others.
        deps.onError?.(err);
        failures += 1;
      }
      if (controller.signal.aborted) break;
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
      controller.abort();
      await Promise.all(running);
    },
  };
}
