/**
 * One platform timer for every canary of a probe: a binary min-heap of due times, with a
 * single `setTimeout` armed at the earliest. At 10,000 canaries this replaces 10,000
 * intervals and a 5 s deadline timer per ping. Schedules are absolute (a heartbeat is due
 * at open + k × interval), so a late tick never pushes the next one later: nothing drifts.
 *
 * Entries are the callers' own records (an interface, not a wrapper), so scheduling
 * allocates nothing. Times are on the queue's own monotonic clock, apart from the clock
 * canaries measure with: tests move the measuring clock by hand while real time runs.
 */
import type { Timers } from '../reporter';

export interface DueEntry {
  /** When it is due, on the queue's clock (ms). Written by the queue. */
  dueAt: number;
  /** Position in the heap, -1 when not scheduled. Written by the queue; start it at -1. */
  slot: number;
  /** Called once when due, with the queue's time; may schedule itself again. */
  fire(now: number): void;
}

export interface DueClock {
  now(): number;
  timers: Timers;
}

/**
 * A platform timer can fire a fraction of a millisecond before the due time read on a
 * sub-millisecond clock (Node rounds timer delays to whole milliseconds): fire what is due
 * within this much.
 */
const EARLY_MS = 1;
/**
 * The timer is armed on a grid of this many ms: 10,000 canaries opened over a second are
 * due ten at every millisecond, and one platform timer (a Timeout, a libuv wakeup) per
 * entry cost more than the pings themselves. On the grid, each wakeup sends what fell due
 * in its 10 ms; no entry fires more than that late (plus the event loop's own lag), far
 * inside what a ping's timing needs.
 */
export const TICK_MS = 10;

export const REAL_TIME: DueClock = {
  now: () => performance.now(),
  timers: {
    setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
    clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  },
};

export class DueQueue {
  readonly #heap: DueEntry[] = [];
  readonly #clock: DueClock;
  #timer: unknown = null;
  /** When the armed timer fires (Infinity when none is armed). */
  #armedFor = Infinity;
  #running = false;

  constructor(clock: DueClock = REAL_TIME) {
    this.#clock = clock;
  }

  now(): number {
    return this.#clock.now();
  }

  get size(): number {
    return this.#heap.length;
  }

  /** Schedule `entry` at `dueAt` (rescheduling it if it was already scheduled). */
  schedule(entry: DueEntry, dueAt: number): void {
    if (entry.slot >= 0) {
      const was = entry.dueAt;
      entry.dueAt = dueAt;
      if (dueAt < was) this.#up(entry.slot);
      else this.#down(entry.slot);
    } else {
      entry.dueAt = dueAt;
      entry.slot = this.#heap.length;
      this.#heap.push(entry);
      this.#up(entry.slot);
    }
    if (!this.#running) this.#arm();
  }

  cancel(entry: DueEntry): void {
    const i = entry.slot;
    if (i < 0) return;
    entry.slot = -1;
    const last = this.#heap.pop()!;
    if (i < this.#heap.length) {
      this.#heap[i] = last;
      last.slot = i;
      this.#up(i);
      this.#down(last.slot);
    }
    if (!this.#running && this.#heap.length === 0 && this.#timer !== null) {
      this.#clock.timers.clearTimeout(this.#timer);
      this.#timer = null;
      this.#armedFor = Infinity;
    }
  }

  #run = (): void => {
    this.#timer = null;
    this.#armedFor = Infinity;
    this.#running = true;
    try {
      // Bounded: an entry that reschedules itself as already due runs again only on the
      // next tick (its new due time is past this pass's horizon only if it moved forward).
      const horizon = this.#clock.now() + EARLY_MS;
      for (let n = this.#heap.length; n > 0 && this.#heap.length > 0 && this.#heap[0]!.dueAt <= horizon; n--) {
        const entry = this.#heap[0]!;
        this.cancel(entry);
        entry.fire(horizon - EARLY_MS);
      }
    } finally {
      this.#running = false;
      this.#arm();
    }
  };

  #arm(): void {
    const first = this.#heap[0];
    if (!first) return;
    // Armed early enough already (at the grid point of an earlier entry, or of this one).
    if (this.#timer !== null && this.#armedFor <= Math.ceil(first.dueAt / TICK_MS) * TICK_MS) return;
    if (this.#timer !== null) this.#clock.timers.clearTimeout(this.#timer);
    const at = Math.ceil(first.dueAt / TICK_MS) * TICK_MS;
    const delay = Math.max(0, at - this.#clock.now());
    this.#armedFor = at;
    this.#timer = this.#clock.timers.setTimeout(this.#run, delay);
  }

  #up(i: number): void {
    const heap = this.#heap;
    const entry = heap[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = heap[p]!;
      if (parent.dueAt <= entry.dueAt) break;
      heap[i] = parent;
      parent.slot = i;
      i = p;
    }
    heap[i] = entry;
    entry.slot = i;
  }

  #down(i: number): void {
    const heap = this.#heap;
    const n = heap.length;
    const entry = heap[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && heap[r]!.dueAt < heap[l]!.dueAt ? r : l;
      const child = heap[c]!;
      if (child.dueAt >= entry.dueAt) break;
      heap[i] = child;
      child.slot = i;
      i = c;
    }
    heap[i] = entry;
    entry.slot = i;
  }
}
