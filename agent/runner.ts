/**
 * Holds every planned canary forever: attempt, wait, attempt again. The wait is
 * exponential backoff with full jitter, so a mass drop across a fleet spreads the
 * reconnects instead of turning them into a storm against the target. A session that
 * stayed open a while proves the path works, and resets the backoff.
 *
 * Canaries are held in groups, one per unit of the plan (target × proxy × profile, see
 * agent/plan/diff.ts), so a new plan from the server restarts only the units it changes.
 * A bisect unit is held differently: its canaries run rounds of rungs whose gaps bisect the
 * path's idle timeout (agent/schedule/bisect-rounds.ts).
 */
import type { Rung } from '../lib/diagnosis/bisect';
import { nextDelay, type BackoffOptions } from './backoff';
import { startAttempt, type AttemptResult, type CanaryDeps, type StopSignal } from './canary';
import type { PlannedCanary } from './config';
import type { Timers } from './reporter';
import { nextMinuteShipDelay, RttMinutes } from './rtt-minutes';
import { unitsOf } from './plan/diff';
import { BisectRounds } from './schedule/bisect-rounds';
import { DEFAULT_DIAL_PACE, DialPacer, type DialPace, type Paced } from './schedule/dial-pacer';
import { DueQueue } from './schedule/due-queue';

export interface CanaryCounts {
  open: number;
  connecting: number;
  backoff: number;
}

export interface ApplyResult {
  /** Canaries of units the new plan did not change: their sessions stayed open. */
  kept: number;
  /** Canaries of new or changed units. */
  started: number;
  /** Canaries of removed or changed units, now ended. */
  stopped: number;
}

export interface Runner {
  counts(): CanaryCounts;
  /** The current plan's units (`target|proxy|profileLabel`, see agent/plan/diff.ts) with their canaries' states. */
  countsByUnit(): Map<string, CanaryCounts>;
  /**
   * Hold exactly `canaries` from now on. A unit whose fingerprint is unchanged keeps its
   * canaries and open sessions; removed and changed units close theirs (`probe_closed`, "path
   * removed from the plan" or "path changed"), new and changed ones start. Resolves when the
   * closed ones have ended.
   * @throws Error when the runner was stopped (a caller's mistake).
   */
  apply(canaries: readonly PlannedCanary[]): Promise<ApplyResult>;
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

export const REMOVED_REASON = 'path removed from the plan';
export const CHANGED_REASON = 'path changed';

export type RunnerDeps = Omit<CanaryDeps, 'stop' | 'onOpen' | 'rttMinutes'> & {
  backoff: BackoffOptions;
  /** How fast dials start, runner-wide (default DEFAULT_DIAL_PACE). */
  dialPace?: DialPace;
  random?: () => number;
  /** The waits between attempts; tests drive time themselves through this seam. */
  timers?: Timers;
  onError?(err: unknown): void;
};

/** What every group of a runner shares: one timer queue, one RTT minute table, one dial pace, one emit. */
interface Shared {
  deps: RunnerDeps;
  random: () => number;
  timers: Timers;
  queue: DueQueue;
  rttMinutes: RttMinutes;
  pacer: DialPacer;
}

export function startRunner(canaries: readonly PlannedCanary[], deps: RunnerDeps): Runner {
  const timers: Timers = deps.timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
  // Every canary's RTT samples, summed per path and minute. While any minute is held, a
  // timer ships the ended ones just after each minute turns. One for the whole runner: a
  // unit that ends mid-minute leaves its samples to the minute, which ships with the others.
  let shipTimer: unknown = null;
  const scheduleShipping = () => {
    shipTimer = timers.setTimeout(shipMinutes, nextMinuteShipDelay(deps.wall().getTime(), RTT_MINUTE_GRACE_MS));
  };
  const shipMinutes = () => {
    shipTimer = null;
    rttMinutes.shipEnded(deps.wall().getTime() - RTT_MINUTE_GRACE_MS);
    if (rttMinutes.size > 0) scheduleShipping();
  };
  const rttMinutes = new RttMinutes(deps.emit, () => {
    if (shipTimer === null) scheduleShipping();
  });
  const shared: Shared = {
    deps,
    random: deps.random ?? Math.random,
    timers,
    // Every canary's pings and deadlines on one timer.
    queue: deps.queue ?? new DueQueue(),
    rttMinutes,
    pacer: new DialPacer(deps.dialPace ?? DEFAULT_DIAL_PACE, deps.clock, timers),
  };

  /**
   * The plan's units, by unit key: each unit's canaries in one or more groups. A unit's count
   * that grows gets a group of the added canaries; one that shrinks ends the groups holding
   * the canaries it drops (their other canaries restart in a new group), so the sessions of
   * every canary the plan keeps stay open.
   */
  const current = new Map<string, Group[]>();
  /** Groups told to stop whose canaries have not all ended yet. */
  const ending = new Set<Group>();
  let stopped = false;

  const end = (group: Group, reason: string | undefined): Promise<void> => {
    ending.add(group);
    group.stop(reason);
    return group.finished.then(() => void ending.delete(group));
  };
  const sum = (groups: Iterable<Group>, c: CanaryCounts): CanaryCounts => {
    for (const g of groups) g.addCounts(c);
    return c;
  };

  const runner: Runner = {
    counts() {
      const c: CanaryCounts = { open: 0, connecting: 0, backoff: 0 };
      for (const groups of current.values()) sum(groups, c);
      return sum(ending, c);
    },
    countsByUnit() {
      const byUnit = new Map<string, CanaryCounts>();
      for (const [key, groups] of current) byUnit.set(key, sum(groups, { open: 0, connecting: 0, backoff: 0 }));
      return byUnit;
    },
    async apply(next) {
      if (stopped) throw new Error('runner.apply() after stop()');
      const units = unitsOf(next);
      const result: ApplyResult = { kept: 0, started: 0, stopped: 0 };
      const endings: Promise<void>[] = [];
      const stopGroup = (group: Group, reason: string) => {
        result.stopped += group.size;
        endings.push(end(group, reason));
      };
      /** Bisect units whose canaries changed: the rungs their search ran so far. */
      const searches = new Map<string, Rung[]>();
      for (const [key, groups] of current) {
        const unit = units.get(key);
        if (!unit || unit.fingerprint !== groups[0]!.fingerprint) {
          current.delete(key);
          for (const group of groups) stopGroup(group, unit ? CHANGED_REASON : REMOVED_REASON);
          continue;
        }
        if (groups[0]!.bisect) {
          // One search per unit: another count of rungs at once restarts the unit's one group,
          // which keeps the rungs its search has run.
          const held = groups.flatMap((g) => g.keys);
          if (held.length === unit.canaries.length && unit.canaries.every((c) => held.includes(c.key))) continue;
          searches.set(key, groups[0]!.history());
          current.delete(key);
          for (const group of groups) stopGroup(group, CHANGED_REASON);
          continue;
        }
        const wanted = new Set(unit.canaries.map((c) => c.key));
        const kept = groups.filter((group) => {
          const dropped = group.keys.filter((k) => !wanted.has(k)).length;
          if (dropped === 0) return true;
          // Canaries of this group the plan keeps restart below, in a group of their own.
          stopGroup(group, dropped === group.size ? REMOVED_REASON : CHANGED_REASON);
          return false;
        });
        current.set(key, kept);
      }
      for (const [key, unit] of units) {
        const groups = current.get(key) ?? [];
        const held = new Set(groups.flatMap((g) => g.keys));
        result.kept += held.size;
        const added = unit.canaries.filter((c) => !held.has(c.key));
        if (added.length > 0) {
          // A changed unit's old groups may still be closing: the new one has state of its own,
          // so the old holders finishing cannot erase the new ones' entries.
          const group = new Group(added, unit.fingerprint, shared, searches.get(key));
          groups.push(group);
          result.started += added.length;
          group.start();
        }
        current.set(key, groups);
      }
      await Promise.all(endings);
      return result;
    },
    async stop() {
      stopped = true;
      const all = [...current.values()].flat().map((g) => end(g, undefined));
      current.clear();
      // Groups already ending (a plan applied just before) are awaited too.
      await Promise.all([...all, ...[...ending].map((g) => g.finished)]);
      // Every session has ended: what they measured of the current minutes goes out too.
      if (shipTimer !== null) timers.clearTimeout(shipTimer);
      shipTimer = null;
      rttMinutes.flush();
    },
  };
  void runner.apply(canaries);
  return runner;
}

/**
 * The canaries of one unit, started and stopped together: their own stop, their state, and
 * one set of canary deps for all of them (a copy per canary was 200 bytes of each).
 */
class Group {
  readonly stopper = new Stopper();
  readonly state = new Map<string, keyof CanaryCounts>();
  /** Holders waiting out a backoff (with their timer) or for their turn to dial; a bisect unit's rounds. */
  readonly waiting = new Set<{ finish(): void }>();
  readonly canaryDeps: CanaryDeps;
  readonly finished: Promise<void>;
  readonly size: number;
  /** A bisect unit: one search for all its canaries, not a holder each. */
  readonly bisect: boolean;
  /** Holders not yet finished. */
  holding: number;
  #rounds: BisectRounds | null = null;
  #allDone!: () => void;

  constructor(
    private readonly canaries: readonly PlannedCanary[],
    readonly fingerprint: string,
    readonly shared: Shared,
    private readonly inherited?: readonly Rung[],
  ) {
    this.size = canaries.length;
    this.bisect = canaries[0]?.profile.kind === 'bisect';
    this.holding = this.bisect ? 1 : canaries.length;
    this.finished = new Promise<void>((resolve) => (this.#allDone = resolve));
    const { deps } = shared;
    this.canaryDeps = { ...deps, stop: this.stopper, queue: shared.queue, rttMinutes: shared.rttMinutes, onOpen: (canary) => this.state.set(canary.key, 'open') };
    if (this.holding === 0) this.#allDone();
  }

  /** Its canaries' keys (read when a plan is applied, not kept: a probe holds thousands). */
  get keys(): string[] {
    return this.canaries.map((c) => c.key);
  }

  start(): void {
    if (this.bisect) (this.#rounds = new BisectRounds(this, this.canaries, this.inherited)).start();
    else for (const canary of this.canaries) new Holder(canary, this).start();
  }

  /** A bisect unit's rungs so far (empty for other units). */
  history(): Rung[] {
    return this.#rounds?.history() ?? [];
  }

  stop(reason: string | undefined): void {
    this.stopper.abort(reason);
    // Canaries waiting (a backoff, a turn to dial) end now; open ones end when their session has closed.
    for (const holder of [...this.waiting]) holder.finish();
  }

  holderDone(): void {
    if (--this.holding === 0) this.#allDone();
  }

  addCounts(c: CanaryCounts): CanaryCounts {
    for (const s of this.state.values()) c[s] += 1;
    return c;
  }
}

/**
 * One canary held forever: attempt, wait, attempt again. A small record with its methods
 * bound once, not an async loop: a probe holds 10,000 of these, and a suspended async
 * function with its promises was a few hundred bytes of each.
 */
class Holder implements Paced {
  #failures = 0;
  #timer: unknown = null;
  #finished = false;

  constructor(
    private readonly canary: PlannedCanary,
    private readonly group: Group,
  ) {}

  start(): void {
    // Spread the first dials too: a probe restarting with 500 canaries must not dial all at once.
    this.#wait(nextDelay(0, this.group.shared.deps.backoff, this.group.shared.random));
  }

  #wait(ms: number): void {
    if (this.group.stopper.aborted) return this.finish();
    this.group.state.set(this.canary.key, 'backoff');
    this.group.waiting.add(this);
    this.#timer = this.group.shared.timers.setTimeout(this.#attempt, ms);
  }

  readonly #attempt = (): void => {
    this.#timer = null;
    if (this.group.stopper.aborted) return this.finish();
    this.group.state.set(this.canary.key, 'connecting');
    // Still in `waiting` while it waits for its turn to dial: a stop finishes it there.
    this.group.shared.pacer.request(this);
  };

  /** Its turn to dial (agent/schedule/dial-pacer.ts); false when it stopped meanwhile. */
  dialNow(): boolean {
    if (this.group.stopper.aborted) {
      this.finish();
      return false;
    }
    this.group.waiting.delete(this);
    startAttempt(this.canary, this.group.canaryDeps, this.#ended, this.#crashed);
    return true;
  }

  readonly #ended = (result: AttemptResult): void => {
    this.#failures = result.opened && result.lifetimeMs >= HEALTHY_SESSION_MS ? 0 : this.#failures + 1;
    this.#next();
  };

  /** runAttempt turns network failures into events; anything else is a bug, but one canary's bug must not stop the others. */
  readonly #crashed = (err: unknown): void => {
    this.group.shared.deps.onError?.(err);
    this.#failures += 1;
    this.#next();
  };

  #next(): void {
    if (this.group.stopper.aborted) return this.finish();
    this.#wait(nextDelay(this.#failures, this.group.shared.deps.backoff, this.group.shared.random));
  }

  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    if (this.#timer !== null) this.group.shared.timers.clearTimeout(this.#timer);
    this.group.shared.pacer.cancel(this);
    this.group.waiting.delete(this);
    this.group.state.delete(this.canary.key);
    this.group.holderDone();
  }
}

/**
 * The runner's stop: thousands of canaries listen on it, so its listeners are a Set (an
 * AbortSignal's EventTarget walks its whole list on every add and warns past ten).
 */
class Stopper implements StopSignal {
  aborted = false;
  closeReason: string | undefined = undefined;
  readonly #listeners = new Set<() => void>();

  addEventListener(_type: 'abort', listener: () => void): void {
    if (!this.aborted) this.#listeners.add(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    this.#listeners.delete(listener);
  }

  abort(closeReason?: string): void {
    if (this.aborted) return;
    this.aborted = true;
    this.closeReason = closeReason;
    const listeners = [...this.#listeners];
    this.#listeners.clear();
    for (const listener of listeners) listener();
  }
}
