/**
 * The endings aggregate (db/schema.ts `ending_packs`, lib/rollups/ending-buckets.ts and
 * ending-pack.ts): sealing dirty hours from the session rows, and the reads that split a
 * range between the aggregate and the rows.
 *
 * Sealed rather than kept at ingest by difference: ingest writes nothing but the dirty
 * mark (a trigger, one small upsert per batch), and the aggregate of an hour is by
 * construction the GROUP BY of its rows, defined once, below.
 */
import { and, gte, isNotNull, lt, sql, type SQL } from 'drizzle-orm';
import { BIN_MS } from '../../lib/analysis/analyze';
import type { DashboardScope } from '../../lib/dashboard/scope';
import { ENDING_BUCKET_MS, splitEndings, type Interval } from '../../lib/rollups/ending-buckets';
import { decodePack, MAX_BIN, MIN_BIN, NULL_BIN, readPathList, type EndingPack, type PackPathFilter, type PackPaths } from '../../lib/rollups/ending-pack';
import { centredBins, packDropBinsMapped, packDropBinsMappedAll, packMaxAgeMs, RELATIVE_BINS, type BinCounts, type PackedDropBins } from '../../lib/rollups/pack-drop-bins';
import type { Db, Executor } from '../client';
import { endKinds } from '../../lib/contracts/ingest';
import { endingPathIds, readEndings } from '../../lib/rollups/pack-endings';
import { canarySessions as s, endingPacks as ep, endingPackPaths as pp, endingBinsDirty as dirty } from '../schema';
import type { EndingSplit } from '../../lib/rollups/ending-buckets';
import { rebinCentred } from '../../lib/drops/bins';
import { AGE, IDLE, dropFilterIn } from './drop-values';
import { binIndex, histogram, type Histogram } from './histogram';
import { runReads } from './reads';
import { probeFilters, rowsOf, within } from './scope';
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

/**
 * The sealed hours' packs of the scope's probes, decoded; the scope's other path filters
 * (target, proxy, profile) are applied to their paths by the readers (`packFilter`). Two
 * reads: the packs, then the paths they name (a few thousand rows, however many packs).
 * `endings`: with their drops by end kind and close code (the drops page).
 */
export async function sealedPacks(db: Executor, scope: DashboardScope, sealed: readonly Interval[], options: { endings?: boolean } = {}): Promise<EndingPack[]> {
  if (sealed.length === 0) return [];
  const endings = options.endings ? sql`encode(${ep.endings}, 'base64')` : sql`null`;
  const rows = rowsOf<{ bucket: string | number; probe_id: number; path_list: string; cells: string; endings: string | null }>(
    await db.execute(sql`select (extract(epoch from ${ep.bucket}) * 1000)::float8 as bucket, ${ep.probeId} as probe_id, encode(${ep.pathList}, 'base64') as path_list,
        encode(${ep.cells}, 'base64') as cells, ${endings} as endings from ${ep}
      where ${and(within(ep.bucket, sealed), ...probeFilters(ep.probeId, scope))}`),
  );
  if (rows.length === 0) return [];
  const lists = rows.map((r) => readPathList(r.path_list));
  const ended = rows.map((r) => (r.endings === null ? null : Buffer.from(r.endings, 'base64')));
  const ids = new Set<number>();
  for (const list of lists) for (const id of list.ids) ids.add(id);
  for (const bytes of ended) if (bytes) for (const id of endingPathIds(bytes)) ids.add(id);
  const paths = await packPaths(db, [...ids]);
  return rows.map((r, i) => {
    const pack = decodePack({ bucket: Number(r.bucket), probeId: Number(r.probe_id), pathList: lists[i]!, cellsBase64: r.cells }, paths);
    const bytes = ended[i];
    return bytes ? { ...pack, endings: readEndings(bytes, paths) } : pack;
  });
}

/** The paths with these ids (ending_pack_paths), by id. */
async function packPaths(db: Executor, ids: readonly number[]): Promise<PackPaths> {
  const rows = rowsOf<{ id: number; target_name: string; proxy_name: string; profile: string; profile_kind: string | null; gap_ms: number | string | null }>(
    await db.execute(sql`select ${pp.id} as id, ${pp.targetName} as target_name, ${pp.proxyName} as proxy_name, ${pp.profile} as profile, ${pp.profileKind} as profile_kind, ${pp.gapMs} as gap_ms
      from ${pp} where ${pp.id} = any(${`{${ids.join(',')}}`}::int4[])`),
  );
  return new Map(rows.map((r) => [Number(r.id), { id: Number(r.id), target: r.target_name, proxy: r.proxy_name, profile: r.profile, profileKind: r.profile_kind, gapMs: r.gap_ms === null ? null : Number(r.gap_ms) }]));
}

/** The scope's filters that a pack's paths answer. */
export function packFilter(scope: DashboardScope): PackPathFilter {
  return { ...(scope.target && { target: scope.target }), ...(scope.proxy && { proxy: scope.proxy }), ...(scope.profile && { profile: scope.profile }) };
}

/**
 * What the analysis finds its windows in: a scope's drops by age and by idle time, the
 * aggregate's in relative bins (each at its first BIN_MS bin, RELATIVE_BINS) and the rows'
 * in BIN_MS bins, added by bin in ascending order (toRelativeBins sums them alike).
 */
export interface WindowBins {
  age: BinCounts;
  /** Silent deaths have no idle time. */
  idle: BinCounts;
  /** Drops without an age (silent deaths with nothing received after the 101). */
  unaged: number;
  /** The longest age; null when no drop has one. */
  maxAgeMs: number | null;
}

/** What a drop pass reads: the sealed hours' packs and the rest of the range's drops counted from the rows. */
interface DropRead {
  packs: EndingPack[];
  rows: { age: Histogram; idle: Histogram };
}

/**
 * The scope's drops: the sealed hours' packs (read already when `packs` is given,
 * sealedPacks) and the rest of the range counted from the rows in BIN_MS bins
 * (`histogram`, as every drop histogram bins).
 */
async function readDrops(db: Executor, scope: DashboardScope, split: EndingSplit, concurrent: boolean, packs?: Promise<EndingPack[]>): Promise<DropRead> {
  const where = dropFilterIn(scope, split.raw);
  const none: Histogram = { bins: [], nulls: 0, max: null };
  const [read, age, idle] = await runReads(concurrent, [
    () => packs ?? sealedPacks(db, scope, split.sealed),
    () => (split.raw.length > 0 ? histogram(db, AGE, where, BIN_MS) : Promise.resolve(none)),
    () => (split.raw.length > 0 ? histogram(db, IDLE, where, BIN_MS) : Promise.resolve(none)),
  ] as const);
  return { packs: read, rows: { age, idle } };
}

/** The longest of two longest ages, either null when there is none. */
function longest(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.max(a, b);
}

/** The window bins of a read, its packs summed into relative bins already (`sealed`). */
function windowBinsOf(read: DropRead, sealed: PackedDropBins): WindowBins {
  const { age, idle } = read.rows;
  return { age: mergeBins(age.bins, sealed.age), idle: mergeBins(idle.bins, sealed.idle), unaged: age.nulls + sealed.unaged, maxAgeMs: longest(sealed.maxAgeMs, age.max) };
}

/** The scope's drops for the analysis' windows (WindowBins). */
export async function windowBinsIn(db: Executor, scope: DashboardScope, split: EndingSplit, concurrent: boolean, packs?: Promise<EndingPack[]>): Promise<WindowBins> {
  const read = await readDrops(db, scope, split, concurrent, packs);
  return windowBinsOf(read, packDropBinsMapped(read.packs, packFilter(scope), RELATIVE_BINS));
}

/** The drops page's pass (dropPassIn): its bars and the analysis' bins, from one read. */
export interface DropPass {
  binWidthMs: number;
  /** Centred bins of binWidthMs (lib/drops/bins.ts `rebinCentred`), by age and by idle time. */
  age: BinCounts;
  idle: BinCounts;
  windows: WindowBins;
}

/**
 * The drops page's bars of a width that `widthOf` picks from the longest age, and the
 * analysis' bins, from one read: the longest age from the packs' path lists and the rows,
 * then the sealed hours' cells summed in one pass straight into both (packDropBinsMappedAll),
 * the rest of the range counted from the rows in BIN_MS bins and summed into both. Never a
 * list of BIN_MS bins of the whole range (a week at 1M sessions: 160,000 of them, and two
 * arrays of 1.78M to sum them). Null when the width picked is not an even number of BIN_MS
 * bins: its centred bins need finer ones.
 */
export async function dropPassIn(db: Executor, scope: DashboardScope, split: EndingSplit, concurrent: boolean, packs: Promise<EndingPack[]>, widthOf: (maxAgeMs: number | null) => number): Promise<DropPass | null> {
  const read = await readDrops(db, scope, split, concurrent, packs);
  const filter = packFilter(scope);
  const binWidthMs = widthOf(longest(packMaxAgeMs(read.packs, filter), read.rows.age.max));
  if (binWidthMs % (2 * BIN_MS) !== 0) return null;
  const [relative, bars] = packDropBinsMappedAll(read.packs, filter, [RELATIVE_BINS, centredBins(binWidthMs / BIN_MS)]);
  const { age, idle } = read.rows;
  return {
    binWidthMs,
    age: mergeBins(rebinCentred(age.bins, BIN_MS, binWidthMs), bars!.age),
    idle: mergeBins(rebinCentred(idle.bins, BIN_MS, binWidthMs), bars!.idle),
    windows: windowBinsOf(read, relative!),
  };
}

/**
 * Two lists of filled bins, each in ascending order (`histogram` sorts the rows', the packs'
 * come so), added bin by bin: one merge pass, where a map of a week's 160k bins cost
 * ~60 ms an analysis.
 */
function mergeBins(rows: readonly { bin: number; count: number }[], sealed: BinCounts): BinCounts {
  if (rows.length === 0) return sealed;
  const a = rows;
  const out: BinCounts = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < sealed.length) {
    const x = a[i];
    const y = sealed[j];
    if (y === undefined || (x !== undefined && x.bin < y.bin)) {
      out.push({ bin: x!.bin, count: x!.count });
      i++;
    } else if (x === undefined || y.bin < x.bin) {
      out.push(y);
      j++;
    } else {
      out.push({ bin: x.bin, count: x.count + y.count });
      i++;
      j++;
    }
  }
  return out;
}

/** The endings aggregate, sealed as every aggregate of ours is (db/queries/sealed-aggregate.ts). */
export const ENDING_AGGREGATE: SealedAggregate = {
  name: 'ending_packs',
  lockClass: SEAL_LOCK_CLASS,
  table: ep,
  dirty,
  aggregate: (bucket, probeId) => ({ columns: sql.raw('bucket, probe_id, path_list, cells, endings'), select: hourPack(bucket, probeId), before: hourPaths(bucket, probeId) }),
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

/** The ended sessions of one (hour, probe). */
function hourEndings(bucket: Date, probeId: number): SQL {
  return and(isNotNull(s.endKind), gte(s.endedAt, bucket), lt(s.endedAt, new Date(bucket.getTime() + ENDING_BUCKET_MS)), sql`${s.probeId} = ${probeId}`)!;
}

/** An end kind's index in the contract's endKinds (lib/rollups/pack-endings.ts). */
const KIND_INDEX = sql`(case ${s.endKind} ${sql.raw(endKinds.map((k, i) => `when '${k}' then ${i}`).join(' '))} end)::int2`;

/**
 * The drops of one (hour, probe) by path, end kind and close code, as the pack's `endings`
 * bytes (lib/rollups/pack-endings.ts has the layout): a scalar subquery of the pack's row.
 */
function hourEndingsOf(hour: SQL, dropped: SQL): SQL {
  return sql`(select coalesce(string_agg(int4send(${pp.id}) || int2send(k) || int2send(code) || int4send(n), ''::bytea order by ${pp.id}, k, code), ''::bytea)
      from (select ${s.targetName} as target_name, ${s.proxyName} as proxy_name, ${s.profile} as profile, ${s.profileKind} as profile_kind, ${s.gapMs} as gap_ms,
              ${KIND_INDEX} as k, coalesce(${s.closeCode}, 0)::int2 as code, count(*)::int4 as n
            from ${s} where ${hour} and ${dropped} group by 1, 2, 3, 4, 5, 6, 7) as e
      join ${pp} on ${pp.targetName} = e.target_name and ${pp.proxyName} = e.proxy_name and ${pp.profile} = e.profile
        and ${pp.profileKind} is not distinct from e.profile_kind and ${pp.gapMs} is not distinct from e.gap_ms)`;
}

/** A pack's path columns, in the order its paths are packed. */
const PATH_COLUMNS = sql.raw('target_name, proxy_name, profile, profile_kind, gap_ms');

/**
 * The paths of one (hour, probe) into the dictionary (ending_pack_paths), before its pack
 * is built. Inserted in their columns' order, so that two seals of the same hour on other
 * probes, taking the same new paths, wait on each other instead of deadlocking.
 */
function hourPaths(bucket: Date, probeId: number): SQL {
  return sql`insert into ${pp} (${PATH_COLUMNS})
    select distinct ${s.targetName}, ${s.proxyName}, ${s.profile}, ${s.profileKind}, ${s.gapMs} from ${s} where ${hourEndings(bucket, probeId)}
    order by 1, 2, 3, 4, 5
    on conflict do nothing`;
}

/**
 * The aggregate of one (hour, probe): the one definition of what it holds. Each ended
 * session counts once at its age bin (sessions; drops when not closed by the probe) and
 * each drop once at its idle bin; the bins of a path are then packed in bin order (the null
 * bin first) and the paths in the order of their columns, `path_list` naming them by their
 * dictionary id in that same order (lib/rollups/ending-pack.ts has the layout). No row
 * when the hour has no endings. Its paths are in the dictionary already (hourPaths).
 */
function hourPack(bucket: Date, probeId: number): SQL {
  const hour = hourEndings(bucket, probeId);
  const path = sql`${s.targetName} as target_name, ${s.proxyName} as proxy_name, ${s.profile} as profile, ${s.profileKind} as profile_kind, ${s.gapMs} as gap_ms`;
  const dropped = sql`(${s.endKind} <> 'probe_closed')`;
  // A bin past int4 (an age of 6.8 years) is kept at the last one rather than failing the seal.
  const bin = sql.raw(`(case when bin is null then ${NULL_BIN} else greatest(least(bin, ${MAX_BIN}), ${MIN_BIN}) end)::int4`);
  const pathOrder = sql.raw('paths.target_name, paths.proxy_name, paths.profile, paths.profile_kind, paths.gap_ms');
  return sql`select ${bucket.toISOString()}::timestamptz, ${probeId}::int,
      string_agg(int4send(${pp.id}) || float8send(coalesce(max_age, 'NaN'::float8)) || int4send(n::int4), ''::bytea order by ${pathOrder}),
      string_agg(cells, ''::bytea order by ${pathOrder}),
      ${hourEndingsOf(hour, dropped)}
    from (select target_name, proxy_name, profile, profile_kind, gap_ms, max(max_age)::float8 as max_age, count(*) as n,
            string_agg(int4send(${bin}) || int4send(n_sessions) || int4send(n_drops) || int4send(n_idle), ''::bytea order by bin nulls first) as cells
          from (select target_name, proxy_name, profile, profile_kind, gap_ms, bin,
                  sum(n_sessions)::int4 as n_sessions, sum(n_drops)::int4 as n_drops, sum(n_idle)::int4 as n_idle, max(drop_age) as max_age
                from (select ${path}, ${binIndex(AGE, BIN_MS)} as bin, 1 as n_sessions, ${dropped}::int as n_drops, 0 as n_idle,
                        case when ${dropped} then ${AGE} end as drop_age from ${s} where ${hour}
                      union all
                      select ${path}, ${binIndex(IDLE, BIN_MS)} as bin, 0, 0, 1, null from ${s} where ${hour} and ${dropped}) as x
                group by target_name, proxy_name, profile, profile_kind, gap_ms, bin) as bins
          group by target_name, proxy_name, profile, profile_kind, gap_ms) as paths
    join ${pp} on ${pp.targetName} = paths.target_name and ${pp.proxyName} = paths.proxy_name and ${pp.profile} = paths.profile
      and ${pp.profileKind} is not distinct from paths.profile_kind and ${pp.gapMs} is not distinct from paths.gap_ms
    having count(*) > 0`;
}
