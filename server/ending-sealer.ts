/**
 * Seals the endings aggregate (db/queries/ending-bins.ts) in the server process: every
 * server runs one, and they share the work through per-(hour, probe) advisory locks, so
 * any number of servers, or none for a while, leaves every answer exact (reads take the
 * dirty hours from the rows). A full batch runs again at once: a server started on a
 * database with a backlog (the migration marks every hour of old rows dirty) catches up
 * without waiting for the cadence.
 */
import type { Database } from '../db/client';
import { sealEndingBins } from '../db/queries/ending-bins';
import { sealReportBins } from '../db/queries/report-bins';
import { isDatabaseUnavailable } from '../db/unavailable';
import type { Logger } from '../lib/log';
import { startLoop } from './alerts/loop';

/** Pairs sealed per round; each is one transaction over an hour of one probe's rows. */
const SEAL_BATCH = 200;

export function startEndingSealer(options: { database: Database; intervalMs: number; log: Logger }): { close(): Promise<void> } {
  const { database, log } = options;
  const loop = startLoop(async () => {
    try {
      const outcome = await sealEndingBins(database.db, { now: new Date(), limit: SEAL_BATCH });
      // The report aggregates (attempt_lifetimes, duration_bins): same protocol, same cadence.
      const reports = await sealReportBins(database.db, { now: new Date(), limit: SEAL_BATCH });
      if (reports.sealed > 0) log.debug(reports, 'report aggregates sealed');
      if (outcome.sealed > 0) log.debug(outcome, 'endings aggregate sealed');
      // More due and some progress made: go on at once (a locked pair waits for the cadence).
      return (outcome.sealed === SEAL_BATCH && outcome.left > 0) || (reports.sealed >= SEAL_BATCH && reports.left > 0);
    } catch (err) {
      if (isDatabaseUnavailable(err)) log.warn({ err: (err as Error).message }, 'endings aggregate not sealed: database unavailable');
      else log.error({ err }, 'endings aggregate not sealed');
      return false;
    }
  }, options.intervalMs);
  return { close: () => loop.close() };
}
