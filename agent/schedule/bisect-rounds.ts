/**
 * A bisect unit (one target × proxy × bisect profile): the adaptive ladder of issue 18. It
 * runs in rounds: each round's gaps come from replaying the unit's own rungs
 * (lib/diagnosis/bisect.ts `replay` + `nextGaps`, the same replay the server reports with),
 * its rungs run at once, one per canary slot (at most MAX_BISECT_PARALLEL), and the next round
 * starts a jittered 1–2 s after the last rung of this one ended.
 *
 * Why a pause and not the reconnect backoff: a rung that ends is the experiment working, not
 * the path failing; the pause only keeps rounds from piling onto the target. Rounds that
 * concluded nothing back off exponentially, as any canary would: no rung could be dialed, or
 * every one was closed by the endpoint itself (a 1013 "try again later" must not be answered
 * with a dial every second and a half).
 *
 * Dials go through the runner's DialPacer like every other canary's, and the runner's stop
 * reaches the open rungs through their group's stop signal: they close as `probe_closed`
 * with the group's reason, which rungOutcome reads as inconclusive.
 */
import { cutAtOf, MIN_GAP_MS, nextGaps, replay, rungOutcome, type Rung, type RungOutcome } from '../../lib/diagnosis/bisect';
import { MAX_BISECT_PARALLEL } from '../../lib/contracts/plan';
import { nextDelay, type BackoffOptions } from '../backoff';
import { startAttempt, type AttemptResult, type CanaryDeps } from '../canary';
import type { PlannedCanary } from '../config';
import type { Timers } from '../reporter';
import type { DialPacer, Paced } from './dial-pacer';

/** The pause between rounds: 1 s, plus up to 1 s of jitter. */
export const ROUND_PAUSE_MS = 1000;
/**
 * Rungs kept for the replay. Only those since the last restart matter (a restart keeps only
 * its rung), and once converged the rounds recheck both edges in turn, so the latest rungs
 * hold the bracket: 64 covers any search (from 15 s to 30 min: at most 16 rungs one at a
 * time, about 20 four at a time) with room for the rechecks.
 */
export const MAX_RUNG_HISTORY = 64;

/** What a bisect unit needs of its group in the runner (agent/runner.ts Group). */
export interface RoundsHost {
  readonly canaryDeps: CanaryDeps;
  /** Its canaries' states, for the runner's counts. */
  readonly state: Map<string, 'open' | 'connecting' | 'backoff'>;
  /** What the group's stop finishes: this unit is in it from start to end. */
  readonly waiting: Set<{ finish(): void }>;
  readonly shared: { timers: Timers; pacer: DialPacer; random: () => number; deps: { backoff: BackoffOptions; onError?(err: unknown): void } };
  /** This unit has ended: every rung closed, nothing scheduled. */
  holderDone(): void;
}

/** One rung of a round: its turn to dial, then its session. */
class RungSlot implements Paced {
  outcome: RungOutcome = 'inconclusive';
  cutAtMs: number | null = null;

  constructor(
    readonly canary: PlannedCanary & { gapMs: number },
    /** The slot's canary key, for the counts. */
    readonly key: string,
    private readonly rounds: BisectRounds,
  ) {}

  dialNow(): boolean {
    return this.rounds.dial(this);
  }

  readonly ended = (result: AttemptResult): void => {
    this.outcome = result.opened ? rungOutcome(result) : 'inconclusive';
    this.cutAtMs = this.outcome === 'died' ? cutAtOf({ endKind: result.endKind, durationMs: result.lifetimeMs }) : null;
    this.rounds.rungEnded(this);
  };

  readonly crashed = (err: unknown): void => {
    this.rounds.crashed(err);
    this.rounds.rungEnded(this);
  };
}

export class BisectRounds {
  readonly #parallel: number;
  readonly #limits: { fromMs: number; maxMs: number };
  #rungs: Rung[];
  #round = 0;
  /** Rounds in a row in which no rung concluded (none dialed, or all inconclusive). */
  #failures = 0;
  #timer: unknown = null;
  /** The current round's rungs, in the order they dialed (the order they ran). */
  #dialed: RungSlot[] = [];
  /** Rungs of the current round waiting for their turn to dial. */
  readonly #queued = new Set<RungSlot>();
  /** Rungs of the current round not yet ended (queued or dialed). */
  #pending = 0;
  #stopping = false;
  #done = false;

  constructor(
    private readonly host: RoundsHost,
    /** The unit's canary slots; the first MAX_BISECT_PARALLEL run the rungs. */
    private readonly slots: readonly PlannedCanary[],
    /** Rungs a previous group of this unit ran (a count change keeps the search). */
    inherited: readonly Rung[] = [],
  ) {
    const profile = slots[0]?.profile;
    if (!profile || profile.kind !== 'bisect') throw new TypeError('BisectRounds needs the canaries of a bisect profile');
    this.#parallel = Math.min(slots.length, MAX_BISECT_PARALLEL);
    this.#limits = { fromMs: profile.from, maxMs: profile.max };
    this.#rungs = trim([...inherited]);
  }

  /** The rungs kept for the replay, oldest first (a copy). */
  history(): Rung[] {
    return [...this.#rungs];
  }

  start(): void {
    this.host.waiting.add(this);
    // Spread the first dial like every canary's: a probe restarting must not dial all at once.
    this.#wait(nextDelay(0, this.host.shared.deps.backoff, this.host.shared.random));
  }

  #wait(ms: number): void {
    if (this.#stopping) return this.#end();
    for (let i = 0; i < this.#parallel; i++) this.host.state.set(this.slots[i]!.key, 'backoff');
    this.#timer = this.host.shared.timers.setTimeout(this.#startRound, ms);
  }

  readonly #startRound = (): void => {
    this.#timer = null;
    if (this.#stopping || this.host.canaryDeps.stop.aborted) return this.finish();
    const gaps = nextGaps(replay(this.#rungs), this.#limits, this.#parallel, this.#round);
    const round = gaps.slice(0, this.#parallel).map((gapMs, i) => {
      const slot = this.slots[i]!;
      return new RungSlot({ ...slot, gapMs }, slot.key, this);
    });
    this.#dialed = [];
    this.#pending = round.length;
    for (const rung of round) {
      this.host.state.set(rung.key, 'connecting');
      this.#queued.add(rung);
    }
    // Each may dial at once (the pacer calls back before returning): queue them all first.
    for (const rung of round) if (this.#queued.has(rung)) this.host.shared.pacer.request(rung);
  };

  /** A rung's turn to dial; false when the unit stopped meanwhile. */
  dial(rung: RungSlot): boolean {
    this.#queued.delete(rung);
    if (this.#stopping || this.host.canaryDeps.stop.aborted) {
      this.rungEnded(rung);
      return false;
    }
    this.#dialed.push(rung);
    startAttempt(rung.canary, this.host.canaryDeps, rung.ended, rung.crashed);
    return true;
  }

  /** startAttempt turns network failures into results; anything else is a bug, but one unit's bug must not stop the others. */
  crashed(err: unknown): void {
    this.host.shared.deps.onError?.(err);
  }

  rungEnded(rung: RungSlot): void {
    this.host.state.set(rung.key, 'backoff');
    if (--this.#pending > 0) return;
    if (this.#stopping) return this.#end();
    // In the order they dialed: the order the server replays them in (by attempt time).
    for (const r of this.#dialed) if (r.outcome !== 'inconclusive') this.#rungs.push({ gapMs: r.canary.gapMs, outcome: r.outcome, ...(r.cutAtMs !== null && { cutAtMs: r.cutAtMs }) });
    this.#rungs = trim(this.#rungs);
    // A round that concluded nothing, or a path that cuts even the shortest rung (a target
    // that closes every connection at once), backs off like any canary that keeps dying
    // young: redialing every 2 s would only hammer it.
    const concluded = this.#dialed.some((r) => r.outcome !== 'inconclusive');
    const bracket = replay(this.#rungs);
    const cutsAll = bracket.state === 'dies' && bracket.highMs !== null && bracket.highMs <= MIN_GAP_MS;
    this.#failures = concluded && !cutsAll ? 0 : this.#failures + 1;
    this.#dialed = [];
    this.#round += 1;
    const { random, deps } = this.host.shared;
    const pause = ROUND_PAUSE_MS * (1 + random());
    this.#wait(this.#failures > 0 ? Math.max(pause, nextDelay(this.#failures, deps.backoff, random)) : pause);
  }

  /** Stop: nothing more is dialed; open rungs close through the group's stop, and the unit ends with the last. */
  finish(): void {
    if (this.#stopping) return;
    this.#stopping = true;
    if (this.#timer !== null) {
      this.host.shared.timers.clearTimeout(this.#timer);
      this.#timer = null;
    }
    const queued = [...this.#queued];
    this.#queued.clear();
    for (const rung of queued) this.host.shared.pacer.cancel(rung);
    this.#pending -= queued.length;
    if (this.#pending <= 0) this.#end();
  }

  #end(): void {
    if (this.#done) return;
    this.#done = true;
    this.#stopping = true;
    for (const slot of this.slots) this.host.state.delete(slot.key);
    this.host.waiting.delete(this);
    this.host.holderDone();
  }
}

/** Only the rungs since the last restart (a restart keeps its rung alone), at most MAX_RUNG_HISTORY. */
function trim(rungs: Rung[]): Rung[] {
  const conclusive = rungs.filter((r) => r.outcome !== 'inconclusive');
  const since = replay(conclusive).rungs;
  return conclusive.slice(conclusive.length - Math.min(since, MAX_RUNG_HISTORY));
}
