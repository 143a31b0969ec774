/**
 * The probe's durable outbox. Every event a canary produces is appended here before anything
 * tries to send it, so a backend outage or a probe restart never loses one (the product's
 * promise). The reporter peeks the oldest events, ships them, and acks what the backend stored.
 *
 * On disk, in `dir`:
 *   segment-000000000001.jsonl   append-only JSON lines, rotated at `segmentBytes`
 *   ack.json                     `{ segment, offset }`: everything before it is delivered
 *   spool.lock                   the pid of the one process using the directory
 * Fully acked segments are deleted. A crash can leave a torn last line (a write cut short);
 * it is cut off on open, so earlier events survive and the next append starts on a clean line.
 * The ack file is replaced by write + fsync + rename + fsync(dir), so it is always either the
 * old or the new position: at worst a batch is sent twice, which the backend dedupes by id.
 */
import { mkdirSync } from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { acquirePidLock } from '../lib/process/pid-lock';
import { z } from 'zod';
import type { IngestEvent } from '../lib/contracts/ingest';
import type { Logger } from '../lib/log';
import { moduleLogger } from '../lib/log';

export type SpoolErrorCode = 'PROBE_ERR_SPOOL_LOCKED' | 'PROBE_ERR_SPOOL_CLOSED' | 'PROBE_ERR_SPOOL_IO';

export class SpoolError extends Error {
  constructor(
    readonly code: SpoolErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SpoolError';
  }
}

export class SpoolLockedError extends SpoolError {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super('PROBE_ERR_SPOOL_LOCKED', `spool directory ${dir} is in use by process ${pid}; run one probe per spool directory`);
    this.name = 'SpoolLockedError';
  }
}

/** Where a peek ended. Opaque: pass it back to {@link Spool.ack} of the same open spool. */
export interface SpoolCursor {
  readonly spool: number;
  readonly segment: number;
  readonly offset: number;
  /** Ordinal of the first event after the cursor (in-memory, renumbered on open). */
  readonly index: number;
}

export interface SpoolOptions {
  /** Bound on the bytes kept on disk; beyond it the oldest segment is dropped. */
  maxBytes: number;
  /** Rotation size of a segment; defaults to maxBytes / 8, at most 4 MiB. */
  segmentBytes?: number;
  log: Logger;
}

export const LOCK_FILE = 'spool.lock';
const ACK_FILE = 'ack.json';
const SEGMENT_RE = /^segment-(\d{12})\.jsonl$/;
const MAX_SEGMENT_BYTES = 4 * 1024 * 1024;
const READ_CHUNK = 64 * 1024;
const NEWLINE = 0x0a;

const segmentName = (seq: number) => `segment-${String(seq).padStart(12, '0')}.jsonl`;

// The spool does not apply the full ingest schema: an event the backend refuses is the
// reporter's to dead-letter with the backend's reason, not ours to drop silently here.
const storedEventSchema = z.looseObject({ id: z.string().min(1), type: z.string().min(1) });
const ackSchema = z.strictObject({ segment: z.number().int().nonnegative(), offset: z.number().int().nonnegative() });
type Position = z.infer<typeof ackSchema>;

interface Segment {
  seq: number;
  file: string;
  /** Bytes of complete lines; appends in progress are not visible to peek until done. */
  size: number;
  /** Ordinal of the first valid event in this segment. */
  first: number;
  /** Valid events in this segment. */
  count: number;
}

let nextSpoolId = 1;

export class Spool {
  readonly dir: string;
  readonly #id = nextSpoolId++;
  readonly #log: Logger;
  readonly #maxBytes: number;
  readonly #segmentBytes: number;
  readonly #segments: Segment[];
  readonly #release: () => void;
  readonly #listeners = new Set<() => void>();
  #ack: Position;
  #ackIndex: number;
  #nextIndex: number;
  #dropped = 0;
  #handle: FileHandle | undefined;
  /** After a failed write the segment may hold a partial line: never append to it again. */
  #sealed = false;
  #queue: Promise<unknown> = Promise.resolve();
  #closing: Promise<void> | undefined;

  private constructor(init: { dir: string; log: Logger; maxBytes: number; segmentBytes: number; segments: Segment[]; ack: Position; ackIndex: number; release: () => void }) {
    this.dir = init.dir;
    this.#log = init.log;
    this.#maxBytes = init.maxBytes;
    this.#segmentBytes = init.segmentBytes;
    this.#segments = init.segments;
    this.#ack = init.ack;
    this.#ackIndex = init.ackIndex;
    const last = init.segments.at(-1);
    this.#nextIndex = last ? last.first + last.count : 0;
    this.#release = init.release;
  }

  /**
   * Open (creating with mkdir -p) the spool in `dir` and take its lock.
   * @throws SpoolLockedError (`PROBE_ERR_SPOOL_LOCKED`) when a live process, or this one, holds it.
   * @throws RangeError on a bad size option.
   */
  static async open(dir: string, options: SpoolOptions): Promise<Spool> {
    const { maxBytes, log } = options;
    if (!Number.isInteger(maxBytes) || maxBytes < 1) throw new RangeError(`maxBytes must be a positive integer, got ${maxBytes}`);
    const segmentBytes = options.segmentBytes ?? Math.max(1, Math.min(MAX_SEGMENT_BYTES, Math.floor(maxBytes / 8)));
    if (!Number.isInteger(segmentBytes) || segmentBytes < 1) throw new RangeError(`segmentBytes must be a positive integer, got ${segmentBytes}`);

    const abs = path.resolve(dir);
    mkdirSync(abs, { recursive: true });
    // Two writers would interleave segments and acks: refuse the second one.
    const release = acquirePidLock(abs, LOCK_FILE, (pid) => new SpoolLockedError(abs, pid));
    const slog = moduleLogger(log, 'spool');
    try {
      const { segments, ack, ackIndex } = await recover(abs, slog);
      const spool = new Spool({ dir: abs, log: slog, maxBytes, segmentBytes, segments, ack, ackIndex, release });
      slog.info({ dir: abs, depth: spool.depth(), segments: segments.length }, 'spool opened');
      return spool;
    } catch (err) {
      release();
      throw err;
    }
  }

  /** Events appended and not yet acked. */
  depth(): number {
    return this.#nextIndex - this.#ackIndex;
  }

  /** Events discarded unsent because the spool hit `maxBytes`, since open. */
  droppedEvents(): number {
    return this.#dropped;
  }

  /** Bytes of segment files on disk (acked lines of the oldest segment included). */
  sizeBytes(): number {
    return this.#segments.reduce((n, s) => n + s.size, 0);
  }

  /** Call `listener` after each durable append; returns the unsubscribe function. */
  onAppend(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Append events; the promise resolves once they are on disk (fdatasync'd). Concurrent calls
   * are written one after another, each as whole lines.
   * @throws TypeError (synchronously) when an event is not a JSON-serializable object.
   * @throws SpoolError `PROBE_ERR_SPOOL_IO` when the write fails (nothing of it is kept), `PROBE_ERR_SPOOL_CLOSED`.
   */
  append(events: readonly IngestEvent[]): Promise<void> {
    if (!Array.isArray(events)) throw new TypeError('append expects an array of events');
    if (events.length === 0) return Promise.resolve();
    const lines = events.map((e, i) => {
      if (typeof e !== 'object' || e === null) throw new TypeError(`events[${i}] is not an object`);
      return JSON.stringify(e) + '\n';
    });
    const data = Buffer.from(lines.join(''), 'utf8');
    return this.#serial(async () => {
      await this.#write(data, events.length);
      await this.#enforceLimit();
      for (const listener of this.#listeners) {
        try {
          listener();
        } catch (err) {
          this.#log.error({ err }, 'spool append listener threw');
        }
      }
    });
  }

  /**
   * The oldest pending events, without removing them. Stops at `max` events, or before the
   * event that would take the lines past `maxBytes` (but always returns at least one event).
   * Lines that are not events (corruption) are skipped and covered by the cursor.
   */
  peek(max: number, options: { maxBytes?: number } = {}): Promise<{ events: IngestEvent[]; cursor: SpoolCursor }> {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`max must be a positive integer, got ${max}`);
    const maxBytes = options.maxBytes ?? Infinity;
    return this.#serial(async () => {
      const events: IngestEvent[] = [];
      let bytes = 0;
      let pos: Position = { ...this.#ack };
      let full = false;
      for (const seg of this.#segments) {
        if (full) break;
        if (seg.seq < this.#ack.segment) continue;
        const start = seg.seq === this.#ack.segment ? this.#ack.offset : 0;
        if (start >= seg.size) continue;
        await readLines(seg.file, start, seg.size, (line, end) => {
          const event = parseLine(line);
          if (event) {
            if (events.length >= max || (events.length > 0 && bytes + line.length > maxBytes)) {
              full = true;
              return false;
            }
            events.push(event);
            bytes += line.length;
          }
          pos = { segment: seg.seq, offset: end };
          return true;
        });
      }
      return { events, cursor: { spool: this.#id, ...pos, index: this.#ackIndex + events.length } };
    });
  }

  /**
   * Mark everything up to `cursor` delivered, durably, and delete fully delivered segments.
   * A cursor at or behind the current position is a no-op (a repeated or stale ack).
   * @throws RangeError when the cursor comes from another spool instance.
   */
  ack(cursor: SpoolCursor): Promise<void> {
    if (cursor?.spool !== this.#id) throw new RangeError('cursor does not belong to this open spool: peek again after reopening');
    return this.#serial(async () => {
      if (comparePosition(cursor, this.#ack) <= 0) return;
      try {
        await writeAck(this.dir, { segment: cursor.segment, offset: cursor.offset });
      } catch (err) {
        throw new SpoolError('PROBE_ERR_SPOOL_IO', `could not record the ack in ${this.dir}: ${(err as Error).message}`, { cause: err });
      }
      this.#ack = { segment: cursor.segment, offset: cursor.offset };
      this.#ackIndex = Math.max(this.#ackIndex, cursor.index);
      const active = this.#segments.at(-1);
      while (this.#segments.length > 0) {
        const seg = this.#segments[0]!;
        const done = seg.seq < cursor.segment || (seg.seq === cursor.segment && cursor.offset >= seg.size && seg !== active);
        if (!done) break;
        this.#segments.shift();
        // A leftover file is harmless: its seq is below the ack, so the next open deletes it.
        await fs.unlink(seg.file).catch((err: unknown) => this.#log.warn({ err, file: seg.file }, 'could not delete an acked segment'));
      }
    });
  }

  /** Wait for pending operations, close files and release the lock. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#queue;
      await this.#handle?.close().catch((err: unknown) => this.#log.warn({ err }, 'closing the active segment failed'));
      this.#handle = undefined;
      this.#listeners.clear();
      this.#release();
      this.#log.info({ dir: this.dir, depth: this.depth() }, 'spool closed');
    })();
    return this.#closing;
  }

  #serial<T>(op: () => Promise<T>): Promise<T> {
    if (this.#closing) return Promise.reject(new SpoolError('PROBE_ERR_SPOOL_CLOSED', `spool ${this.dir} is closed`));
    const run = this.#queue.then(op);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #write(data: Buffer, count: number): Promise<void> {
    let seg = this.#segments.at(-1);
    if (!seg || this.#sealed || (seg.size > 0 && seg.size + data.length > this.#segmentBytes)) seg = await this.#rotate();
    try {
      this.#handle ??= await fs.open(seg.file, 'a');
      await writeAll(this.#handle, data);
      await this.#handle.datasync();
    } catch (err) {
      // Leave no partial line for the next append to be glued onto; if even that fails,
      // seal the segment (the tail is cut off as a torn line on the next open).
      this.#sealed = true;
      await this.#handle?.truncate(seg.size).catch(() => undefined);
      throw new SpoolError('PROBE_ERR_SPOOL_IO', `could not append ${count} events to ${seg.file}: ${(err as Error).message}`, { cause: err });
    }
    seg.size += data.length;
    seg.count += count;
    this.#nextIndex += count;
  }

  async #rotate(): Promise<Segment> {
    if (this.#handle) {
      const old = this.#handle;
      this.#handle = undefined;
      await old.close().catch((err: unknown) => this.#log.warn({ err }, 'closing a rotated segment failed'));
    }
    // Above the acked segment too: a new segment numbered at or below it would count as delivered.
    const seq = Math.max(this.#segments.at(-1)?.seq ?? 0, this.#ack.segment) + 1;
    const file = path.join(this.dir, segmentName(seq));
    try {
      this.#handle = await fs.open(file, 'ax');
      await syncDir(this.dir);
    } catch (err) {
      throw new SpoolError('PROBE_ERR_SPOOL_IO', `could not create segment ${file}: ${(err as Error).message}`, { cause: err });
    }
    this.#sealed = false;
    const seg: Segment = { seq, file, size: 0, first: this.#nextIndex, count: 0 };
    this.#segments.push(seg);
    return seg;
  }

  /** A full disk on an edge host takes the probe (and more) down: lose the oldest events instead, loudly. */
  async #enforceLimit(): Promise<void> {
    while (this.#segments.length > 1 && this.sizeBytes() > this.#maxBytes) {
      const seg = this.#segments.shift()!;
      const end = seg.first + seg.count;
      const lost = Math.max(0, end - Math.max(this.#ackIndex, seg.first));
      this.#dropped += lost;
      if (this.#ackIndex < end) {
        // Not persisted: on the next open an ack file naming a missing segment means "start at the first one".
        const next = this.#segments[0]!;
        this.#ack = { segment: next.seq, offset: 0 };
        this.#ackIndex = next.first;
      }
      await fs.unlink(seg.file).catch((err: unknown) => this.#log.warn({ err, file: seg.file }, 'could not delete a dropped segment'));
      // A delivered segment kept only because it was active when acked: nothing is lost.
      if (lost === 0) continue;
      this.#log.error(
        { droppedEvents: lost, totalDroppedEvents: this.#dropped, segment: seg.seq, maxBytes: this.#maxBytes },
        `spool exceeded ${this.#maxBytes} bytes: dropped the oldest segment and ${lost} unsent events`,
      );
    }
  }
}

/** Rebuild the in-memory index from the directory: drop acked segments, cut torn tails, count events. */
async function recover(dir: string, log: Logger): Promise<{ segments: Segment[]; ack: Position; ackIndex: number }> {
  await fs.rm(path.join(dir, `${ACK_FILE}.tmp`), { force: true });
  const ack = await readAck(dir, log);
  const seqs = (await fs.readdir(dir))
    .map((name) => SEGMENT_RE.exec(name)?.[1])
    .filter((s): s is string => s !== undefined)
    .map(Number)
    .sort((a, b) => a - b);

  const segments: Segment[] = [];
  let index = 0;
  let ackIndex = 0;
  for (const seq of seqs) {
    const file = path.join(dir, segmentName(seq));
    if (seq < ack.segment) {
      // Delivered, but the process died before deleting it.
      await fs.unlink(file);
      continue;
    }
    let data: Buffer = await fs.readFile(file);
    if (data.length > 0 && data[data.length - 1] !== NEWLINE) data = await repairTail(file, data, log);
    const lines = scanLines(data);
    const count = lines.filter((l) => l.valid).length;
    const corrupt = lines.length - count;
    if (corrupt > 0) log.error({ file, lines: corrupt }, 'skipping spool lines that are not events (disk corruption?)');
    if (seq === ack.segment) {
      // An offset inside a line (or past a cut tail) is rounded down: replaying a line is safe.
      let offset = 0;
      let before = 0;
      for (const line of lines) {
        if (line.end > ack.offset) break;
        offset = line.end;
        if (line.valid) before++;
      }
      ack.offset = offset;
      ackIndex = index + before;
    }
    segments.push({ seq, file, size: data.length, first: index, count });
    index += count;
  }
  return { segments, ack, ackIndex };
}

/** A last line without its newline is a write cut short by a crash. Returns the repaired content. */
async function repairTail(file: string, data: Buffer, log: Logger): Promise<Buffer> {
  const lastStart = data.lastIndexOf(NEWLINE) + 1;
  const tail = data.subarray(lastStart);
  const fh = await fs.open(file, 'r+');
  try {
    if (parseLine(tail)) {
      // Only the newline is missing: keep the event.
      await fh.write('\n', data.length);
      await fh.datasync();
      log.warn({ file }, 'completed a last spool line that lacked its newline');
      return Buffer.concat([data, Buffer.from('\n')]);
    }
    await fh.truncate(lastStart);
    await fh.datasync();
    log.warn({ file, bytes: tail.length }, 'skipped a torn last line in the spool (a write cut short by a crash)');
    return data.subarray(0, lastStart);
  } finally {
    await fh.close();
  }
}

async function readAck(dir: string, log: Logger): Promise<Position> {
  let text: string;
  try {
    text = await fs.readFile(path.join(dir, ACK_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { segment: 0, offset: 0 };
    throw err;
  }
  try {
    return ackSchema.parse(JSON.parse(text));
  } catch (err) {
    // Replaying from the start is safe (the backend dedupes); refusing to start is not.
    log.error({ err, file: path.join(dir, ACK_FILE) }, 'unreadable spool ack file: resending every spooled event');
    return { segment: 0, offset: 0 };
  }
}

async function writeAck(dir: string, pos: Position): Promise<void> {
  const tmp = path.join(dir, `${ACK_FILE}.tmp`);
  const fh = await fs.open(tmp, 'w');
  try {
    await fh.writeFile(JSON.stringify(pos));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.rename(tmp, path.join(dir, ACK_FILE));
  await syncDir(dir);
}

/** Make a created, renamed or deleted directory entry durable. */
async function syncDir(dir: string): Promise<void> {
  // Windows cannot open a directory for fsync; probes run on Linux, this keeps dev machines working.
  if (process.platform === 'win32') return;
  const fh = await fs.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function writeAll(fh: FileHandle, data: Buffer): Promise<void> {
  let off = 0;
  while (off < data.length) {
    const { bytesWritten } = await fh.write(data, off, data.length - off, null);
    off += bytesWritten;
  }
}

/** Call `onLine(line, endOffset)` for each complete line of file[start, end) until it returns false. */
async function readLines(file: string, start: number, end: number, onLine: (line: Buffer, end: number) => boolean): Promise<void> {
  const fh = await fs.open(file, 'r');
  try {
    let carry = Buffer.alloc(0);
    let pos = start;
    while (pos < end) {
      const chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK, end - pos));
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, pos);
      if (bytesRead === 0) return;
      pos += bytesRead;
      const buf = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
      const bufStart = pos - buf.length;
      let lineStart = 0;
      for (let nl = buf.indexOf(NEWLINE); nl !== -1; nl = buf.indexOf(NEWLINE, lineStart)) {
        if (!onLine(buf.subarray(lineStart, nl + 1), bufStart + nl + 1)) return;
        lineStart = nl + 1;
      }
      carry = Buffer.from(buf.subarray(lineStart));
    }
  } finally {
    await fh.close();
  }
}

function scanLines(data: Buffer): { end: number; valid: boolean }[] {
  const lines: { end: number; valid: boolean }[] = [];
  for (let start = 0; start < data.length; ) {
    const end = data.indexOf(NEWLINE, start) + 1 || data.length;
    lines.push({ end, valid: parseLine(data.subarray(start, end)) !== null });
    start = end;
  }
  return lines;
}

function parseLine(line: Buffer): IngestEvent | null {
  try {
    const value: unknown = JSON.parse(line.toString('utf8'));
    return storedEventSchema.safeParse(value).success ? (value as IngestEvent) : null;
  } catch {
    return null;
  }
}

function comparePosition(a: Position, b: Position): number {
  return a.segment - b.segment || a.offset - b.offset;
}
