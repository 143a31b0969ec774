/**
 * Retention (issue 14): raw rows are kept DROPSCOPE_RETENTION_RAW (default 30 days), the
 * aggregates DROPSCOPE_RETENTION_AGGREGATES (default 400 days). One pass, run by any server
 * (under an advisory lock, so one at a time): creates the days of canary_sessions ahead of
 * the clock, drops the days past the raw horizon whole, and deletes by range what is not
 * partitioned (the ingest ledger, RTT minutes, the target's views, rows in the default
 * partition, and aggregates past theirs; the audit log with the aggregates; expired sign-in
 * sessions and verifications). lib/retention/partitions.ts plans the days.
 */
import { sql, type SQL } from 'drizzle-orm';
import { DAY_MS, DEFAULT_PARTITION, PARTITION_PREFIX, partitionDay, partitionName, planPartitions } from '../../lib/retention/partitions';
import type { Db, Executor } from '../client';
import { attemptLifetimes, attemptLifetimesDirty, attemptRollup, durationBins, durationBinsDirty, endingPacks, endingBinsDirty, ingestedEvents, rawRetention, rttMinutes, targetSessionViews } from '../schema';
import { findingDropMinutes, findingEgressNear, findingEgressRuns, findingLadderRungs, findingRefusals, findingSilentDeaths, rttHours } from '../schema';
import { auditLog, authSessions, authVerifications } from '../schema';
import { rowsOf } from './scope';
import { instant } from './literals';

/** Advisory lock of the retention pass (one server at a time): "rtn". */
const RETENTION_LOCK = 0x72_74_6e;

export interface RetentionPolicy {
  rawMs: number;
  aggregatesMs: number;
}

export interface RetentionOutcome {
  /** False when another server held the pass. */
  ran: boolean;
  created: string[];
  dropped: string[];
  /** Rows deleted from tables that are not partitioned, by table. */
  deleted: Record<string, number>;
}

/** The day partitions of canary_sessions, by name (the default partition is not one). */
export async function dayPartitions(db: Executor): Promise<string[]> {
  const rows = rowsOf<{ name: string }>(
    await db.execute(sql`select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = 'canary_sessions'::regclass and c.relname like ${`${PARTITION_PREFIX}%`}`),
  );
  return rows.map((r) => r.name).sort();
}

/**
 * Create the partition of one UTC day. Rows of that day already in the default partition
 * (written before the day had its own) are moved into it first, in the same transaction:
 * PostgreSQL refuses to attach a day the default partition still holds rows of.
 */
export async function createDayPartition(tx: Executor, dayMs: number): Promise<void> {
  const name = sql.identifier(partitionName(dayMs));
  const from = new Date(dayMs).toISOString();
  const to = new Date(dayMs + DAY_MS).toISOString();
  await tx.execute(sql`create table ${name} (like canary_sessions including defaults)`);
  await tx.execute(sql`with moved as (delete from ${sql.identifier(DEFAULT_PARTITION)} where attempted_at >= ${from}::timestamptz and attempted_at < ${to}::timestamptz returning *)
    insert into ${name} select * from moved`);
  await tx.execute(sql`alter table canary_sessions attach partition ${name} for values from (${sql.raw(`'${from}'`)}) to (${sql.raw(`'${to}'`)})`);
}

/** The instant before which raw rows may be gone; null when retention has dropped nothing yet. */
export async function rawSince(db: Executor): Promise<Date | null> {
  const [row] = await db.select({ at: rawRetention.rawSince }).from(rawRetention).limit(1);
  return row?.at ?? null;
}

/**
 * One retention pass at `now`, in short transactions of its own (dropping a day takes an
 * exclusive lock on canary_sessions for a moment: it must not wait behind the deletes),
 * each under the pass's advisory lock: a step another server is running is skipped here.
 */
export async function applyRetention(db: Db, now: Date, policy: RetentionPolicy): Promise<RetentionOutcome> {
  const outcome: RetentionOutcome = { ran: false, created: [], dropped: [], deleted: {} };
  const step = (fn: (tx: Executor) => Promise<void>) =>
    db.transaction(async (tx) => {
      const [lock] = rowsOf<{ locked: boolean }>(await tx.execute(sql`select pg_try_advisory_xact_lock(${RETENTION_LOCK}) as locked`));
      if (!lock?.locked) return;
      outcome.ran = true;
      await fn(tx);
    });
  const deleted = async (table: string, statement: SQL) =>
    step(async (tx) => {
      const [row] = rowsOf<{ n: string | number }>(await tx.execute(sql`with d as (${statement} returning 1) select count(*) as n from d`));
      if (Number(row?.n ?? 0) > 0) outcome.deleted[table] = Number(row!.n);
    });

  let horizon = now.getTime() - policy.rawMs;
  await step(async (tx) => {
    const plan = planPartitions(now.getTime(), policy.rawMs, await dayPartitions(tx));
    horizon = plan.horizon;
    for (const day of plan.create) {
      await createDayPartition(tx, day);
      outcome.created.push(partitionName(day));
    }
    if (plan.drop.length === 0) return;
    // Readers learn in the same transaction that rows before the last dropped day's end may be gone.
    const since = new Date(Math.max(...plan.drop.map((name) => partitionDay(name)!)) + DAY_MS);
    await tx.insert(rawRetention).values({ only: true, rawSince: since }).onConflictDoUpdate({ target: rawRetention.only, set: { rawSince: sql`greatest(${rawRetention.rawSince}, excluded.raw_since)` } });
    for (const name of plan.drop) {
      await tx.execute(sql`drop table ${sql.identifier(name)}`);
      outcome.dropped.push(name);
    }
  });
  const rawHorizon = instant(new Date(horizon));
  const aggregatesHorizon = instant(new Date(now.getTime() - policy.aggregatesMs));
  await deleted(DEFAULT_PARTITION, sql`delete from ${sql.identifier(DEFAULT_PARTITION)} where attempted_at < ${rawHorizon}`);
  // A replay older than the raw horizon finds its sessions gone: its ledger entries may go too.
  await deleted('ingested_events', sql`delete from ${ingestedEvents} where ${ingestedEvents.receivedAt} < ${rawHorizon}`);
  await deleted('rtt_minutes', sql`delete from ${rttMinutes} where ${rttMinutes.minute} < ${rawHorizon}`);
  await deleted('target_session_views', sql`delete from ${targetSessionViews} where ${targetSessionViews.endedAt} < ${rawHorizon}`);
  // (The sealer leaves the marks of hours before raw_since + a day: sealing them again would
  // undo their aggregate from what is left of their rows; db/queries/sealed-aggregate.ts.)
  for (const [name, table] of [['ending_packs', endingPacks], ['attempt_lifetimes', attemptLifetimes], ['duration_bins', durationBins], ['attempt_rollup', attemptRollup],
    ['finding_refusals', findingRefusals], ['finding_silent_deaths', findingSilentDeaths], ['finding_ladder_rungs', findingLadderRungs], ['finding_drop_minutes', findingDropMinutes], ['rtt_hours', rttHours], ['finding_egress_runs', findingEgressRuns], ['finding_egress_near', findingEgressNear]] as const) {
    await deleted(name, sql`delete from ${table} where ${table.bucket} < ${aggregatesHorizon}`);
  }
  for (const [name, table] of [['ending_bins_dirty', endingBinsDirty], ['attempt_lifetimes_dirty', attemptLifetimesDirty], ['duration_bins_dirty', durationBinsDirty]] as const) {
    await deleted(name, sql`delete from ${table} where ${table.bucket} < ${rawHorizon} - interval '1 day'`);
  }
  // Who changed what is kept as long as the aggregates it explains.
  await deleted('audit_log', sql`delete from ${auditLog} where ${auditLog.at} < ${aggregatesHorizon}`);
  // Sign-in state past its expiry: better-auth refuses it, and removes it only when presented.
  const nowAt = instant(now);
  await deleted('auth_sessions', sql`delete from ${authSessions} where ${authSessions.expiresAt} < ${nowAt}`);
  await deleted('auth_verifications', sql`delete from ${authVerifications} where ${authVerifications.expiresAt} < ${nowAt}`);
  return outcome;
}
