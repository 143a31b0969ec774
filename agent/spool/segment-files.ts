/**
 * The spool's files, and nothing but their I/O: segments of JSON lines, the ack file, the
 * directory entry syncs, and rebuilding the index of a directory left by a previous process.
 *
 *   segment-000000000001.jsonl   append-only JSON lines, rotated at a size (active-segment.ts)
 *   ack.json                     `{ segment, offset }`: everything before it is delivered
 *
 * A crash can leave a torn last line (a write cut short); it is cut off on open, so earlier
 * events survive and the next append starts on a clean line. The ack file is replaced by
 * write + fsync + rename + fsync(dir), so it is always either the old or the new position: at
 * worst a batch is sent twice, which the backend dedupes by id.
 */
import { constants, existsSync, mkdirSync } from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { IngestEvent } from '../../lib/contracts/ingest';
import type { Logger } from '../../lib/log';
import { isRemoval } from './errors';
import type { HeldEvent } from './memory-buffer';

export const ACK_FILE = 'ack.json';
const SEGMENT_RE = /^segment-(\d{12})\.jsonl$/;
const READ_CHUNK = 64 * 1024;
const NEWLINE = 0x0a;

export const segmentName = (seq: number) => `segment-${String(seq).padStart(12, '0')}.jsonl`;

// The spool does not apply the full ingest schema: an event the backend refuses is the
// reporter's to dead-letter with the backend's reason, not ours to drop silently here.
const storedEventSchema = z.looseObject({ id: z.string().min(1), type: z.string().min(1) });
const ackSchema = z.strictObject({ segment: z.number().int().nonnegative(), offset: z.number().int().nonnegative() });
export type Position = z.infer<typeof ackSchema>;

export interface Segment {
  seq: number;
  file: string;
  /** Bytes of complete lines; appends in progress are not visible to peek until done. */
  size: number;
  /** Ordinal of the first valid event in this segment (in-memory, renumbered on open). */
  first: number;
  /** Valid events in this segment; their ordinals are `first` .. `first + count - 1`. */
  count: number;
}

/** Rebuild the index from the directory: drop acked segments, cut torn tails, count events. */
export async function recover(dir: string, log: Logger): Promise<{ segments: Segment[]; ack: Position; ackIndex: number }> {
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

export async function writeAck(dir: string, pos: Position): Promise<void> {
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
export async function syncDir(dir: string): Promise<void> {
  // Windows cannot open a directory for fsync; probes run on Linux, this keeps dev machines working.
  if (process.platform === 'win32') return;
  const fh = await fs.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * mkdir -p that names the real cause. Node's recursive mkdir answers a failed mkdir with what
 * a stat of the path says afterwards (ENOENT), not why mkdir failed (EROFS, EACCES, ENOSPC):
 * the first missing directory is then made alone, to get that error.
 */
export function mkdirp(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    let missing = dir;
    for (let up = path.dirname(missing); up !== missing && !existsSync(up); up = path.dirname(up)) missing = up;
    mkdirSync(missing);
    throw err;
  }
}

/** Create an empty segment file; fails with EEXIST rather than reuse one. */
export async function createSegment(file: string): Promise<void> {
  await (await fs.open(file, 'wx')).close();
}

/**
 * Append `data` to an existing segment of `sizeBefore` bytes and fdatasync it.
 *
 * The file is opened for each write and closed after, not held open: a held writer makes the
 * kernel refuse `mount -o remount,ro` (EBUSY), and opening by name without O_CREAT turns a
 * removed segment or directory into an ENOENT at the next write instead of writes that land in
 * an unlinked file. One open per group commit costs little next to its fdatasync.
 * On failure the partial line is cut off (best effort; the caller never appends to this
 * segment again, and a tail left behind is cut as torn on the next open).
 */
export async function appendToSegment(file: string, data: Buffer, sizeBefore: number): Promise<void> {
  const fh = await fs.open(file, constants.O_WRONLY | constants.O_APPEND);
  try {
    let off = 0;
    while (off < data.length) {
      const { bytesWritten } = await fh.write(data, off, data.length - off, null);
      off += bytesWritten;
    }
    await fh.datasync();
  } catch (err) {
    await fh.truncate(sizeBefore).catch(() => undefined);
    throw err;
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/**
 * Call `onLine(line, endOffset)` for each complete line of [start, end) until it returns false.
 * `source` is a path, or an open handle (the active segment's, readable even once unlinked).
 */
export async function readLines(source: string | FileHandle, start: number, end: number, onLine: (line: Buffer, end: number) => boolean): Promise<void> {
  const fh = typeof source === 'string' ? await fs.open(source, 'r') : source;
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
    if (typeof source === 'string') await fh.close();
  }
}

/** The valid events of [start, end) as held events, numbered from `firstOrdinal`. */
export async function readHeld(source: string | FileHandle, start: number, end: number, firstOrdinal: number): Promise<HeldEvent[]> {
  const held: HeldEvent[] = [];
  let ordinal = firstOrdinal;
  await readLines(source, start, end, (line) => {
    if (parseLine(line)) held.push({ ordinal: ordinal++, line: line.toString('utf8'), bytes: line.length });
    return true;
  });
  return held;
}

/** False only when the file is gone (ENOENT, or ENOTDIR: its directory was replaced). */
export async function fileExists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch (err) {
    return !isRemoval(err);
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

/** The event on a line, or null for a line that is not one (corruption). */
export function parseLine(line: Buffer | string): IngestEvent | null {
  try {
    const value: unknown = JSON.parse(typeof line === 'string' ? line : line.toString('utf8'));
    return storedEventSchema.safeParse(value).success ? (value as IngestEvent) : null;
  } catch {
    return null;
  }
}

export function comparePosition(a: Position, b: Position): number {
  return a.segment - b.segment || a.offset - b.offset;
}
