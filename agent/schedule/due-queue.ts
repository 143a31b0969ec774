/**
 * One platform timer for every canary of a probe: a hashed timing wheel (Varghese and Lauck;
 * what Netty's HashedWheelTimer and the Linux kernel's timers do). Time is cut into 10 ms
 * ticks; an entry due in tick t sits in bucket t mod 1024, and the timer wakes once per tick
 * that has entries. At 10,000 canaries this replaces 10,000 intervals and a 5 s deadline
 * timer per ping; scheduling and cancelling are O(1) (a binary heap's O(log n) sift touched a
 * dozen cold entries per ping, which profiles at 10,000 canaries showed as the probe's
 * largest cost after the socket writes).
 *
 * Schedules are absolute (a heartbeat is due at open + k × interval), so a late tick never
 * pushes the next one later: nothing drifts. No entry fires before its due time, nor more
 * than a tick after it (plus the event loop's own lag), far inside what a ping's timing needs.
 *
 * Entries are the callers' own records (an interface, not a wrapper), so scheduling
 * allocates nothing. Times are on the queue's own monotonic clock, apart from the clock
 * canaries measure with: tests move the measuring clock by hand while real time runs.
 */
import type { Timers } from '../reporter';

export interface DueEntry {
  /** When it is due, on the queue's clock (ms). Written by the queue. */
  dueAt: number;
  /** The tick it fires in. Written by the queue. */
  tick: number;
  /** Position in its bucket, -1 when not scheduled. Written by the queue; start it at -1. */
  slot: number;
  /** Called once when due, with the queue's time; may schedule itself again. */
  fire(now: number): void;
}

export interface DueClock {
  now(): number;
  timers: Timers;
}

export const TICK_MS = 10;
/** Buckets in the wheel: 10.24 s a turn. Entries further out wait their turn in place. */
const SLOTS = 1024;

const REAL_TIME: DueClock = {
  now: () => performance.now(),
  timers: {
    setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
    clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  },
};

export class DueQueue {
  readonly #buckets: DueEntry[][] = Array.from({ length: SLOTS }, () => []);
  readonly #clock: DueClock;
  #size = 0;
  /** Every tick up to this one has been run. */
  #doneTick: number;
  #timer: unknown = null;
  /** The tick the armed timer runs (Infinity when none is armed). */
  #armedTick = Infinity;
  #running = false;

  constructor(clock: DueClock = REAL_TIME) {
    this.#clock = clock;
    this.#doneTick = this.#tickAt(clock.now());
  }

  now(): number {
    return this.#clock.now();
  }

  get size(): number {
    return this.#size;
  }

  /** Schedule `entry` at `dueAt` (rescheduling it if it was already scheduled). */
  schedule(entry: DueEntry, dueAt: number): void {
    if (entry.slot >= 0) {
      // Moved within its tick (a pong that leaves the next ping as the entry's due time):
      // nothing to move. Most reschedules are this.
      if (Math.ceil(dueAt / TICK_MS) === entry.tick) {
        entry.dueAt = dueAt;
        return;
      }
      this.#remove(entry);
    }
    else if (this.#size === 0 && !this.#running) this.#doneTick = Math.max(this.#doneTick, this.#tickAt(this.#clock.now()));
    entry.dueAt = dueAt;
    // The tick whose end is at or after dueAt; never one already run (nor, while running, the one being run).
    entry.tick = Math.max(Math.ceil(dueAt / TICK_MS), this.#doneTick + 1);
    const bucket = this.#buckets[entry.tick % SLOTS]!;
    entry.slot = bucket.length;
    bucket.push(entry);
    this.#size += 1;
    if (!this.#running && entry.tick < this.#armedTick) this.#arm(entry.tick);
  }

  cancel(entry: DueEntry): void {
    if (entry.slot < 0) return;
    this.#remove(entry);
    if (this.#size === 0 && this.#timer !== null && !this.#running) {
      this.#clock.timers.clearTimeout(this.#timer);
      this.#timer = null;
      this.#armedTick = Infinity;
    }
  }

  #remove(entry: DueEntry): void {
    const bucket = this.#buckets[entry.tick % SLOTS]!;
    const last = bucket.pop()!;
    if (last !== entry) {
      bucket[entry.slot] = last;
      last.slot = entry.slot;
    }
    entry.slot = -1;
    this.#size -= 1;
  }

  #tickAt(ms: number): number {
    return Math.floor(ms / TICK_MS);
  }

  #run = (): void => {
    this.#timer = null;
    this.#armedTick = Infinity;
    this.#running = true;
    const now = this.#clock.now();
    const target = this.#tickAt(now);
    try {
      // At most one turn of the wheel: after a longer stall every bucket is visited once,
      // and an entry fires when its tick has come, whichever turn it was scheduled for.
      const from = Math.max(this.#doneTick + 1, target - SLOTS + 1);
      this.#doneTick = target;
      for (let t = from; t <= target; t++) {
        const bucket = this.#buckets[t % SLOTS]!;
        // Entries fired here reschedule into later ticks (never ≤ target), possibly this
        // bucket's end: they are skipped there, so the walk is bounded by the bucket's length.
        for (let i = 0; i < bucket.length; ) {
          const entry = bucket[i]!;
          if (entry.tick > target) {
            i += 1;
            continue;
          }
          this.#remove(entry);
          entry.fire(now);
        }
      }
    } finally {
      this.#running = false;
      if (this.#size > 0) this.#arm(this.#nextTick());
    }
  };

  /** The next tick whose bucket holds an entry (within a turn). */
  #nextTick(): number {
    for (let t = this.#doneTick + 1; t <= this.#doneTick + SLOTS; t++) {
      if (this.#buckets[t % SLOTS]!.length > 0) return t;
    }
    return this.#doneTick + SLOTS;
  }

  #arm(tick: number): void {
    if (this.#timer !== null) {
      if (this.#armedTick <= tick) return;
      this.#clock.timers.clearTimeout(this.#timer);
    }
    this.#armedTick = tick;
    this.#timer = this.#clock.timers.setTimeout(this.#run, Math.max(0, tick * TICK_MS - this.#clock.now()));
  }
}
