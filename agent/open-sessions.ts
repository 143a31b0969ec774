/**
 * A journal of the sessions this probe holds open, so that a probe killed without warning
 * (SIGKILL, OOM, power) can close them in the record when it starts again. Without it those
 * sessions would show as live forever. They are recorded as ended by the probe, not as
 * drops: nobody knows when they really ended (the canary target's own view does).
 *
 * Append-only, no fsync: the kernel keeps what a killed process wrote; losing the tail to a
 * power cut only leaves a session open in the record, never invents a drop.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PathDescriptor, SessionEnded } from '../lib/contracts/ingest';

export const JOURNAL_FILE = 'open-sessions.jsonl';

interface OpenRecord {
  op: 'open';
  sessionId: string;
  path: PathDescriptor;
  attemptedAt: string;
  openedAt: string;
}

export class OpenSessionJournal {
  private readonly file: string;
  private lines = 0;
  private readonly open = new Map<string, OpenRecord>();

  constructor(dir: string) {
    this.file = path.join(dir, JOURNAL_FILE);
  }

  /**
   * Read what a previous process left open and return the endings to report for it, then
   * start a fresh journal.
   */
  recover(now: Date): SessionEnded[] {
    const left = new Map<string, OpenRecord>();
    let text = '';
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        const r = JSON.parse(line) as OpenRecord | { op: 'close'; sessionId: string };
        if (r.op === 'open') left.set(r.sessionId, r);
        else left.delete(r.sessionId);
      } catch {
        // A torn last line from the kill: skip it.
      }
    }
    this.compact();
    return [...left.values()].map((r) => ({
      type: 'session.ended',
      id: randomUUID(),
      sessionId: r.sessionId,
      path: r.path,
      attemptedAt: r.attemptedAt,
      endedAt: now.toISOString(),
      durationMs: Math.max(0, now.getTime() - Date.parse(r.openedAt)),
      endKind: 'probe_closed',
      closeReason: 'probe process ended without closing it (killed); real end unknown',
      errorCode: 'PROBE_RESTARTED',
      bytesIn: 0,
      bytesOut: 0,
      messagesIn: 0,
      messagesOut: 0,
    }));
  }

  opened(r: Omit<OpenRecord, 'op'>): void {
    const rec: OpenRecord = { op: 'open', ...r };
    this.open.set(r.sessionId, rec);
    this.append(rec);
  }

  closed(sessionId: string): void {
    if (!this.open.delete(sessionId)) return;
    this.append({ op: 'close', sessionId });
  }

  private append(r: object): void {
    appendFileSync(this.file, `${JSON.stringify(r)}\n`);
    // Keep the file proportional to what is open, not to the probe's whole history.
    if (++this.lines > 1000 && this.lines > 4 * this.open.size) this.compact();
  }

  private compact(): void {
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, [...this.open.values()].map((r) => `${JSON.stringify(r)}\n`).join(''));
    renameSync(tmp, this.file);
    this.lines = this.open.size;
  }
}
