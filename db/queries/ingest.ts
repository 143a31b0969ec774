/**
 * Storing a probe's batch: all of it or none of it, each event id once.
 *
 * Set-based and in as few round trips as the guarantees allow (issue 14): the events are
 * merged into rows in memory (db/queries/ingest-rows.ts), then one transaction runs the
 * per-probe lock and ONE statement that writes the ledger, the session rows, the rollups,
 * the RTT minutes, the probe's last sight and the target's views (db/queries/ingest-merge.ts).
 * A replayed batch takes a second statement for the events that were new. The old path, ten
 * statements per batch with JS in between, spent most of its time in round trips, parsing
 * and planning, and a select whose plan read every session row of the probe.
 */
import { sql } from 'drizzle-orm';
import type { IngestEvent, IngestResult } from '../../lib/contracts/ingest';
import type { Db, Executor } from '../client';
import { mergeResult, mergeStatement, viewsInsert } from './ingest-merge';
import { batchRows, targetViewRows, type TargetView } from './ingest-rows';

export { sessionRows } from './ingest-rows';

export interface StoredBatch extends IngestResult {
  /** The events this request stored (duplicates left out), for the live feed. */
  applied: IngestEvent[];
}

/**
 * Store `events` from probe `probeId` in one transaction. Events whose id was stored before
 * (by this or an earlier request) are skipped and counted as duplicates.
 */
export async function storeBatch(db: Db, probeId: number, events: readonly IngestEvent[], now: Date): Promise<StoredBatch> {
  const unique = new Map<string, IngestEvent>();
  for (const e of events) if (!unique.has(e.id)) unique.set(e.id, e);
  const all = [...unique.values()];
  // Built before the transaction opens, on the assumption that every event is new: it is
  // held for the statements only, not for this work.
  const rows = batchRows(probeId, all, now);

  const applied = await db.transaction(async (tx) => {
    // One batch of a probe at a time: the rollups are kept by difference (what a session
    // row counted before this batch, what it counts after), which needs the "before" to
    // stay true until commit, also for rows a concurrent batch of the same probe would
    // insert. A probe's reporter sends one batch at a time anyway; other probes never wait.
    // The lock is its own statement, before the one that reads "before", so that one's
    // snapshot is taken after the lock (and after the previous batch's commit). Both are
    // sent at once: the driver pipelines them on the transaction's connection.
    const [, first] = await Promise.all([
      tx.execute(sql`select pg_advisory_xact_lock(${ADVISORY_LOCK_SPACE}::integer, ${probeId}::integer)`),
      tx.execute(mergeStatement({ probeId, now, ledgerIds: [...unique.keys()], rows })),
    ]);
    const result = mergeResult(first);
    if (result.applied) return all;
    // Some ids were in the ledger already (a replay): apply only the events that were not.
    const fresh = new Set(result.freshIds);
    const rest = all.filter((e) => fresh.has(e.id));
    if (rest.length === 0) return rest;
    await tx.execute(mergeStatement({ probeId, now, ledgerIds: null, rows: batchRows(probeId, rest, now) }));
    return rest;
  });
  return { accepted: applied.length, duplicates: events.length - applied.length, applied };
}

/** First key of pg_advisory_xact_lock(int, int): this module's locks, keyed by probe id. */
const ADVISORY_LOCK_SPACE = 0x64726f70; // 'drop'

/**
 * Store canary-target views. `reporterId` is null for the target built into the server,
 * which calls this directly. A later report for the same session replaces the earlier.
 */
export async function storeTargetViews(db: Executor, reporterId: number | null, views: readonly TargetView[]): Promise<void> {
  const rows = targetViewRows(reporterId, views);
  if (rows.length === 0) return;
  await db.execute(viewsInsert(rows));
}
