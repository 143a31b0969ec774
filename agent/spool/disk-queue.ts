/**
 * The on-disk part of the spool as a queue: the in-memory index of the segments, the ack
 * position, writes at the tail (grouped per segment), peek and ack over them, and the size
 * bound that evicts the oldest segment. File I/O is segment-files.ts's, the segment being
 * written active-segment.ts's; deciding what a failure means is the store's: methods here
 * report I/O errors (a result or a throw) and leave the index consistent.
 *
 * Every segment holds consecutive ordinals (a gap, left by events dropped from memory, starts
 * a new segment), so the ordinal of a line is its segment's `first` plus the valid lines
 * before it.
 */
import fs from 'node:fs/promises';
import type { IngestEvent } from '../../lib/contracts/ingest';
import type { Logger } from '../../lib/log';
import { ActiveSegment } from './active-segment';
import { isRemoval } from './errors';
import type { HeldEvent } from './memory-buffer';
import { appendToSegment, comparePosition, fileExists, parseLine, readLines, recover, writeAck, type Position, type Segment } from './segment-files';

export interface DiskLimits {
  /** Bound on the bytes kept on disk; beyond it the oldest segment is dropped. */
  maxBytes: number;
  /** Rotation size of a segment. */
  segmentBytes: number;
}

export interface DiskPeek {
  events: IngestEvent[];
  /** Bytes of the returned lines. */
  bytes: number;
  /** Where the peek ended on disk. */
  pos: Position;
  /** Ordinal of the first event after the peeked ones. */
  index: number;
  /** Stopped by `max` or the byte budget, not by the end of the disk. */
  full: boolean;
}

export class DiskQueue {
  readonly dir: string;
  readonly #log: Logger;
  readonly #limits: DiskLimits;
  readonly #segments: Segment[];
  #ack: Position;
  /** Ordinal of the first event not acked. */
  #ackIndex: number;
  #ackDirty = false;
  readonly #active: ActiveSegment;
  /** Delivered or evicted segments whose unlink failed (read-only): retried after recovery. */
  readonly #unlinkLater = new Set<string>();
  #evicted = 0;

  private constructor(dir: string, log: Logger, limits: DiskLimits, state: { segments: Segment[]; ack: Position; ackIndex: number }) {
    this.dir = dir;
    this.#log = log;
    this.#limits = limits;
    this.#segments = state.segments;
    this.#ack = state.ack;
    this.#ackIndex = state.ackIndex;
    // Above the acked segment too: a new segment numbered at or below it would count as delivered.
    const nextSeq = Math.max(state.segments.at(-1)?.seq ?? 0, state.ack.segment) + 1;
    this.#active = new ActiveSegment({ dir, log, segments: this.#segments, nextSeq, unlink: (file) => this.#unlink(file) });
  }

  /** Index `dir` as a previous process left it (torn tails cut, acked segments deleted). */
  static async open(dir: string, log: Logger, limits: DiskLimits): Promise<DiskQueue> {
    const queue = new DiskQueue(dir, log, limits, await recover(dir, log));
    await queue.#active.openReader();
    return queue;
  }

  /** Ordinal for the next event appended after those on disk. */
  end(): number {
    const last = this.#segments.at(-1);
    return last ? last.first + last.count : this.#ackIndex;
  }

  /** Events on disk not acked. */
  pending(): number {
    return this.#segments.reduce((n, s) => n + this.#pendingIn(s), 0);
  }

  /** Events discarded unsent because the disk hit `maxBytes`, since open. */
  evicted(): number {
    return this.#evicted;
  }

  sizeBytes(): number {
    return this.#segments.reduce((n, s) => n + s.size, 0);
  }

  /** Write nothing more to the active segment: the next write starts a fresh one. */
  seal(): void {
    this.#active.seal();
  }

  /**
   * Write `entries` (ascending ordinals) at the end: one write and one fdatasync per segment
   * they go to. Returns how many of them are durable, and the error that stopped the rest.
   */
  async write(entries: readonly HeldEvent[]): Promise<{ written: number; error?: unknown }> {
    const { segmentBytes } = this.#limits;
    let i = 0;
    while (i < entries.length) {
      const first = entries[i]!;
      let seg = this.#segments.at(-1);
      try {
        // A group that would straddle the end of this segment but fits a fresh one goes there whole: one write, one sync.
        if (!seg || this.#active.sealed || (seg.count > 0 && seg.first + seg.count !== first.ordinal) || (seg.size > 0 && seg.size + runBytes(entries, i, segmentBytes) > segmentBytes)) {
          seg = await this.#active.rotate(first.ordinal);
        }
      } catch (error) {
        this.#active.seal();
        return { written: i, error };
      }
      let j = i + 1;
      let bytes = first.bytes;
      while (j < entries.length && entries[j]!.ordinal === entries[j - 1]!.ordinal + 1 && seg.size + bytes + entries[j]!.bytes <= segmentBytes) {
        bytes += entries[j]!.bytes;
        j++;
      }
      const data = Buffer.from(entries.slice(i, j).map((e) => e.line).join(''), 'utf8');
      try {
        await appendToSegment(seg.file, data, seg.size);
      } catch (error) {
        this.#active.seal();
        return { written: i, error };
      }
      if (seg.count === 0) seg.first = first.ordinal;
      seg.size += data.length;
      seg.count += j - i;
      i = j;
    }
    return { written: i };
  }

  /**
   * The oldest pending events on disk. Stops at `max` events, or before the event that would
   * take the lines past `maxBytes` (but returns at least one). Lines that are not events
   * (corruption) are skipped and covered by the position.
   * @throws the read error (ENOENT: a segment was removed under us).
   */
  async peek(max: number, maxBytes: number): Promise<DiskPeek> {
    const events: IngestEvent[] = [];
    let bytes = 0;
    let pos: Position = { ...this.#ack };
    let index = this.#ackIndex;
    let full = false;
    for (const seg of this.#segments) {
      if (full) break;
      if (seg.seq < this.#ack.segment) continue;
      const start = seg.seq === this.#ack.segment ? this.#ack.offset : 0;
      if (start >= seg.size) continue;
      let ordinal = Math.max(seg.first, this.#ackIndex);
      await readLines(this.#active.source(seg), start, seg.size, (line, end) => {
        const event = parseLine(line);
        if (event) {
          if (events.length >= max || (events.length > 0 && bytes + line.length > maxBytes)) {
            full = true;
            return false;
          }
          events.push(event);
          bytes += line.length;
          index = ++ordinal;
        }
        pos = { segment: seg.seq, offset: end };
        return true;
      });
    }
    return { events, bytes, pos, index, full: full || events.length >= max };
  }

  /**
   * Where an ack of a cursor taken at (`pos`, `index`) ends on disk now. Events that were in
   * memory at the peek may have been written to disk since: whole segments of them are
   * covered; a segment only partly covered is acked up to its start (at worst those events
   * are sent again, and the backend dedupes by id).
   */
  resolveAck(pos: Position, index: number): { pos: Position; index: number } {
    let out = { pos, index };
    for (const seg of this.#segments) {
      if (seg.seq <= pos.segment || seg.first >= index) continue;
      if (index >= seg.first + seg.count) {
        out = { pos: { segment: seg.seq, offset: seg.size }, index };
      } else {
        out = { pos: { segment: seg.seq, offset: 0 }, index: seg.first };
        break;
      }
    }
    return out;
  }

  /**
   * Mark everything before (`pos`, `index`) delivered and delete fully delivered segments. The
   * index moves even when recording fails (`persist` false, or the throw): the ack file is
   * rewritten by {@link persistAck}, and until then a restart only resends delivered events.
   * @throws the error of writing the ack file.
   */
  async ack(pos: Position, index: number, persist: boolean): Promise<void> {
    if (comparePosition(pos, this.#ack) <= 0 && index <= this.#ackIndex) return;
    if (comparePosition(pos, this.#ack) > 0) this.#ack = { ...pos };
    this.#ackIndex = Math.max(this.#ackIndex, index);
    this.#ackDirty = true;
    let error: unknown;
    if (persist) await this.persistAck().catch((err: unknown) => (error = err));
    // Deleted even when the ack was not recorded: on a full disk that is the space we need,
    // and a restart that finds the recorded segment gone starts at the next one.
    const active = this.#segments.at(-1);
    while (this.#segments.length > 0) {
      const seg = this.#segments[0]!;
      const done = seg.seq < this.#ack.segment || (seg.seq === this.#ack.segment && this.#ack.offset >= seg.size && seg !== active);
      if (!done) break;
      this.#segments.shift();
      await this.#unlink(seg.file);
    }
    if (error !== undefined) throw error;
  }

  /**
   * Record the ack position durably if it moved since it last was (`force`: in any case, as a
   * write that proves the disk takes writes again).
   */
  async persistAck(force = false): Promise<void> {
    if (!this.#ackDirty && !force) return;
    await writeAck(this.dir, this.#ack);
    this.#ackDirty = false;
  }

  /** Delete the segment files whose unlink failed before; a file that still resists is left to the next open. */
  async retryUnlinks(): Promise<void> {
    for (const file of [...this.#unlinkLater]) {
      this.#unlinkLater.delete(file);
      await fs.unlink(file).catch((err: unknown) => {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.#log.warn({ err, file }, 'could not delete a delivered or dropped segment');
      });
    }
  }

  /** A full disk on an edge host takes the probe (and more) down: lose the oldest events instead, loudly. */
  async enforceLimit(): Promise<void> {
    while (this.#segments.length > 1 && this.sizeBytes() > this.#limits.maxBytes) {
      const seg = this.#segments.shift()!;
      const end = seg.first + seg.count;
      const lost = this.#pendingIn(seg);
      this.#evicted += lost;
      if (this.#ackIndex < end) {
        // Not persisted: on the next open an ack file naming a missing segment means "start at the first one".
        const next = this.#segments[0]!;
        this.#ack = { segment: next.seq, offset: 0 };
        this.#ackIndex = next.first;
      }
      await this.#unlink(seg.file);
      // A delivered segment kept only because it was active when acked: nothing is lost.
      if (lost === 0) continue;
      this.#log.error(
        { droppedEvents: lost, totalDroppedEvents: this.#evicted, segment: seg.seq, maxBytes: this.#limits.maxBytes },
        `spool exceeded ${this.#limits.maxBytes} bytes: dropped the oldest segment and ${lost} unsent events`,
      );
    }
  }

  /**
   * The directory or a segment was removed under us: drop the segments whose files are gone,
   * returning the pending events of the active one (read through its open handle) and the
   * count of those that could not be read. The next write starts a fresh segment.
   */
  async salvage(): Promise<{ rescued: HeldEvent[]; lost: number }> {
    let rescued: HeldEvent[] = [];
    let lost = 0;
    const active = this.#segments.at(-1);
    for (const seg of [...this.#segments]) {
      if (await fileExists(seg.file)) continue;
      this.#segments.splice(this.#segments.indexOf(seg), 1);
      const pending = this.#pendingIn(seg);
      if (seg === active && pending > 0) {
        const start = seg.seq === this.#ack.segment ? this.#ack.offset : 0;
        rescued = (await this.#active.rescue(seg, start, Math.max(seg.first, this.#ackIndex))) ?? [];
      }
      lost += pending - (seg === active ? rescued.length : 0);
    }
    this.#active.seal();
    return { rescued, lost };
  }

  async close(): Promise<void> {
    await this.#active.close();
  }

  #pendingIn(seg: Segment): number {
    return Math.max(0, seg.first + seg.count - Math.max(seg.first, this.#ackIndex));
  }

  async #unlink(file: string): Promise<void> {
    try {
      await fs.unlink(file);
    } catch (err) {
      // Gone already (a removed directory) is what we wanted. Anything else (read-only) is
      // retried after the disk recovers, without a log line per segment meanwhile.
      if (!isRemoval(err)) this.#unlinkLater.add(file);
    }
  }
}

/**
 * Bytes of the run of consecutive entries from `i`, or of its first entry alone when the run
 * is longer than a segment (it is split across segments anyway).
 */
function runBytes(entries: readonly HeldEvent[], i: number, segmentBytes: number): number {
  let bytes = entries[i]!.bytes;
  for (let j = i + 1; j < entries.length && entries[j]!.ordinal === entries[j - 1]!.ordinal + 1; j++) {
    bytes += entries[j]!.bytes;
    if (bytes > segmentBytes) return entries[i]!.bytes;
  }
  return bytes;
}
