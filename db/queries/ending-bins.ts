/**
 * The endings aggregate (db/schema.ts `ending_bins`, lib/rollups/ending-buckets.ts): sealing
 * dirty hours from the session rows, and the reads that split a range between the aggregate
 * and the rows.
 *
 * Sealed rather than kept at ingest by difference: ingest writes nothing but the dirty
 * mark (a trigger, one small upsert per batch), and the aggregate of an hour is by
 * construction the GROUP BY of its rows, defined once, below.
 */
import { and, gte, isNotNull, lt, sql, type SQL } from 'drizzle-orm';
import { BIN_MS } from '../../lib/analysis/analyze';
import type { DashboardScope } from '../../lib/dashboard/scope';
import { ENDING_BUCKET_MS, splitEndings, type Interval } from '../../lib/rollups/ending-buckets';
import type { Db, Executor } from '../client';
import { canarySessions as s, endingBins as eb, endingBinsDirty as dirty } from '../schema';
import type { EndingSplit } from '../../lib/rollups/ending-buckets';
import { AGE, IDLE, dropFilterIn } from './drop-values';
import { binIndex, histogram, parseBins, type Histogram } from './histogram';
import { runReads } from './reads';
import { pathFilters, rowsOf, within } from './scope';
import { dirtyHours, sealAggregate, sealReportPair, type SealedAggregate, type SealOutcome } from './sealed-aggregate';

/** Advisory lock class of a seal (the other int is a hash of the hour and probe). */
const SEAL_LOCK_CLASS = 0x0e_b1_75;

/**
 * How [from, to) of the endings splits between the aggregate and the rows: the hours in it
 * that are dirty (written since their seal, or still open) are read from the rows.
 */
export async function endingSplit(db: Executor, from: Date, to: Date): Promise<EndingSplit> {
  return splitEndings(from, to, await dirtyHours(db, ENDING_AGGREGATE, from, to));
}

/** The aggregate rows of the scope's paths in the sealed hours. */
export function sealedFilter(scope: DashboardScope, sealed: readonly Interval[]): SQL {
  return and(within(eb.bucket, sealed), ...pathFilters(eb, scope))!;
}

/** A scope's drops in BIN_MS bins, by age and by idle time. */
export interface DropBins100 {
  /** Filled bins by `floor(age / BIN_MS)`, ascending. */
  age: { bin: number; count: number }[];
  /** Filled bins by `floor(idle / BIN_MS)`, ascending (silent deaths have no idle time). */
  idle: { bin: number; count: number }[];
  /** Drops without an age (silent deaths with nothing received after the 101). */
  unaged: number;
  /** The longest age; null when no drop has one. */
  maxAgeMs: number | null;
}

/**
 * The scope's drops in BIN_MS bins: the sealed hours' from the aggregate, the rest of the
 * range counted from the rows (`histogram`, as every drop histogram bins), added bin by bin.
 */
export async function dropBinsIn(db: Executor, scope: DashboardScope, split: EndingSplit, concurrent: boolean): Promise<DropBins100> {
  const where = dropFilterIn(scope, split.raw);
  const none: Histogram = { bins: [], nulls: 0, max: null };
  const [sealed, age, idle] = await runReads(concurrent, [
    () => sealedDropBins(db, scope, split.sealed),
    () => (split.raw.length > 0 ? histogram(db, AGE, where, BIN_MS) : Promise.resolve(none)),
    () => (split.raw.length > 0 ? histogram(db, IDLE, where, BIN_MS) : Promise.resolve(none)),
  ] as const);
  const add = (a: readonly { bin: number; count: number }[], b: readonly { bin: number; count: number }[]) => {
    const sum = new Map<number, number>();
    for (const r of [...a, ...b]) sum.set(r.bin, (sum.get(r.bin) ?? 0) + r.count);
    return [...sum].map(([bin, count]) => ({ bin, count })).sort((x, y) => x.bin - y.bin);
  };
  const maxes = [sealed.maxAgeMs, age.max].filter((m): m is number => m !== null);
  return { age: add(age.bins, sealed.age), idle: add(idle.bins, sealed.idle), unaged: age.nulls + sealed.unaged, maxAgeMs: maxes.length > 0 ? Math.max(...maxes) : null };
}

/**
 * The sealed hours' part of dropBinsIn, sent back as one row of "bin:count" lists (as
 * `histogram` does: tens of thousands of rows cost more to parse than to count).
 */
async function sealedDropBins(db: Executor, scope: DashboardScope, sealed: readonly Interval[]): Promise<DropBins100> {
  if (sealed.length === 0) return { age: [], idle: [], unaged: 0, maxAgeMs: null };
  const [row] = rowsOf<{ age: string | null; idle: string | null; unaged: string | number | null; max: string | number | null }>(
    await db.execute(sql`select string_agg(bin::text || ':' || drops::text, ',') filter (where bin is not null and drops > 0) as age,
        string_agg(bin::text || ':' || idle::text, ',') filter (where bin is not null and idle > 0) as idle,
        coalesce(sum(drops) filter (where bin is null), 0) as unaged, max(max_age) as max
      from (select ${eb.bin} as bin, sum(${eb.drops}) as drops, sum(${eb.idleDrops}) as idle, max(${eb.maxAgeMs}) as max_age from ${eb}
            where ${sealedFilter(scope, sealed)} group by ${eb.bin}) as g`),
  );
  return { age: parseBins(row?.age ?? null), idle: parseBins(row?.idle ?? null), unaged: Number(row?.unaged ?? 0), maxAgeMs: row?.max == null ? null : Number(row.max) };
}

/** The endings aggregate, sealed as every aggregate of ours is (db/queries/sealed-aggregate.ts). */
export const ENDING_AGGREGATE: SealedAggregate = {
  name: 'ending_bins',
  lockClass: SEAL_LOCK_CLASS,
  table: eb,
  dirty,
  aggregate: (bucket, probeId) => ({
    columns: sql.raw('bucket, probe_id, target_name, proxy_name, profile, profile_kind, gap_ms, bin, sessions, drops, idle_drops, max_age_ms'),
    select: hourAggregate(bucket, probeId),
  }),
};

/**
 * Seal up to `limit` dirty (hour, probe) pairs whose hour closed SEAL_GRACE_MS before `now`,
 * oldest first (sealAggregate).
 */
export function sealEndingBins(db: Db, options: { now: Date; limit?: number }): Promise<SealOutcome> {
  return sealAggregate(db, ENDING_AGGREGATE, options);
}

/** Seal one (hour, probe) at the version read: false when locked elsewhere or written again meanwhile. */
export function sealPair(db: Db, pair: { bucket: Date; probeId: number; version: number }): Promise<boolean> {
  return sealReportPair(db, ENDING_AGGREGATE, pair);
}

/**
 * The aggregate of one (hour, probe), as rows of ending_bins: the one definition of what the
 * aggregate holds. Each ended session counts once at its age bin (sessions; drops when not
 * closed by the probe) and each drop once at its idle bin.
 */
function hourAggregate(bucket: Date, probeId: number): SQL {
  const hour = and(isNotNull(s.endKind), gte(s.endedAt, bucket), lt(s.endedAt, new Date(bucket.getTime() + ENDING_BUCKET_MS)), sql`${s.probeId} = ${probeId}`)!;
  const path = sql`${s.probeId} as probe_id, ${s.targetName} as target_name, ${s.proxyName} as proxy_name, ${s.profile} as profile, ${s.profileKind} as profile_kind, ${s.gapMs} as gap_ms`;
  const dropped = sql`(${s.endKind} <> 'probe_closed')`;
  return sql`select ${bucket.toISOString()}::timestamptz, probe_id, target_name, proxy_name, profile, profile_kind, gap_ms, bin,
      sum(n_sessions)::int, sum(n_drops)::int, sum(n_idle)::int, max(drop_age)
    from (select ${path}, ${binIndex(AGE, BIN_MS)} as bin, 1 as n_sessions, ${dropped}::int as n_drops, 0 as n_idle,
            case when ${dropped} then ${AGE} end as drop_age from ${s} where ${hour}
          union all
          select ${path}, ${binIndex(IDLE, BIN_MS)} as bin, 0, 0, 1, null from ${s} where ${hour} and ${dropped}) as x
    group by probe_id, target_name, proxy_name, profile, profile_kind, gap_ms, bin`;
}
