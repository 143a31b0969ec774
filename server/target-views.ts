/**
 * The built-in canary target's views of session ends, on a durable path: appended to a
 * spool in the data directory (as a probe spools its events), then written to the database
 * by one drainer. While the database cannot be reached the views wait on disk and the
 * drainer retries with backoff; they were written straight to the database and lost in an
 * outage. A view the database refuses for another reason is logged and dropped, so that it
 * never blocks the ones behind it.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Spool } from '../agent/spool';
import type { Db } from '../db/client';
import { storeTargetViews } from '../db/queries/ingest';
import { isDatabaseUnavailable } from '../db/unavailable';
import type { TargetSessionEnded } from '../lib/contracts/ingest';
import type { Logger } from '../lib/log';

/** Views written per statement. */
const BATCH = 500;
/** Spool bound: far more views than an outage of hours makes at the built-in target. */
const MAX_SPOOL_BYTES = 64 << 20;
const RETRY_BASE_MS = 500;
const RETRY_CAP_MS = 10_000;

export interface TargetViewWriter {
  write(view: Omit<TargetSessionEnded, 'type' | 'id'>): void;
  /** Resolves once everything appended so far has been written (or dropped). Tests only. */
  drained(): Promise<void>;
  close(): Promise<void>;
}

export async function startTargetViewWriter(options: { dataDir: string; db: Db; log: Logger }): Promise<TargetViewWriter> {
  const { db, log } = options;
  const spool = await Spool.open(path.join(options.dataDir, 'target-views-spool'), { maxBytes: MAX_SPOOL_BYTES, log });
  let running: Promise<void> | null = null;
  let retry: NodeJS.Timeout | null = null;
  let delayMs = RETRY_BASE_MS;
  let closed = false;
  /** Appends not yet on disk: close waits for them. */
  const appending = new Set<Promise<void>>();

  async function drain(): Promise<void> {
    while (!closed) {
      const { events, cursor } = await spool.peek(BATCH);
      if (events.length === 0) return;
      const views = events.flatMap((e) => (e.type === 'target.session_ended' ? [stripped(e)] : []));
      try {
        await storeTargetViews(db, null, views);
        delayMs = RETRY_BASE_MS;
      } catch (err) {
        if (isDatabaseUnavailable(err)) {
          log.warn({ err, waiting: spool.depth(), retryMs: delayMs }, 'the database cannot be reached: target views wait in the spool');
          retry = setTimeout(kick, delayMs);
          delayMs = Math.min(RETRY_CAP_MS, delayMs * 2);
          return;
        }
        log.error({ err, views: views.length }, 'the database refused target views: dropped');
      }
      await spool.ack(cursor);
    }
  }

  function kick(): void {
    retry = null;
    if (running || closed) return;
    running = drain()
      .catch((err: unknown) => log.error({ err }, 'draining target views failed'))
      .finally(() => {
        running = null;
      });
  }

  kick();
  return {
    write(view) {
      const appended = spool
        .append([{ type: 'target.session_ended', id: randomUUID(), ...view }])
        .then(() => {
          if (!retry) kick();
        })
        .catch((err: unknown) => log.error({ err, sessionId: view.sessionId }, 'spooling a target view failed'))
        .finally(() => appending.delete(appended));
      appending.add(appended);
    },
    async drained() {
      // Appends linger before their commit (agent/spool.ts): they count as undrained.
      await Promise.all(appending);
      for (let i = 0; i < 100 && (running || spool.depth() > 0); i++) {
        if (!running && !retry) kick();
        await (running ?? new Promise((r) => setTimeout(r, 50)));
      }
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      await Promise.all(appending);
      await running;
      await spool.close();
    },
  };
}

function stripped(e: TargetSessionEnded): Omit<TargetSessionEnded, 'type' | 'id'> {
  const { type: _type, id: _id, ...view } = e;
  return view;
}
