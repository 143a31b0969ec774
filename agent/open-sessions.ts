/**
 * A journal of the sessions this probe holds open, so that a probe killed without warning
 * (SIGKILL, OOM, power) can close them in the record when it starts again. Without it those
 * sessions would show as live forever. They are recorded as ended by the probe, not as
 * drops: nobody knows when they really ended (the canary target's own view does).
 *
 * Append-only, no fsync: the kernel keeps what a killed process wrote; losing the tail to a
 * power cut only leaves a session open in the record, never invents a drop.
 *
 * Never throws into the canaries: when the spool directory refuses writes (full, read-only,
 * removed), the in-memory map stays right, the failure is logged at most once a minute, and
 * the whole journal is rewritten from the map once a write works again (tried at most every
 * `retryMs`). What a kill during the outage leaves is only as stale as the last good write.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PathDescriptor, SessionEnded } from '../lib/contracts/ingest';
import type { Logger } from '../lib/log';

export const JOURNAL_FILE = 'open-sessions.jsonl';
const LOG_EVERY_MS = 60_000;
const RETRY_MS = 5_000;

interface OpenRecord {
  op: 'open';
  sessionId: string;
  path: PathDescriptor;
  attemptedAt: string;
  openedAt: string;
}

export interface OpenSessionJournalOptions {
  /** Where write failures are reported (at most one line a minute); silent without one. */
  log?: Logger;
  /** Monotonic clock in ms, for the log bound and the retry. Default `performance.now`. */
  now?: () => number;
  /** How often a broken journal tries to rewrite itself, on the next open or close. Default 5 s. */
  retryMs?: number;
}

export class OpenSessionJournal {
  private readonly file: string;
  private lines = 0;
  private readonly open = new Map<string, OpenRecord>();
  private readonly log: Logger | undefined;
  private readonly now: () => number;
  private readonly retryMs: number;
  /** Set while the file is behind the map: when the last write failed, failures since the last line, whether it was said. */
  private broken: { at: number; failures: number; announced: boolean } | undefined;
  private lastLineAt: number | undefined;

  constructor(dir: string, options: OpenSessionJournalOptions = {}) {
    this.file = path.join(dir, JOURNAL_FILE);
    this.log = options.log;
    this.now = options.now ?? (() => performance.now());
    this.retryMs = options.retryMs ?? RETRY_MS;
  }

  /** Ids of the sessions held open now (issue 19: heartbeats list them, so the server can close those the probe lost). */
  ids(): string[] {
    return [...this.open.keys()];
  }

  /** The journal file is behind the sessions held open (its writes are failing). */
  get stale(): boolean {
    return this.broken !== undefined;
  }

  /**
   * Read what a previous process left open and return the endings to report for it, then
   * start a fresh journal. An unreadable journal is reported and treated as empty.
   */
  recover(now: Date): SessionEnded[] {
    const left = new Map<string, OpenRecord>();
    let text = '';
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.report(err, 'could not read the open-sessions journal: sessions a killed probe left open stay open in the record');
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
    this.write(() => this.compact());
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
    if (this.broken) {
      // Behind the map: one line more would not fix it; rewriting it all does, now and then.
      if (this.now() - this.broken.at >= this.retryMs) this.write(() => this.compact());
      return;
    }
    this.write(() => {
      appendFileSync(this.file, `${JSON.stringify(r)}\n`);
      // Keep the file proportional to what is open, not to the probe's whole history.
      if (++this.lines > 1000 && this.lines > 4 * this.open.size) this.compact();
    });
  }

  private compact(): void {
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, [...this.open.values()].map((r) => `${JSON.stringify(r)}\n`).join(''));
    renameSync(tmp, this.file);
    this.lines = this.open.size;
  }

  /** Run a write; a failure marks the journal stale (rewritten later), a success after one clears it. */
  private write(op: () => void): void {
    try {
      op();
    } catch (err) {
      const broken = (this.broken ??= { at: 0, failures: 0, announced: false });
      broken.at = this.now();
      broken.failures++;
      if (this.mayLog()) {
        const message = `open-sessions journal ${this.file}: cannot write (${(err as Error).message}): keeping open sessions in memory, rewriting the journal when writes work again`;
        this.report(err, message, { failures: broken.failures });
        broken.failures = 0;
        broken.announced = true;
      }
      return;
    }
    const broken = this.broken;
    this.broken = undefined;
    // The end of an announced failure is said even within the minute: at most one failure
    // line and one recovery line a minute, and no "cannot write" left standing alone.
    if (broken && (broken.announced || this.mayLog())) {
      this.lastLineAt = this.now();
      this.log?.info({ file: this.file, openSessions: this.open.size, failures: broken.failures }, `open-sessions journal ${this.file}: writable again, rewrote it`);
    }
  }

  private report(err: unknown, message: string, fields: Record<string, unknown> = {}): void {
    this.lastLineAt = this.now();
    this.log?.error({ err, file: this.file, openSessions: this.open.size, ...fields }, message);
  }

  private mayLog(): boolean {
    return this.lastLineAt === undefined || this.now() - this.lastLineAt >= LOG_EVERY_MS;
  }
}
