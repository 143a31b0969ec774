/**
 * Storing a probe's batch: all of it or none of it, each event id once.
 *
 * Set-based and in as few round trips as the guarantees allow (issue 14): the events are
 * merged into rows in memory (db/queries/ingest-rows.ts), then one transaction runs the
 * per-probe lock and ONE statement that writes the ledger, the session rows, the rollups,
 * the RTT minutes, the probe's last sight and the target's views (db/queries/ingest-merge.ts).
 * The statement is prepared, so PostgreSQL plans it once per connection. A replayed batch
 * fails its first attempt on the ledger's key (nothing kept), then takes a second
 * transaction that counts the duplicates and a statement for the events that were new. The old path, ten
 * statements per batch with JS in between, spent most of its time in round trips, parsing
 * and planning, and a select whose plan read every session row of the probe.
 */
import { sql, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import type { IngestEvent, IngestResult } from '../../lib/contracts/ingest';
import type { Db, Executor, Tx } from '../client';
import { probes } from '../schema';
import { mergeResult, mergeStatement, viewsInsert, type MergeInput } from './ingest-merge';
import { batchRows, targetViewRows, type BatchRows, type TargetView } from './ingest-rows';

export { sessionRows } from './ingest-rows';

export interface StoredBatch extends IngestResult {
  /** The events this request stored (duplicates left out), for the live feed. */
  applied: IngestEvent[];
}

/**
 * Store `events` from probe `probeId` in one transaction (two when an id was stored before:
 * the first keeps nothing). Events whose id was stored before (by this or an earlier
 * request) are skipped and counted as duplicates.
 * @throws ProbeGoneError when the probe was deleted before the batch was stored.
 */
export async function storeBatch(db: Db, probeId: number, events: readonly IngestEvent[], now: Date): Promise<StoredBatch> {
  const unique = new Map<string, IngestEvent>();
  for (const e of events) if (!unique.has(e.id)) unique.set(e.id, e);
  const all = [...unique.values()];
  // Built before the transaction opens, on the assumption that every event is new: it is
  // held for the statements only, not for this work.
  const rows = batchRows(probeId, all, now);

  const ids = [...unique.keys()];
  let applied: IngestEvent[];
  try {
    // The usual batch holds only new ids: its ledger rows are inserted plainly, without
    // ON CONFLICT's check of each id before its insert (about a third of the ledger's cost).
    applied = await db.transaction((tx) => apply(tx, probeId, now, { ids, assumeNew: true }, all, rows));
  } catch (err) {
    // A replayed id failed that on the ledger's key and nothing was kept: again, counting
    // the duplicates (a replay is rare: a probe resending what it sent before an answer was lost).
    if (!isLedgerConflict(err)) throw err;
    applied = await db.transaction((tx) => apply(tx, probeId, now, { ids, assumeNew: false }, all, rows));
  }
  return { accepted: applied.length, duplicates: events.length - applied.length, applied };
}

/** One attempt at storing a batch, in transaction `tx`: the events it applied. */
async function apply(tx: Tx, probeId: number, now: Date, ledger: MergeInput['ledger'], all: IngestEvent[], rows: BatchRows): Promise<IngestEvent[]> {
  // One batch of a probe at a time: the rollups are kept by difference (what a session
  // row counted before this batch, what it counts after), which needs the "before" to
  // stay true until commit, also for rows a concurrent batch of the same probe would
  // insert. A probe's reporter sends one batch at a time anyway; other probes never wait.
  // The lock is its own statement, before the one that reads "before", so that one's
  // snapshot is taken after the lock (and after the previous batch's commit). Both are
  // sent at once: the driver pipelines them on the transaction's connection.
  // The same statement takes the KEY SHARE lock on the probe's row that a foreign key
  // check takes, once per batch instead of once per ledger row (migration 0017): a
  // concurrent delete of the probe waits for this commit, then its trigger deletes the
  // ledger rows written here; a probe deleted before it answers no row.
  const locking = executePrepared(
    tx,
    sql`select pg_advisory_xact_lock(${ADVISORY_LOCK_SPACE}::integer, ${probeId}::integer) from ${probes} where ${probes.id} = ${probeId}::integer for key share`,
  );
  const merging = executePrepared(tx, mergeStatement({ probeId, now, ledger, rows }));
  // A gone probe is told as such, not as whatever the merge then failed on.
  merging.catch(() => {});
  if (rowCount(await locking) === 0) throw new ProbeGoneError(probeId);
  const result = mergeResult(await merging);
  if (result.applied) return all;
  // Some ids were in the ledger already (a replay): apply only the events that were not.
  const fresh = new Set(result.freshIds);
  const rest = all.filter((e) => fresh.has(e.id));
  if (rest.length === 0) return rest;
  await executePrepared(tx, mergeStatement({ probeId, now, ledger: null, rows: batchRows(probeId, rest, now) }));
  return rest;
}

/** Whether `err` is a unique violation on the ledger's key (drizzle wraps the driver's error in `cause`). */
function isLedgerConflict(err: unknown): boolean {
  for (let e = err as DriverError | undefined, depth = 0; e && depth < 5; e = e.cause as DriverError | undefined, depth++) {
    // postgres.js names the constraint `constraint_name`, PGlite `constraint`.
    if (e.code === '23505' && (e.constraint_name ?? e.constraint) === LEDGER_KEY) return true;
  }
  return false;
}
type DriverError = { code?: unknown; constraint_name?: unknown; constraint?: unknown; cause?: unknown };
const LEDGER_KEY = 'ingested_events_probe_id_event_id_pk';

/** The probe a batch was authenticated as was deleted before the batch was stored; nothing was kept. */
export class ProbeGoneError extends Error {
  readonly code = 'INGEST_ERR_PROBE_GONE';
  constructor(probeId: number) {
    super(`probe ${probeId} no longer exists; nothing was kept`);
    this.name = 'ProbeGoneError';
  }
}

/**
 * Run `query` as a named prepared statement where the driver keeps them (postgres.js: per
 * connection and query text), so PostgreSQL parses and plans the ingest statement once per
 * connection and shape instead of once per batch (about 2-3 ms of its CPU each time; the
 * shapes are few: with or without the ledger, RTT rows, views, a heartbeat). drizzle's
 * `execute` never prepares; PGlite's driver runs it as any other statement.
 */
function executePrepared(tx: Tx, query: SQL): Promise<unknown> {
  return tx._.session.prepareQuery(dialect.sqlToQuery(query), undefined, 'ingest_merge', false).execute();
}
const dialect = new PgDialect({ casing: 'snake_case' });

/** Rows a statement answered, as the driver returns them (postgres.js: rows; PGlite: { rows }). */
function rowCount(raw: unknown): number {
  return (Array.isArray(raw) ? raw : (raw as { rows: unknown[] }).rows).length;
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
