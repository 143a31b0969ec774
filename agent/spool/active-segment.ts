/**
 * The segment being written: creating the next one (rotation), sealing it after a failed
 * write, and a read handle on it. The handle is read-only on purpose: a held writer would
 * make the kernel refuse `mount -o remount,ro`, while a reader keeps the file's events
 * readable after it is unlinked (a removed spool directory), which is how they are rescued.
 */
import fs, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../lib/log';
import type { HeldEvent } from './memory-buffer';
import { createSegment, readHeld, segmentName, syncDir, type Segment } from './segment-files';

export class ActiveSegment {
  readonly #dir: string;
  readonly #log: Logger;
  /** The queue's index (shared): the active segment is its last. */
  readonly #segments: Segment[];
  readonly #unlink: (file: string) => Promise<void>;
  #nextSeq: number;
  /** After a failed write the segment may hold a partial line: never append to it again. */
  #sealed = false;
  #reader: { seq: number; fh: FileHandle } | undefined;

  constructor(o: { dir: string; log: Logger; segments: Segment[]; nextSeq: number; unlink: (file: string) => Promise<void> }) {
    this.#dir = o.dir;
    this.#log = o.log;
    this.#segments = o.segments;
    this.#nextSeq = o.nextSeq;
    this.#unlink = o.unlink;
  }

  get sealed(): boolean {
    return this.#sealed;
  }

  /** Write nothing more to it: the next write starts a fresh segment. */
  seal(): void {
    this.#sealed = true;
  }

  /** The open handle on `seg` if it is the active one, else its path. */
  source(seg: Segment): FileHandle | string {
    return this.#reader?.seq === seg.seq ? this.#reader.fh : seg.file;
  }

  /** Start a new segment whose first event is `first`, and make it the active one. */
  async rotate(first: number): Promise<Segment> {
    const last = this.#segments.at(-1);
    if (last && last.count === 0) {
      // Left empty by a failed write: a retry every few seconds must not leave a file each time.
      this.#segments.pop();
      await this.close();
      await this.#unlink(last.file);
    }
    // Numbered once per attempt: a file left by a failed attempt is never reused (EEXIST).
    const seq = this.#nextSeq++;
    const file = path.join(this.#dir, segmentName(seq));
    await createSegment(file);
    const seg: Segment = { seq, file, size: 0, first, count: 0 };
    // In the index before the directory sync: the file exists whatever happens next. The old
    // reader is kept until here, so a removal found by this rotation can still read it.
    this.#segments.push(seg);
    await this.close();
    await syncDir(this.#dir);
    this.#sealed = false;
    await this.openReader();
    return seg;
  }

  /** Best effort: without it, only a removed active segment's events are lost. */
  async openReader(): Promise<void> {
    const seg = this.#segments.at(-1);
    if (!seg) return;
    try {
      this.#reader = { seq: seg.seq, fh: await fs.open(seg.file, 'r') };
    } catch (err) {
      this.#log.warn({ err, file: seg.file }, 'could not open the active segment for reading');
    }
  }

  /** The valid events of a removed `seg` from `start`, read through the handle; null without one. */
  async rescue(seg: Segment, start: number, firstOrdinal: number): Promise<HeldEvent[] | null> {
    if (this.#reader?.seq !== seg.seq) return null;
    try {
      return await readHeld(this.#reader.fh, start, seg.size, firstOrdinal);
    } catch (err) {
      this.#log.warn({ err, file: seg.file }, 'could not read back the removed active segment');
      return null;
    } finally {
      await this.close();
    }
  }

  /** Close the read handle. */
  async close(): Promise<void> {
    const reader = this.#reader;
    this.#reader = undefined;
    await reader?.fh.close().catch(() => undefined);
  }
}
