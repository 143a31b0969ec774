/**
 * The probe's durable outbox. Every event a canary produces is appended here before anything
 * tries to send it, so a backend outage or a probe restart never loses one (the product's
 * promise). The reporter peeks the oldest events, ships them, and acks what the backend stored.
 *
 * On disk, in `dir`: JSON-line segments, `ack.json` and `spool.lock` (the pid of the one
 * process using the directory); see spool/segment-files.ts. The parts:
 *   spool/segment-files.ts   the files' I/O: segments, the ack file, recovery on open
 *   spool/disk-queue.ts      the on-disk queue: index, writes, peek, ack, the size bound
 *   spool/active-segment.ts  the segment being written: rotation, sealing, its read handle
 *   spool/memory-buffer.ts   events held in memory while the disk refuses writes
 *   spool/store.ts           disk first, memory when the disk refuses, and the way back
 *   spool/disk-health.ts     writable or not, the retry, lost events, the bounded log
 *
 * Appends that arrive while a write is in flight are written together (group commit: one
 * write and one fdatasync). A disk that stops taking writes (full, read-only, removed) does
 * not stop the probe: events are held in a bounded memory buffer after those on disk, peek
 * serves both in order, and the disk is retried until the held events can be written.
 */
import path from 'node:path';
import type { IngestEvent } from '../lib/contracts/ingest';
import type { Logger } from '../lib/log';
import { moduleLogger } from '../lib/log';
import { acquirePidLock } from '../lib/process/pid-lock';
import { defaultTimers, type SpoolHealth, type Timers } from './spool/disk-health';
import { DiskQueue } from './spool/disk-queue';
import { errnoCode, oneLine, SpoolError, SpoolLockedError } from './spool/errors';
import { mkdirp } from './spool/segment-files';
import { SpoolStore } from './spool/store';

export { SpoolError, SpoolLockedError, type SpoolErrorCode } from './spool/errors';
export type { SpoolHealth, Timers as SpoolTimers } from './spool/disk-health';

/** Where a peek ended. Opaque: pass it back to {@link Spool.ack} of the same open spool. */
export interface SpoolCursor {
  readonly spool: number;
  /** Where the peek ended on disk. */
  readonly segment: number;
  readonly offset: number;
  /** Ordinal of the first event after the cursor, on disk or in memory (in-memory, renumbered on open). */
  readonly index: number;
}

export interface SpoolOptions {
  /** Bound on the bytes kept on disk; beyond it the oldest segment is dropped. */
  maxBytes: number;
  /** Rotation size of a segment; defaults to maxBytes / 8, at most 4 MiB. */
  segmentBytes?: number;
  log: Logger;
  /**
   * Bounds on the events held in memory while the disk refuses writes: bytes of their JSON
   * lines (default 16 MiB) and their count (default 100 000, which bounds the per-event
   * overhead of small events). Past either, the oldest held events are dropped and counted in
   * `health().lostEvents`.
   */
  memoryMaxBytes?: number;
  memoryMaxEvents?: number;
  /** How often an unwritable disk is tried again. Default 5 s. */
  retryMs?: number;
  /**
   * How long an append waits for others to share its write and fdatasync. Default 100 ms:
   * a probe at 10,000 canaries appends ~80 events a second, and a commit each (open, write,
   * fdatasync, close) was a visible share of its CPU. 0 commits at once.
   */
  commitLingerMs?: number;
  /** Timer seam for the retry. */
  timers?: Timers;
  /** Monotonic clock in ms, for the log's once-a-minute bound. Default `performance.now`. */
  now?: () => number;
}

export const LOCK_FILE = 'spool.lock';
const MAX_SEGMENT_BYTES = 4 * 1024 * 1024;
const MEMORY_MAX_BYTES = 16 * 1024 * 1024;
const MEMORY_MAX_EVENTS = 100_000;
const RETRY_MS = 5_000;
const COMMIT_LINGER_MS = 100;

let nextSpoolId = 1;

interface PendingAppend {
  lines: string[];
  resolve: () => void;
}

export class Spool {
  readonly dir: string;
  readonly #id = nextSpoolId++;
  readonly #log: Logger;
  readonly #store: SpoolStore;
  readonly #listeners = new Set<() => void>();
  /** Appends waiting for the next commit: everything that arrives while one runs is written by the next. */
  #pending: PendingAppend[] = [];
  #commitScheduled = false;
  /** The wait before a commit, for more appends to share its write and fdatasync. */
  readonly #lingerMs: number;
  #linger: NodeJS.Timeout | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  #closing: Promise<void> | undefined;

  private constructor(init: { dir: string; log: Logger; disk: DiskQueue; release: () => void; options: SpoolOptions }) {
    const { options } = init;
    this.dir = init.dir;
    this.#log = init.log;
    this.#lingerMs = options.commitLingerMs ?? COMMIT_LINGER_MS;
    this.#store = new SpoolStore({
      dir: init.dir,
      lockFile: LOCK_FILE,
      log: init.log,
      disk: init.disk,
      release: init.release,
      memory: { maxBytes: options.memoryMaxBytes ?? MEMORY_MAX_BYTES, maxEvents: options.memoryMaxEvents ?? MEMORY_MAX_EVENTS },
      timers: options.timers ?? defaultTimers,
      now: options.now ?? (() => performance.now()),
      retryMs: options.retryMs ?? RETRY_MS,
      serialize: (op) => void this.#serial(op).catch(() => undefined),
    });
  }

  /**
   * Open (creating with mkdir -p) the spool in `dir` and take its lock.
   * @throws SpoolLockedError (`PROBE_ERR_SPOOL_LOCKED`) when a live process, or this one, holds it.
   * @throws SpoolError (`PROBE_ERR_SPOOL_UNUSABLE`) when the directory cannot be created, locked,
   *   written or read (read-only, EACCES, ENOTDIR, ENOSPC); its message is one line naming the
   *   directory and the cause.
   * @throws RangeError on a bad size option.
   */
  static async open(dir: string, options: SpoolOptions): Promise<Spool> {
    const { maxBytes, log } = options;
    positiveInt('maxBytes', maxBytes);
    const segmentBytes = positiveInt('segmentBytes', options.segmentBytes ?? Math.max(1, Math.min(MAX_SEGMENT_BYTES, Math.floor(maxBytes / 8))));
    for (const name of ['memoryMaxBytes', 'memoryMaxEvents', 'retryMs'] as const) if (options[name] !== undefined) positiveInt(name, options[name]);
    if (options.commitLingerMs !== undefined && !(Number.isInteger(options.commitLingerMs) && options.commitLingerMs >= 0)) {
      throw new RangeError(`commitLingerMs must be a non-negative integer, got ${options.commitLingerMs}`);
    }

    const abs = path.resolve(dir);
    const slog = moduleLogger(log, 'spool');
    let release: () => void;
    try {
      mkdirp(abs);
      // Two writers would interleave segments and acks: refuse the second one. Writing the
      // lock is also the first proof that the directory takes writes.
      release = acquirePidLock(abs, LOCK_FILE, (pid) => new SpoolLockedError(abs, pid));
    } catch (err) {
      throw unusable(abs, err);
    }
    try {
      const disk = await DiskQueue.open(abs, slog, { maxBytes, segmentBytes });
      const spool = new Spool({ dir: abs, log: slog, disk, release, options });
      slog.info({ dir: abs, depth: spool.depth() }, 'spool opened');
      return spool;
    } catch (err) {
      release();
      throw unusable(abs, err);
    }
  }

  /** Events appended and not yet acked, on disk and held in memory. */
  depth(): number {
    return this.#store.depth();
  }

  /** Events discarded unsent because the spool hit `maxBytes`, since open. */
  droppedEvents(): number {
    return this.#store.evicted();
  }

  /** Bytes of segment files on disk (acked lines of the oldest segment included). */
  sizeBytes(): number {
    return this.#store.sizeBytes();
  }

  /** Whether the disk takes writes, what is held in memory, and what was lost because it did not. */
  health(): SpoolHealth {
    return this.#store.health();
  }

  /** Call `listener` after each commit (its events durable, or held in memory); returns the unsubscribe function. */
  onAppend(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Append events, in order after every earlier append. The promise resolves once they are on
   * disk (fdatasync'd), or held in memory while the disk refuses writes (see `health()`).
   * Appends made while a write is in flight are written together by the next one (group commit).
   * @throws TypeError (synchronously) when an event is not a JSON-serializable object.
   * @throws SpoolError `PROBE_ERR_SPOOL_CLOSED` after close(); never for an I/O error.
   */
  append(events: readonly IngestEvent[]): Promise<void> {
    if (!Array.isArray(events)) throw new TypeError('append expects an array of events');
    if (events.length === 0) return Promise.resolve();
    const lines = events.map((e, i) => {
      if (typeof e !== 'object' || e === null) throw new TypeError(`events[${i}] is not an object`);
      return JSON.stringify(e) + '\n';
    });
    if (this.#closing) return Promise.reject(closedError(this.dir));
    return new Promise<void>((resolve) => {
      this.#pending.push({ lines, resolve });
      if (this.#commitScheduled) return;
      this.#commitScheduled = true;
      if (this.#lingerMs > 0) this.#linger = setTimeout(this.#startCommit, this.#lingerMs);
      else this.#startCommit();
    });
  }

  readonly #startCommit = (): void => {
    this.#linger = null;
    void this.#serial(() => this.#commit()).catch(() => undefined);
  };

  /**
   * The oldest pending events, without removing them: those on disk, then those held in
   * memory. Stops at `max` events, or before the event that would take the lines past
   * `maxBytes` (but always returns at least one event). Lines that are not events
   * (corruption) are skipped and covered by the cursor.
   * @throws SpoolError `PROBE_ERR_SPOOL_IO` when a segment cannot be read.
   */
  peek(max: number, options: { maxBytes?: number } = {}): Promise<{ events: IngestEvent[]; cursor: SpoolCursor }> {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`max must be a positive integer, got ${max}`);
    const maxBytes = options.maxBytes ?? Infinity;
    return this.#serial(async () => {
      try {
        const { events, pos, index } = await this.#store.peek(max, maxBytes);
        return { events, cursor: { spool: this.#id, segment: pos.segment, offset: pos.offset, index } };
      } catch (err) {
        throw new SpoolError('PROBE_ERR_SPOOL_IO', `could not read the spool in ${this.dir}: ${oneLine(err)}`, { cause: err });
      }
    });
  }

  /**
   * Mark everything up to `cursor` delivered, and delete fully delivered segments. Recorded
   * durably when the disk takes writes, otherwise in memory until it does again (a restart
   * before that sends some delivered events again, which the backend dedupes).
   * A cursor at or behind the current position is a no-op (a repeated or stale ack).
   * @throws RangeError when the cursor comes from another spool instance.
   */
  ack(cursor: SpoolCursor): Promise<void> {
    if (cursor?.spool !== this.#id) throw new RangeError('cursor does not belong to this open spool: peek again after reopening');
    return this.#serial(() => this.#store.ack({ segment: cursor.segment, offset: cursor.offset }, cursor.index));
  }

  /**
   * Wait for pending operations, try a last time to write what is held in memory (what cannot
   * be is counted lost and logged), close files and release the lock. Idempotent.
   */
  close(): Promise<void> {
    // Appends lingering for company are committed now, not dropped.
    if (this.#linger !== null && !this.#closing) {
      clearTimeout(this.#linger);
      this.#startCommit();
    }
    this.#closing ??= (async () => {
      await this.#queue;
      await this.#store.close();
      this.#listeners.clear();
      this.#log.info({ dir: this.dir, depth: this.depth() }, 'spool closed');
    })();
    return this.#closing;
  }

  #serial<T>(op: () => Promise<T>): Promise<T> {
    if (this.#closing) return Promise.reject(closedError(this.dir));
    const run = this.#queue.then(op);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Write every pending append as one group, in order; each resolves when its events are kept. */
  async #commit(): Promise<void> {
    this.#commitScheduled = false;
    const batch = this.#pending;
    this.#pending = [];
    try {
      await this.#store.commit(batch.flatMap((a) => a.lines));
    } catch (err) {
      // Not the disk (the store answers its errors): a bug. Say it; the appends must not hang.
      this.#log.error({ err, appends: batch.length }, 'spool commit failed unexpectedly');
    }
    for (const { resolve } of batch) resolve();
    for (const listener of this.#listeners) {
      try {
        listener();
      } catch (err) {
        this.#log.error({ err }, 'spool append listener threw');
      }
    }
  }
}

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

function closedError(dir: string): SpoolError {
  return new SpoolError('PROBE_ERR_SPOOL_CLOSED', `spool ${dir} is closed`);
}

/** An I/O error at open, as one line naming the directory; anything else (a bug, the lock) as it is. */
function unusable(dir: string, err: unknown): unknown {
  if (err instanceof SpoolError || errnoCode(err) === undefined) return err;
  return new SpoolError('PROBE_ERR_SPOOL_UNUSABLE', `spool directory ${dir} is not usable: ${oneLine(err)}`, { cause: err });
}
