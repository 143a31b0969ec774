/**
 * Holds every planned canary forever: attempt, wait, attempt again. The wait is
 * exponential backoff with full jitter, so a mass drop across a fleet spreads the
 * reconnects instead of turning them into a storm against the target. A session that
 * stayed open a while proves the path works, and resets the backoff.
 */
import { nextDelay, type BackoffOptions } from './backoff';
import { startAttempt, type AttemptResult, type CanaryDeps, type StopSignal } from './canary';
import type { PlannedCanary } from './config';
import type { Timers } from './reporter';
import { nextMinuteShipDelay, RttMinutes } from './rtt-minutes';
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
/**
 * How long after a minute's end its RTT ships: a sample is dated on its session's
 * monotonic clock, which may lag the wall clock a little.
 */
const RTT_MINUTE_GRACE_MS = 2_000;

export type RunnerDeps = Omit<CanaryDeps, 'stop' | 'onOpen' | 'rttMinutes'> & {
  backoff: BackoffOptions;
  random?: () => number;
  /** The waits between attempts; tests drive time themselves through this seam. */
  timers?: Timers;
  onError?(err: unknown): void;
};

export function startRunner(canaries: readonly PlannedCanary[], deps: RunnerDeps): Runner {
  const stop = new Stopper();
  const state = new Map<string, keyof CanaryCounts>();
  const ctx: HolderContext = {
    deps,
    stop,
    state,
    random: deps.random ?? Math.random,
    timers: deps.timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) },
    // Every canary's pings and deadlines on one timer.
    queue: deps.queue ?? new DueQueue(),
    waiting: new Set(),
    holding: canaries.length,
    allDone: () => {},
    canaryDeps: undefined as unknown as CanaryDeps,
  };
  // Every canary's RTT samples, summed per path and minute. While any minute is held, a
  // timer ships the ended ones just after each minute turns.
  let shipTimer: unknown = null;
  const scheduleShipping = () => {
    shipTimer = ctx.timers.setTimeout(shipMinutes, nextMinuteShipDelay(deps.wall().getTime(), RTT_MINUTE_GRACE_MS));
  };
  const shipMinutes = () => {
    shipTimer = null;
    rttMinutes.shipEnded(deps.wall().getTime() - RTT_MINUTE_GRACE_MS);
    if (rttMinutes.size > 0) scheduleShipping();
  };
  const rttMinutes = new RttMinutes(deps.emit, () => {
    if (shipTimer === null) scheduleShipping();
  });
  // One set of deps for every canary: a copy per canary was 200 bytes of each.
  ctx.canaryDeps = { ...deps, stop, queue: ctx.queue, rttMinutes, onOpen: (canary) => state.set(canary.key, 'open') };
  const finished = new Promise<void>((resolve) => (ctx.allDone = resolve)).then(() => {
    // Every session has ended: what they measured of the current minutes goes out too.
    if (shipTimer !== null) ctx.timers.clearTimeout(shipTimer);
    shipTimer = null;
    rttMinutes.flush();
  });
  if (canaries.length === 0) ctx.allDone();
  for (const canary of canaries) new Holder(canary, ctx).start();
  return {
    counts() {
      const c: CanaryCounts = { open: 0, connecting: 0, backoff: 0 };
      for (const s of state.values()) c[s] += 1;
      return c;
    },
    async stop() {
      stop.abort();
      // Canaries waiting out a backoff end now; open ones end when their session has closed.
      for (const holder of [...ctx.waiting]) holder.finish();
      await finished;
    },
  };
}

interface HolderContext {
  deps: RunnerDeps;
  stop: Stopper;
  state: Map<string, keyof CanaryCounts>;
  random: () => number;
  timers: Timers;
  queue: DueQueue;
  /** Holders waiting out a backoff, with their timer. */
  waiting: Set<Holder>;
  /** Holders not yet finished. */
  holding: number;
  allDone(): void;
  canaryDeps: CanaryDeps;
}

/**
 * One canary held forever: attempt, wait, attempt again. A small record with its methods
 * bound once, not an async loop: a probe holds 10,000 of these, and a suspended async
 * function with its promises was a few hundred bytes of each.
 */
class Holder {
  #failures = 0;
  #timer: unknown = null;
  #finished = false;

  constructor(
    private readonly canary: PlannedCanary,
    private readonly ctx: HolderContext,
  ) {}

  start(): void {
    // Spread the first dials too: a probe restarting with 500 canaries must not dial all at once.
    this.#wait(nextDelay(0, this.ctx.deps.backoff, this.ctx.random));
  }

  #wait(ms: number): void {
    if (this.ctx.stop.aborted) return this.finish();
    this.ctx.state.set(this.canary.key, 'backoff');
    this.ctx.waiting.add(this);
    this.#timer = this.ctx.timers.setTimeout(this.#attempt, ms);
  }

  readonly #attempt = (): void => {
    this.ctx.waiting.delete(this);
    this.#timer = null;
    if (this.ctx.stop.aborted) return this.finish();
    this.ctx.state.set(this.canary.key, 'connecting');
    startAttempt(this.canary, this.ctx.canaryDeps, this.#ended, this.#crashed);
  };

  readonly #ended = (result: AttemptResult): void => {
    this.#failures = result.opened && result.lifetimeMs >= HEALTHY_SESSION_MS ? 0 : this.#failures + 1;
    this.#next();
  };

  /** runAttempt turns network failures into events; anything else is a bug, but one canary's bug must not stop the others. */
  readonly #crashed = (err: unknown): void => {
    this.ctx.deps.onError?.(err);
    this.#failures += 1;
    this.#next();
  };

  #next(): void {
    if (this.ctx.stop.aborted) return this.finish();
    this.#wait(nextDelay(this.#failures, this.ctx.deps.backoff, this.ctx.random));
  }

  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    if (this.#timer !== null) this.ctx.timers.clearTimeout(this.#timer);
    this.ctx.waiting.delete(this);
    this.ctx.state.delete(this.canary.key);
    if (--this.ctx.holding === 0) this.ctx.allDone();
  }
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
