/**
 * Sealing an aggregate (db/schema.ts `ending_packs`, `attempt_lifetimes`, `duration_bins`;
 * db/queries/ending-bins.ts and report-bins.ts describe them). A trigger (migrations 0011,
 * 0012) marks the (hour, probe) pairs a write touched; a closed pair
 * is recomputed from its rows under a transaction-scoped advisory lock, and its mark is
 * removed only if no write bumped its version meanwhile. Any number of servers may seal at
 * once, and reads take dirty hours from the rows, so answers never depend on it.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn, PgTable } from 'drizzle-orm/pg-core';
import { ENDING_BUCKET_MS, SEAL_GRACE_MS } from '../../lib/rollups/ending-buckets';
import { DAY_MS } from '../../lib/retention/partitions';
import type { Db, Executor } from '../client';
import { rawSince } from './retention';
import { rowsOf } from './scope';

export interface SealOutcome {
  /** (hour, probe) pairs sealed. */
  sealed: number;
  /** Pairs left for a later pass: locked by another server, written meanwhile, or past `limit`. */
  left: number;
}

/** Hours, as the endings aggregate: the open hour read from the rows stays small. */
export const REPORT_BUCKET_MS = ENDING_BUCKET_MS;

interface DirtyTable extends PgTable {
  bucket: AnyPgColumn;
  probeId: AnyPgColumn;
  version: AnyPgColumn;
}

/** One sealed aggregate: its table, its marks, and the rows of one (hour, probe) as an INSERT's SELECT. */
export interface SealedAggregate {
  name: string;
  /** Advisory lock class (the other int is a hash of the hour and probe). */
  lockClass: number;
  table: PgTable & { bucket: AnyPgColumn; probeId: AnyPgColumn };
  dirty: DirtyTable;
  /**
   * The column list and SELECT of the pair's rows, and a statement to run first in the same
   * transaction (`before`: what the SELECT reads must exist, as a dictionary's entries).
   */
  aggregate: (bucket: Date, probeId: number) => { columns: SQL; select: SQL; before?: SQL };
}

/** Starts (ms) of the dirty hours of an aggregate that meet [from, to]. */
export async function dirtyHours(db: Executor, aggregate: SealedAggregate, from: Date, to: Date): Promise<number[]> {
  const d = aggregate.dirty;
  const floor = new Date(Math.floor(from.getTime() / REPORT_BUCKET_MS) * REPORT_BUCKET_MS);
  const rows = rowsOf<{ bucket: string | Date }>(
    await db.execute(sql`select distinct ${d.bucket} as bucket from ${d} where ${d.bucket} >= ${floor.toISOString()}::timestamptz and ${d.bucket} <= ${to.toISOString()}::timestamptz`),
  );
  return rows.map((r) => new Date(r.bucket).getTime());
}

export async function sealAggregate(db: Db, aggregate: SealedAggregate, options: { now: Date; limit?: number }): Promise<SealOutcome> {
  const limit = options.limit ?? 500;
  const d = aggregate.dirty;
  const closedBefore = new Date(options.now.getTime() - REPORT_BUCKET_MS - SEAL_GRACE_MS);
  // Hours whose rows retention may have dropped in part (a session ends up to a day after
  // the day it was attempted on) keep their aggregate: a late write there is not sealed in.
  const since = await rawSince(db);
  if (since) await db.execute(sql`delete from ${d} where ${d.bucket} < ${new Date(since.getTime() + DAY_MS).toISOString()}::timestamptz`);
  const due = rowsOf<{ bucket: string | Date; probe_id: number; version: string | number }>(
    await db.execute(sql`select ${d.bucket} as bucket, ${d.probeId} as probe_id, ${d.version} as version from ${d}
      where ${d.bucket} <= ${closedBefore.toISOString()}::timestamptz order by ${d.bucket}, ${d.probeId} limit ${limit + 1}`),
  );
  let sealed = 0;
  for (const r of due.slice(0, limit)) {
    if (await sealReportPair(db, aggregate, { bucket: new Date(r.bucket), probeId: Number(r.probe_id), version: Number(r.version) })) sealed += 1;
  }
  return { sealed, left: due.length - sealed };
}

/** Seal one (hour, probe) at the version read: false when locked elsewhere or written again meanwhile. */
export async function sealReportPair(db: Db, aggregate: SealedAggregate, pair: { bucket: Date; probeId: number; version: number }): Promise<boolean> {
  return db.transaction(async (tx) => {
    const key = `${pair.bucket.toISOString()}/${pair.probeId}`;
    const [lock] = rowsOf<{ locked: boolean }>(await tx.execute(sql`select pg_try_advisory_xact_lock(${aggregate.lockClass}, hashtext(${key})) as locked`));
    if (!lock?.locked) return false;
    const { table: t, dirty: d } = aggregate;
    const at = sql`${pair.bucket.toISOString()}::timestamptz`;
    await tx.execute(sql`delete from ${t} where ${t.bucket} = ${at} and ${t.probeId} = ${pair.probeId}`);
    const { columns, select, before } = aggregate.aggregate(pair.bucket, pair.probeId);
    // A statement of its own: under READ COMMITTED the SELECT's snapshot then sees what
    // `before` wrote and what a concurrent seal it waited on committed.
    if (before) await tx.execute(before);
    await tx.execute(sql`insert into ${t} (${columns}) ${select}`);
    const removed = rowsOf(await tx.execute(sql`delete from ${d} where ${d.bucket} = ${at} and ${d.probeId} = ${pair.probeId} and ${d.version} = ${pair.version} returning 1`));
    return removed.length > 0;
  });
}
