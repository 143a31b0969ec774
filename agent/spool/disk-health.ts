/**
 * Whether the spool's disk takes writes, what it costs while it does not, and what is said
 * about it. The Spool reports failures and recoveries here; this keeps the state behind
 * `spool.health()`, schedules the retry, and bounds the log: an outage is announced once,
 * restated at most once a minute with what is held and lost, and its end is announced once.
 * A disk that flaps (writable for a moment, full again) is not announced again within a
 * minute of the previous line: the next periodic line covers it.
 */
import type { Logger } from '../../lib/log';
import { describeCause, errnoCode, oneLine } from './errors';

/** The timer seam (as agent/reporter.ts's): tests drive the retry themselves. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const defaultTimers: Timers = {
  // Unref'd: a pending retry must not keep a stopping process alive.
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** What `spool.health()` answers. */
export interface SpoolHealth {
  /** The disk takes writes; false while events are held in memory. */
  writable: boolean;
  /** Events held in memory (the disk did not take them), included in `depth()`. */
  memoryEvents: number;
  /** Bytes of their JSON lines. */
  memoryBytes: number;
  /**
   * Events lost since open because the disk was unusable: dropped from a full memory buffer,
   * in segments removed with the directory, or still in memory at close. Evictions by the
   * size bound are `droppedEvents()`, not here.
   */
  lostEvents: number;
  /** The most recent disk error (kept after a recovery; `writable` says whether it still holds). */
  lastError?: string;
}

export interface HeldCounts {
  memoryEvents: number;
  memoryBytes: number;
}

/** Log no more than one outage line per minute. */
export const LOG_EVERY_MS = 60_000;

export class DiskHealth {
  readonly #dir: string;
  readonly #log: Logger;
  readonly #timers: Timers;
  readonly #now: () => number;
  readonly #retryMs: number;
  readonly #retry: () => void;
  readonly #held: () => HeldCounts;
  #writable = true;
  #lastError: string | undefined;
  #lost = 0;
  #timer: unknown;
  #stopped = false;
  #lastLineAt: number | undefined;
  /** Set while unwritable: when it began, whether that was announced, lost events at its start. */
  #outage: { since: number; announced: boolean; lostBefore: number; cause: string } | undefined;

  constructor(o: { dir: string; log: Logger; timers: Timers; now: () => number; retryMs: number; retry: () => void; held: () => HeldCounts }) {
    this.#dir = o.dir;
    this.#log = o.log;
    this.#timers = o.timers;
    this.#now = o.now;
    this.#retryMs = o.retryMs;
    this.#retry = o.retry;
    this.#held = o.held;
  }

  get writable(): boolean {
    return this.#writable;
  }

  get lost(): number {
    return this.#lost;
  }

  snapshot(): SpoolHealth {
    const held = this.#held();
    return { writable: this.#writable, ...held, lostEvents: this.#lost, ...(this.#lastError !== undefined && { lastError: this.#lastError }) };
  }

  /** Remember `err` as the last disk error without changing state (a failure already dealt with). */
  noteError(err: unknown): void {
    this.#lastError = oneLine(err);
  }

  /** Count events that could not be kept. */
  lose(n: number): void {
    this.#lost += n;
  }

  /**
   * A write failed: hold events in memory from now on and retry the disk. Announced unless
   * `quiet` (the caller says it in its own line) or a line went out less than a minute ago.
   */
  failed(err: unknown, quiet = false): void {
    this.#lastError = oneLine(err);
    const cause = describeCause(err);
    if (!this.#writable) {
      this.#outage!.cause = cause;
      return;
    }
    this.#writable = false;
    const announce = !quiet && this.#mayLog();
    this.#outage = { since: this.#now(), announced: announce || quiet, lostBefore: this.#lost, cause };
    if (announce) {
      this.#line();
      this.#log.error({ err, dir: this.#dir, code: errnoCode(err), ...this.#held() }, `spool ${this.#dir}: cannot write (${cause}): holding events in memory`);
    }
    this.#schedule();
  }

  /** A retry failed: restate the outage if a minute has passed, and try again later. */
  retryFailed(err: unknown): void {
    this.#lastError = oneLine(err);
    if (this.#outage) this.#outage.cause = describeCause(err);
    if (this.#mayLog()) this.#restate();
    this.#schedule();
  }

  /** The held events are on disk and the disk takes writes again. */
  recovered(written: number): void {
    const outage = this.#outage;
    this.#writable = true;
    this.#outage = undefined;
    this.#cancel();
    if (!outage || !(outage.announced || this.#mayLog())) return;
    this.#line();
    const lost = this.#lost - outage.lostBefore;
    const fields = { dir: this.#dir, writtenEvents: written, lostEvents: lost, totalLostEvents: this.#lost, downForMs: Math.round(this.#now() - outage.since) };
    if (lost > 0) this.#log.warn(fields, `spool ${this.#dir}: writable again: wrote ${written} held events to disk; ${lost} events were lost while it was not`);
    else this.#log.info(fields, `spool ${this.#dir}: writable again: wrote ${written} held events to disk`);
  }

  /** The one line for a removed directory (bounded like the others; `lostEvents` keeps the count either way). */
  removed(o: { rescued: number; lost: number; error?: unknown }): void {
    if (!this.#mayLog()) return;
    this.#line();
    const what = `spool directory ${this.#dir} was removed while in use`;
    const kept = `${o.rescued} unsent events kept from the open segment, ${o.lost} lost with the removed segments`;
    if (o.error === undefined) {
      this.#log.error({ dir: this.#dir, rescuedEvents: o.rescued, lostEvents: o.lost }, `${what}: recreated it and its lock; ${kept}`);
    } else {
      if (this.#outage) this.#outage.announced = true;
      this.#log.error(
        { err: o.error, dir: this.#dir, rescuedEvents: o.rescued, lostEvents: o.lost, ...this.#held() },
        `${what} and cannot be recreated (${describeCause(o.error)}): holding events in memory; ${kept}`,
      );
    }
  }

  /** Closing: no more retries. */
  stop(): void {
    this.#stopped = true;
    this.#cancel();
  }

  #restate(): void {
    const outage = this.#outage;
    if (!outage) return;
    this.#line();
    const held = this.#held();
    const lost = this.#lost - outage.lostBefore;
    this.#log.warn(
      { dir: this.#dir, ...held, lostEvents: lost, totalLostEvents: this.#lost, downForMs: Math.round(this.#now() - outage.since), lastError: this.#lastError },
      `spool ${this.#dir}: still cannot write (${outage.cause}): ${held.memoryEvents} events held in memory, ${lost} lost`,
    );
    outage.announced = true;
  }

  #mayLog(): boolean {
    return this.#lastLineAt === undefined || this.#now() - this.#lastLineAt >= LOG_EVERY_MS;
  }

  #line(): void {
    this.#lastLineAt = this.#now();
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#cancel();
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = undefined;
      this.#retry();
    }, this.#retryMs);
  }

  #cancel(): void {
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
