/**
 * The retention pass (db/queries/retention.ts) in the server process: at start, so that the
 * days ahead exist before the first batch, then hourly. Every server runs it; the pass's
 * advisory lock makes them take turns.
 */
import type { Database } from '../db/client';
import { applyRetention, type RetentionPolicy } from '../db/queries/retention';
import { isDatabaseUnavailable } from '../db/unavailable';
import type { Logger } from '../lib/log';
import { startLoop } from './alerts/loop';

const EVERY_MS = 3_600_000;

export function startRetention(options: { database: Database; policy: RetentionPolicy; log: Logger }): { close(): Promise<void> } {
  const { database, policy, log } = options;
  const loop = startLoop(async () => {
    try {
      const outcome = await applyRetention(database.db, new Date(), policy);
      if (outcome.created.length + outcome.dropped.length + Object.keys(outcome.deleted).length > 0) log.info(outcome, 'retention applied');
    } catch (err) {
      if (isDatabaseUnavailable(err)) log.warn({ err: (err as Error).message }, 'retention not applied: database unavailable');
      else log.error({ err }, 'retention not applied');
    }
  }, EVERY_MS);
  return { close: () => loop.close() };
}
