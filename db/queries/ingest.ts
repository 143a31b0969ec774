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
import { eq, sql, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { DEFAULT_INGEST_LIMITS, instantMs, samplesOutside, type IngestEvent, type IngestLimits, type IngestResult, type RttSamples } from '../../lib/contracts/ingest';
import type { Db, Executor, Tx } from '../client';
import { probes } from '../schema';
import { mergeResult, mergeStatement, viewsInsert, type MergeInput, type MergeResult } from './ingest-merge';
import { batchRows, targetViewRows, type BatchRows, type TargetView } from './ingest-rows';
import { closeLostSessions } from './ingest-lost';
import { openSessionsReport, type OpenSessionsReport } from '../../lib/ingest/open-sessions-report';
import type { ProbeKind } from './probes';

export { sessionRows } from './ingest-rows';

export interface StoredBatch extends IngestResult {
  /** The events this request stored (duplicates left out), for the live feed. */
  applied: IngestEvent[];
}

export interface StoreOptions {
  /** Who posts (default a probe named by its id): decides which target views it may write. */
  reporter?: { kind: ProbeKind; name: string };
  /** The skew and longest duration RTT samples are checked with (default DEFAULT_INGEST_LIMITS). */
  limits?: Pick<IngestLimits, 'skewMs' | 'maxDurationMs'>;
}

/** What one attempt needs besides the rows. */
interface Attempt {
  probeId: number;
  now: Date;
  reporter: MergeInput['reporter'];
  limits: Pick<IngestLimits, 'skewMs' | 'maxDurationMs'>;
}

/**
 * Store `events` from probe `probeId` in one transaction (two when an id was stored before:
 * the first keeps nothing). Events whose id was stored before (by this or an earlier
 * request) are skipped and counted as duplicates.
 * @throws ProbeGoneError when the probe was deleted before the batch was stored.
 * @throws SessionConflictError when the batch writes a session (or a target view) that is
 *   another reporter's; nothing was kept.
 * @throws RttOutsideSessionError when RTT samples lie outside their stored session's span;
 *   nothing was kept.
 */
export async function storeBatch(db: Db, probeId: number, events: readonly IngestEvent[], now: Date, options: StoreOptions = {}): Promise<StoredBatch> {
  const unique = new Map<string, IngestEvent>();
  for (const e of events) if (!unique.has(e.id)) unique.set(e.id, e);
  const all = [...unique.values()];
  // Built before the transaction opens, on the assumption that every event is new: it is
  // held for the statements only, not for this work.
  const rows = batchRows(probeId, all, now);
  const attempt: Attempt = { probeId, now, reporter: options.reporter ?? { kind: 'probe', name: String(probeId) }, limits: options.limits ?? DEFAULT_INGEST_LIMITS };

  const ids = [...unique.keys()];
  let applied: IngestEvent[];
  try {
    // The usual batch holds only new ids: its ledger rows are inserted plainly, without
    // ON CONFLICT's check of each id before its insert (about a third of the ledger's cost).
    applied = await db.transaction((tx) => apply(tx, attempt, { ids, assumeNew: true }, all, rows));
  } catch (err) {
    // A replayed id failed that on the ledger's key and nothing was kept: again, counting
    // the duplicates (a replay is rare: a probe resending what it sent before an answer was lost).
    if (!isLedgerConflict(err)) throw err;
    applied = await db.transaction((tx) => apply(tx, attempt, { ids, assumeNew: false }, all, rows));
  }
  return { accepted: applied.length, duplicates: events.length - applied.length, applied };
}

/** The merge statement for `events` (whose rows are `rows`) in one attempt. */
function merge(a: Attempt, ledger: MergeInput['ledger'], events: readonly IngestEvent[], rows: BatchRows): SQL {
  const batchSessionIds = rows.sessions.map((r) => r.id);
  return mergeStatement({ probeId: a.probeId, now: a.now, ledger, rows, reporter: a.reporter, batchSessionIds, rttLookup: rttLookup(events, batchSessionIds, a.limits) });
}

/**
 * The sessions whose samples `events` carry without the session's own events, and the
 * range of attempted_at they can have begun in: up to the longest duration (plus the skew)
 * before their first sample, up to the skew after their last. Null when there are none.
 */
function rttLookup(events: readonly IngestEvent[], batchSessionIds: readonly string[], limits: Attempt['limits']): MergeInput['rttLookup'] {
  const inBatch = new Set(batchSessionIds);
  const ids = new Set<string>();
  let first = Infinity;
  let last = -Infinity;
  for (const e of events) {
    if (e.type !== 'rtt.samples' || inBatch.has(e.sessionId)) continue;
    ids.add(e.sessionId);
    for (const s of e.samples) {
      const t = instantMs(s.at);
      if (t < first) first = t;
      if (t > last) last = t;
    }
  }
  if (ids.size === 0) return null;
  return {
    ids: [...ids],
    from: new Date(first - limits.maxDurationMs - limits.skewMs).toISOString(),
    to: new Date(last + limits.skewMs).toISOString(),
  };
}

/**
 * Refuse what one statement found (the transaction then rolls back: nothing is kept):
 * another reporter's sessions or views, RTT samples outside their stored session's span.
 */
function refuse(result: MergeResult, events: readonly IngestEvent[], limits: Attempt['limits']): void {
  if (result.foreignSessions.length > 0 || result.viewConflicts.length > 0) throw new SessionConflictError(result.foreignSessions, result.viewConflicts);
  if (result.rttSpans.length === 0) return;
  const spans = new Map<string, { start: number; end: number | undefined }[]>();
  for (const s of result.rttSpans) {
    const list = spans.get(s.id) ?? [];
    list.push({ start: Date.parse(s.attemptedAt), end: s.endedAt === null ? undefined : Date.parse(s.endedAt) });
    spans.set(s.id, list);
  }
  const outside: { event: RttSamples; index: number; message: string }[] = [];
  for (const e of events) {
    if (e.type !== 'rtt.samples') continue;
    const list = spans.get(e.sessionId);
    if (!list) continue;
    // With several rows of one session id (one per attempt), a sample inside any is fine.
    const [first, ...others] = list.map((span) => samplesOutside(e.samples, span.start, span.end, limits.skewMs));
    for (const problem of first ?? []) {
      if (others.every((o) => o.some((p) => p.index === problem.index))) outside.push({ event: e, ...problem });
    }
  }
  if (outside.length > 0) throw new RttOutsideSessionError(outside);
}

/** One attempt at storing a batch, in transaction `tx`: the events it applied. */
async function apply(tx: Tx, a: Attempt, ledger: MergeInput['ledger'], all: IngestEvent[], rows: BatchRows): Promise<IngestEvent[]> {
  const { probeId, now } = a;
  // A heartbeat listing the probe's open sessions closes the others as lost, dated by when
  // the probe was heard from before this batch (read before the merge moves it).
  const listed = openSessionsReport(all);
  const lastHeard = listed ? ((await tx.select({ at: probes.lastSeenAt }).from(probes).where(eq(probes.id, probeId)))[0]?.at ?? null) : null;
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
  const merging = executePrepared(tx, merge(a, ledger, all, rows));
  // A gone probe is told as such, not as whatever the merge then failed on.
  merging.catch(() => {});
  if (rowCount(await locking) === 0) throw new ProbeGoneError(probeId);
  const result = mergeResult(await merging);
  refuse(result, all, a.limits);
  if (result.applied) return closeLost(tx, a, all, listed, lastHeard);
  // Some ids were in the ledger already (a replay): apply only the events that were not.
  const fresh = new Set(result.freshIds);
  const rest = all.filter((e) => fresh.has(e.id));
  if (rest.length === 0) return rest;
  refuse(mergeResult(await executePrepared(tx, merge(a, null, rest, batchRows(probeId, rest, now)))), rest, a.limits);
  return closeLost(tx, a, rest, listed && openSessionsReport(rest), lastHeard);
}

/** After the batch's own ends are merged: its newest listing heartbeat's unlisted sessions closed as lost (db/queries/ingest-lost.ts). */
async function closeLost(tx: Tx, a: Attempt, applied: IngestEvent[], listed: OpenSessionsReport | null, lastHeard: Date | null): Promise<IngestEvent[]> {
  if (listed && a.reporter.kind === 'probe') await closeLostSessions(tx, a.probeId, listed, { lastHeard, now: a.now });
  return applied;
}

/** Whether `err` is a unique violation on the ledger's key (drizzle wraps the driver's error in `cause`). */
function isLedgerConflict(err: unknown): boolean {
  for (let e = err as DriverError | undefined, depth = 0; e && depth < 5; e = e.cause as DriverError | undefined, depth++) {
    // postgres.js names the constraint `constraint_name`, PGlite `constraint`.
    if (e.code === '23505' && (e.constraint_name ?? e.constraint) === LEDGER_KEY) return true;
  }
  return false;
}
type DriverError = { code?: unknown; constraint_name?: unknown; constraint?: unknown; column_name?: unknown; column?: unknown; cause?: unknown };
const LEDGER_KEY = 'ingested_events_probe_id_event_id_pk';

/**
 * The batch writes sessions another probe holds (`sessions`: ids of canary_sessions rows,
 * keyed by id and attempt), or target views its reporter may not write (`views`: session
 * ids). Nothing was kept. A session id belongs to the probe that first wrote it: before
 * this, such events were answered "accepted" and silently left out.
 */
export class SessionConflictError extends Error {
  readonly code = 'INGEST_ERR_CONFLICT';
  constructor(
    readonly sessions: readonly string[],
    readonly views: readonly string[],
  ) {
    super(`the batch writes ${sessions.length + views.length} session(s) that belong to another reporter; nothing was kept`);
    this.name = 'SessionConflictError';
  }
}

/** RTT samples outside the span of the stored session they belong to; nothing was kept. */
export class RttOutsideSessionError extends Error {
  readonly code = 'INGEST_ERR_RTT_OUTSIDE_SESSION';
  constructor(readonly samples: readonly { event: RttSamples; index: number; message: string }[]) {
    super(`${samples.length} RTT sample(s) lie outside their session's span; nothing was kept`);
    this.name = 'RttOutsideSessionError';
  }
}

/**
 * A statement the database refused for the data it carried (SQLSTATE class 22, data
 * exception: a value out of range, an invalid text representation; class 23, integrity:
 * a check or not-null violation), as opposed to a failure of the database itself. The
 * contract is meant to refuse such data first; this is the net under it, so bad data is
 * a 400 the probe can dead-letter, never a 500 it resends forever.
 */
export interface RefusedData {
  sqlstate: string;
  message: string;
  /** The column, when the driver names it (postgres.js `column_name`, PGlite `column`). */
  column: string | undefined;
  constraint: string | undefined;
}

export function refusedData(err: unknown): RefusedData | null {
  for (let e = err as DriverError | undefined, depth = 0; e && depth < 5; e = e.cause as DriverError | undefined, depth++) {
    if (typeof e.code !== 'string' || !/^2[23][0-9A-Z]{3}$/.test(e.code)) continue;
    if (e.code === '23505' && (e.constraint_name ?? e.constraint) === LEDGER_KEY) return null;
    const text = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
    return {
      sqlstate: e.code,
      message: text((e as { message?: unknown }).message) ?? e.code,
      column: text(e.column_name) ?? text(e.column),
      constraint: text(e.constraint_name) ?? text(e.constraint),
    };
  }
  return null;
}

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
