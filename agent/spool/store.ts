/**
 * Disk first, memory when the disk refuses: one order across the on-disk queue and the
 * memory buffer, and the way back to disk. Every event gets an ordinal when it is committed;
 * the held ones always come after those on disk, so peek reads disk then memory and an ack
 * can cover both.
 *
 * Failure semantics, stated where they happen: once open, nothing here throws for a write
 * error. A failed write, create or ack record (ENOSPC, EROFS, EACCES, EIO, EDQUOT ...) makes
 * the store unwritable: the events of that write and every later one are held in memory,
 * and the disk is retried on a timer; the first success writes them to a fresh segment, in
 * order. ENOENT (or ENOTDIR) means the directory or the active segment was removed: what
 * the open segment still holds is kept, what went with the other files is counted lost, and
 * the directory and its lock are recreated at once.
 *
 * Not concurrent: the Spool calls one method at a time (its queue).
 */
import type { IngestEvent } from '../../lib/contracts/ingest';
import type { Logger } from '../../lib/log';
import { acquirePidLock, lockHolder } from '../../lib/process/pid-lock';
import { DiskHealth, type SpoolHealth, type Timers } from './disk-health';
import type { DiskQueue } from './disk-queue';
import { describeCause, isRemoval, SpoolLockedError } from './errors';
import { MemoryBuffer, type HeldEvent, type MemoryBounds } from './memory-buffer';
import { mkdirp, type Position } from './segment-files';

export interface StoreOptions {
  dir: string;
  lockFile: string;
  log: Logger;
  disk: DiskQueue;
  /** Releases the directory's lock as taken at open. */
  release: () => void;
  memory: MemoryBounds;
  timers: Timers;
  now: () => number;
  retryMs: number;
  /** Run `op` in the owner's queue (the retry must not overlap other operations). */
  serialize: (op: () => Promise<void>) => void;
}

export class SpoolStore {
  readonly #dir: string;
  readonly #lockFile: string;
  readonly #log: Logger;
  readonly #disk: DiskQueue;
  readonly #memory: MemoryBuffer;
  readonly #health: DiskHealth;
  #release: () => void;
  #nextIndex: number;

  constructor(o: StoreOptions) {
    this.#dir = o.dir;
    this.#lockFile = o.lockFile;
    this.#log = o.log;
    this.#disk = o.disk;
    this.#release = o.release;
    this.#nextIndex = o.disk.end();
    this.#memory = new MemoryBuffer(o.memory);
    this.#health = new DiskHealth({
      dir: o.dir,
      log: o.log,
      timers: o.timers,
      now: o.now,
      retryMs: o.retryMs,
      retry: () => o.serialize(() => this.#retry()),
      held: () => ({ memoryEvents: this.#memory.length, memoryBytes: this.#memory.bytes }),
    });
  }

  depth(): number {
    return this.#disk.pending() + this.#memory.length;
  }

  evicted(): number {
    return this.#disk.evicted();
  }

  sizeBytes(): number {
    return this.#disk.sizeBytes();
  }

  health(): SpoolHealth {
    return this.#health.snapshot();
  }

  /** Keep `lines` (one event each), in order after everything before: on disk, or held in memory. */
  async commit(lines: readonly string[]): Promise<void> {
    const entries: HeldEvent[] = lines.map((line) => ({ ordinal: this.#nextIndex++, line, bytes: Buffer.byteLength(line) }));
    if (!this.#health.writable) return this.#hold(entries);
    const { written, error } = await this.#disk.write(entries);
    if (written > 0) await this.#disk.enforceLimit();
    if (error !== undefined) await this.#onDiskError(error, entries.slice(written));
  }

  /**
   * The oldest pending events, disk then memory (see Spool.peek). A segment found removed is
   * accounted for (as on a write) and the peek done again on what is left.
   * @throws the read error, other than a removal.
   */
  async peek(max: number, maxBytes: number): Promise<{ events: IngestEvent[]; pos: Position; index: number }> {
    try {
      return await this.#peek(max, maxBytes);
    } catch (err) {
      if (!isRemoval(err)) throw err;
      await this.#onDiskError(err, []);
    }
    return this.#peek(max, maxBytes);
  }

  /** Mark what a peek ending at (`pos`, `index`) returned as delivered. */
  async ack(pos: Position, index: number): Promise<void> {
    const onDisk = this.#disk.resolveAck(pos, index);
    this.#memory.ackBefore(index);
    try {
      // While unwritable the ack is kept in memory, recorded by the recovery.
      await this.#disk.ack(onDisk.pos, onDisk.index, this.#health.writable);
    } catch (err) {
      await this.#onDiskError(err, []);
    }
  }

  /** Stop retrying, try a last time to write what is held (what cannot be is lost, and said), close files, release the lock. */
  async close(): Promise<void> {
    this.#health.stop();
    if (!this.#health.writable) {
      const held = this.#memory.length;
      const error = await this.#recoverDisk();
      if (error === undefined) this.#health.recovered(held);
      else if (held > 0) {
        this.#memory.shift(held);
        this.#health.lose(held);
        this.#log.error(
          { err: error, dir: this.#dir, lostEvents: held, totalLostEvents: this.#health.lost },
          `spool ${this.#dir}: closing while it cannot write (${describeCause(error)}): ${held} events held in memory are lost`,
        );
      }
    }
    await this.#disk.close();
    this.#release();
  }

  async #peek(max: number, maxBytes: number): Promise<{ events: IngestEvent[]; pos: Position; index: number }> {
    const disk = await this.#disk.peek(max, maxBytes);
    const { events } = disk;
    let index = disk.index;
    if (!disk.full) {
      for (const held of this.#memory.peek(max - events.length, maxBytes - disk.bytes, events.length === 0)) {
        events.push(JSON.parse(held.line) as IngestEvent);
        index = held.ordinal + 1;
      }
    }
    return { events, pos: disk.pos, index };
  }

  /** A write, create or ack record failed: hold `toHold` (and every later event) in memory and retry later. */
  async #onDiskError(err: unknown, toHold: readonly HeldEvent[]): Promise<void> {
    this.#disk.seal();
    if (!isRemoval(err)) {
      this.#hold(toHold);
      this.#health.failed(err);
      return;
    }
    // Removed: the open segment's handle still reads its events; they go before the held ones.
    const { rescued, lost } = await this.#disk.salvage();
    this.#health.lose(lost);
    this.#hold(rescued, true);
    this.#hold(toHold);
    const wasWritable = this.#health.writable;
    const held = this.#memory.length;
    const error = await this.#recoverDisk();
    if (error === undefined) {
      this.#health.noteError(err);
      this.#health.removed({ rescued: rescued.length, lost });
      if (!wasWritable) this.#health.recovered(held);
    } else {
      this.#health.failed(error, true);
      this.#health.removed({ rescued: rescued.length, lost, error });
    }
  }

  async #retry(): Promise<void> {
    if (this.#health.writable) return;
    const held = this.#memory.length;
    const error = await this.#recoverDisk();
    if (error === undefined) this.#health.recovered(held);
    else this.#health.retryFailed(error);
  }

  /**
   * Make the disk ours again and write what memory holds: mkdir -p and the lock (after a
   * removal), the held events to a fresh segment, then the ack file, which also proves the
   * disk takes writes when nothing was held. Returns the error that stopped it, if any;
   * events written before it stay on disk.
   */
  async #recoverDisk(): Promise<unknown> {
    try {
      mkdirp(this.#dir);
      if (lockHolder(this.#dir, this.#lockFile) !== process.pid) {
        this.#release();
        this.#release = acquirePidLock(this.#dir, this.#lockFile, (pid) => new SpoolLockedError(this.#dir, pid));
      }
    } catch (err) {
      return err;
    }
    const { written, error } = await this.#disk.write(this.#memory.all());
    this.#memory.shift(written);
    if (written > 0) await this.#disk.enforceLimit();
    if (error !== undefined) return error;
    try {
      await this.#disk.persistAck(true);
    } catch (err) {
      return err;
    }
    await this.#disk.retryUnlinks();
    return undefined;
  }

  #hold(entries: readonly HeldEvent[], front = false): void {
    const dropped = front ? this.#memory.unshift(entries) : this.#memory.push(entries);
    if (dropped > 0) this.#health.lose(dropped);
  }
}
