/**
 * The dead-letter file: events the backend refused for good, one JSON record a line, kept next
 * to the spool so an operator can read, fix and replay them. A record is on disk (fdatasync'd)
 * before its event is acked out of the spool, so a crash in between sends the event again at
 * worst and never loses it. Each move is logged as one error line naming the events and why.
 * Bounded like the spool: past `maxBytes` the file is rotated to
 * `dead-letter.jsonl.1` (one old generation kept), so a backend that refuses everything cannot
 * fill the disk.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { IngestEvent } from '../../lib/contracts/ingest';
import type { Logger } from '../../lib/log';
import type { Refusal } from './answer';

export const DEAD_LETTER_FILE = 'dead-letter.jsonl';

/** One line of the dead-letter file. */
export interface DeadLetterRecord {
  /** When it was written (ISO 8601). */
  at: string;
  /** Why the backend refused it, in one line. */
  reason: string;
  event: IngestEvent;
  /** The backend's answer when it refused the event without naming it (poison isolation). */
  answer?: { status: number; body: string };
}

export class DeadLetterFile {
  readonly file: string;
  readonly #maxBytes: number;
  readonly #log: Logger;
  readonly #now: () => Date;
  /**
   * Ids written here but not yet acked out of the spool (they sit in its prefix until the next
   * ack moves past them): the reporter skips them instead of sending them again.
   */
  readonly #pending = new Set<string>();
  #count = 0;

  constructor(options: { dir: string; maxBytes: number; log: Logger; now: () => Date }) {
    this.file = path.join(options.dir, DEAD_LETTER_FILE);
    this.#maxBytes = options.maxBytes;
    this.#log = options.log;
    this.#now = options.now;
  }

  /** Events written since start. */
  get count(): number {
    return this.#count;
  }

  /**
   * Write the records durably, then log them as one error line.
   * @throws the fs error (nothing is counted or marked pending then).
   */
  async put(records: readonly Omit<DeadLetterRecord, 'at'>[], message?: string): Promise<void> {
    const at = this.#now().toISOString();
    const data = records.map((r) => JSON.stringify({ at, reason: r.reason, event: r.event, ...(r.answer && { answer: r.answer }) }) + '\n').join('');
    await appendDurably(this.file, data, this.#maxBytes);
    for (const r of records) this.#pending.add(r.event.id);
    this.#count += records.length;
    const answer = records.length === 1 ? records[0]!.answer : undefined;
    this.#log.error(
      { file: this.file, events: records.map(({ event, reason }) => ({ id: event.id, type: event.type, reason })), ...(answer && { answer }) },
      message ?? `backend refused ${records.length} event(s): moved them to the dead-letter file, sending the rest`,
    );
  }

  /** The culprits of a poison isolation (agent/report/poison.ts), each with the answer it got alone. */
  putCulprits(culprits: readonly { event: IngestEvent; refusal: Refusal }[]): Promise<void> {
    return this.put(
      culprits.map(({ event, refusal }) => ({
        event,
        reason: `${refusal.signature} (refused alone, while the backend accepted other events)`,
        answer: { status: refusal.status, body: refusal.excerpt },
      })),
      culprits.length === 1
        ? 'backend refuses one event whenever it is sent and accepts the others: moved it to the dead-letter file, sending the rest'
        : `backend refuses ${culprits.length} events whenever they are sent and accepts the others: moved them to the dead-letter file, sending the rest`,
    );
  }

  /** True for an event already in the file whose ack is still to come. */
  holds(id: string): boolean {
    return this.#pending.has(id);
  }

  /** How many of them there are (they still take room in a peek). */
  get pending(): number {
    return this.#pending.size;
  }

  /** The spool acked past these events: stop tracking them. */
  acked(events: readonly IngestEvent[]): void {
    for (const e of events) this.#pending.delete(e.id);
  }
}

async function appendDurably(file: string, data: string, maxBytes: number): Promise<void> {
  const size = await fs.stat(file).then((s) => s.size, () => 0);
  if (size > 0 && size + Buffer.byteLength(data) > maxBytes) await fs.rename(file, `${file}.1`);
  const fh = await fs.open(file, 'a');
  try {
    await fh.writeFile(data);
    await fh.datasync();
  } finally {
    await fh.close();
  }
}
