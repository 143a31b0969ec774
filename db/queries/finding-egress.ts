/**
 * Egress changes per probe × proxy (db/schema.ts `finding_egress_runs`,
 * `finding_egress_near`), sealed as every aggregate of ours (db/queries/sealed-aggregate.ts).
 *
 * What needs order is kept in order, small: an hour of a probe × proxy's openings becomes
 * its runs of one address (a pair that keeps its address for good has one run an hour, a
 * proxy rotating hourly two), each also split by target and profile so that a scope
 * filtered by them still sees its own sequence. A scope's address changes are the changes between the
 * consecutive runs that hold any of its openings: within a run there are none, and
 * dropping the openings of other targets or profiles can only merge runs, never split one.
 *
 * Whether a drop ended within 5 s of an opening with another address depends on the
 * openings around its end only, not on the scope: it is settled when the hour of its end
 * is sealed, from the openings of [hour - 5 s, hour + 1 h + 5 s), and only the drops that
 * are near one are kept, with the instant their session opened (which a scope selects
 * them by): 22,813 of a week's 726,312 drops at bench:dashboard's million, whose mobile
 * proxy rotates among 50 addresses. A write marks the hour of each end it holds and the
 * hours within 5 s of each opening (migration 0015), so a late opening unseals the drops
 * it is near.
 */
import { and, gte, isNotNull, isNull, lt, sql, type SQL } from 'drizzle-orm';
import type { EgressStat } from '../../lib/analysis/findings';
import { splitEndings } from '../../lib/rollups/ending-buckets';
import type { Executor } from '../client';
import { canarySessions as s, findingEgressNear as fn, findingEgressNearDirty, findingEgressRuns as fr, findingEgressRunsDirty, probes } from '../schema';
import type { AnalysisScope } from './analysis';
import { pathFilters, rowsOf, within } from './scope';
import { REPORT_BUCKET_MS, dirtyHours, type SealedAggregate } from './sealed-aggregate';

const DROPPED = sql`(${s.endKind} is not null and ${s.endKind} <> 'probe_closed')`;
/** Addresses compared bytewise: sorting compares bytes, not locale-aware text. */
const EGRESS = sql`(${s.egressAddress} collate "C")`;
const NEAR = sql.raw(`interval '5 seconds'`);

/** The aggregate of one (hour of opened_at, probe): the one definition of what finding_egress_runs holds. */
export function egressRunsAggregate(bucket: Date, probeId: number): { columns: SQL; select: SQL } {
  const hour = and(gte(s.openedAt, bucket), lt(s.openedAt, new Date(bucket.getTime() + REPORT_BUCKET_MS)), isNotNull(s.egressAddress), sql`${s.probeId} = ${probeId}`)!;
  // A run starts where the address differs from the previous opening's; every opening
  // takes the latest start at or before it (peers included: ties share their address).
  // The run's own row serves the scopes not filtered by target or profile: at
  // bench:dashboard's million a week holds 4,008 runs, in 36,072 target × profile rows.
  return {
    columns: sql`bucket, probe_id, proxy_name, run_start, egress, target_name, profile, openings, drops`,
    select: sql`select ${bucket.toISOString()}::timestamptz, ${probeId}::int, proxy_name, run_start, egress, target_name, profile, count(*)::int, (count(*) filter (where dropped))::int
      from (select proxy_name, target_name, profile, egress, dropped, max(start) over (partition by proxy_name order by opened_at, egress) as run_start
            from (select ${s.proxyName} as proxy_name, ${s.targetName} as target_name, ${s.profile} as profile, ${s.openedAt} as opened_at, ${EGRESS} as egress, ${DROPPED} as dropped,
                    case when lag(${EGRESS}) over (partition by ${s.proxyName} order by ${s.openedAt}, ${EGRESS}) is distinct from ${EGRESS} then ${s.openedAt} end as start
                  from ${s} where ${hour}) as marked) as runs
      group by grouping sets ((proxy_name, run_start, egress), (proxy_name, run_start, egress, target_name, profile))`,
  };
}

/**
 * Drops (with an address and an opening) ended in `ended` whose ±5 s holds an opening of
 * the same probe × proxy with another address, as (probe_id, proxy_name, target_name,
 * profile, opened_at) rows, one per drop: the openings of the ranges widened by 5 s and
 * the drops in one time-ordered stream per probe × proxy, each drop near another address
 * when its frame's lowest or highest address is not its own.
 */
function nearDrops(ended: SQL, openings: SQL, drops: SQL): SQL {
  return sql`select probe_id, proxy_name, target_name, profile, opened_at
    from (select probe_id, proxy_name, target_name, profile, opened_at, dropped_egress, min(egress) over frame as lo, max(egress) over frame as hi
          from (select ${s.probeId} as probe_id, ${s.proxyName} as proxy_name, ${s.targetName} as target_name, ${s.profile} as profile, ${s.openedAt} as opened_at,
                  ${s.endedAt} as at, ${EGRESS} as dropped_egress, null::text collate "C" as egress
                from ${s} where ${and(ended, DROPPED, isNotNull(s.egressAddress), isNotNull(s.openedAt), drops)}
                union all
                select ${s.probeId}, ${s.proxyName}, null, null, null, ${s.openedAt}, null, ${EGRESS}
                from ${s} where ${and(openings, isNotNull(s.egressAddress))}) as stream
          window frame as (partition by probe_id, proxy_name collate "C" order by at range between ${NEAR} preceding and ${NEAR} following)) as framed
    where dropped_egress is not null and (lo <> dropped_egress or hi <> dropped_egress)`;
}

/** The aggregate of one (hour of ended_at, probe): the one definition of what finding_egress_near holds. */
export function egressNearAggregate(bucket: Date, probeId: number): { columns: SQL; select: SQL } {
  const end = new Date(bucket.getTime() + REPORT_BUCKET_MS);
  const probe = sql`${s.probeId} = ${probeId}`;
  const ended = and(gte(s.endedAt, bucket), lt(s.endedAt, end), probe)!;
  const openings = and(sql`${s.openedAt} >= ${bucket.toISOString()}::timestamptz - ${NEAR}`, sql`${s.openedAt} < ${end.toISOString()}::timestamptz + ${NEAR}`, probe)!;
  return {
    columns: sql`bucket, probe_id, proxy_name, target_name, profile, opened_at, drops`,
    select: sql`select ${bucket.toISOString()}::timestamptz, probe_id, proxy_name, target_name, profile, opened_at, count(*)::int
      from (${nearDrops(ended, openings, sql`true`)}) as near group by probe_id, proxy_name, target_name, profile, opened_at`,
  };
}

export const EGRESS_RUNS: SealedAggregate = { name: 'finding_egress_runs', lockClass: 0x0e_b1_85, table: fr, dirty: findingEgressRunsDirty, aggregate: egressRunsAggregate };
export const EGRESS_NEAR: SealedAggregate = { name: 'finding_egress_near', lockClass: 0x0e_b1_86, table: fn, dirty: findingEgressNearDirty, aggregate: egressNearAggregate };

/** Far enough ahead for any end a probe's clock may report. */
const FOREVER = new Date('9999-01-01T00:00:00Z');

/** Consecutive hours (ms starts) merged into ranges. */
function hourRanges(hours: readonly number[]): { from: Date; to: Date }[] {
  const out: [number, number][] = [];
  for (const h of [...hours].sort((a, b) => a - b)) {
    const last = out[out.length - 1];
    if (last && last[1] === h) last[1] = h + REPORT_BUCKET_MS;
    else out.push([h, h + REPORT_BUCKET_MS]);
  }
  return out.map(([from, to]) => ({ from: new Date(from), to: new Date(to) }));
}

/**
 * Egress changes per probe × proxy over the sessions opened in [from, to) with an address:
 * how many addresses and changes (an opening with another address than the previous one,
 * in the order of opened_at, then address bytewise), how many of them dropped, and how many
 * of those drops ended within 5 s of an opening of the same probe × proxy, in scope or
 * not, of any target or profile, with another address than the dropped one's.
 */
export async function egressStats(db: Executor, scope: AnalysisScope): Promise<EgressStat[]> {
  const [runsDirty, nearDirty] = await Promise.all([dirtyHours(db, EGRESS_RUNS, scope.from, scope.to), dirtyHours(db, EGRESS_NEAR, scope.from, FOREVER)]);
  const runs = splitEndings(scope.from, scope.to, runsDirty);
  const runParts: SQL[] = [];
  if (runs.sealed.length > 0) {
    runParts.push(sql`select ${fr.probeId} as p, ${fr.proxyName} as x, ${fr.runStart} as k, ${fr.egress} collate "C" as e, ${fr.openings} as n, ${fr.drops} as d
      from ${fr} where ${and(within(fr.bucket, runs.sealed), ...pathFilters(fr, scope), ...(scope.target || scope.profile ? [] : [isNull(fr.targetName)]))}`);
  }
  if (runs.raw.length > 0) {
    runParts.push(sql`select ${s.probeId} as p, ${s.proxyName} as x, ${s.openedAt} as k, ${EGRESS} as e, 1 as n, ${DROPPED}::int as d
      from ${s} where ${and(within(s.openedAt, runs.raw), isNotNull(s.egressAddress), ...pathFilters(s, scope))}`);
  }
  if (runParts.length === 0) return [];
  // Rows of one run (its targets × profiles) summed first, by hash: only runs are ordered.
  const pairRead = db.execute(sql`select p, x, sum(n) as n, sum(d) as drops, count(distinct e) as addresses, count(*) filter (where changed) as changes
    from (select p, x, e, n, d, coalesce(lag(e) over (partition by p, x order by k, e) <> e, false) as changed
          from (select p, x collate "C" as x, k, e, sum(n) as n, sum(d) as d from (${sql.join(runParts, sql` union all `)}) as u group by 1, 2, 3, 4) as runs) as l
    group by p, x`);

  // The scope's drops near another address: sealed hours of their end from the aggregate,
  // dirty ones (the open hour, late writes) from the rows.
  const dirty = hourRanges(nearDirty);
  const inScope = and(gte(s.openedAt, scope.from), lt(s.openedAt, scope.to), ...pathFilters(s, scope))!;
  // Openings near a drop may be to any target and of any profile: only the filters that
  // pick the probe × proxy apply to them.
  const pairFilters = pathFilters(s, { ...scope, target: undefined, profile: undefined });
  const nearParts: SQL[] = [
    sql`select ${fn.probeId} as p, ${fn.proxyName} as x, ${fn.drops} as n
      from ${fn} where ${and(gte(fn.openedAt, scope.from), lt(fn.openedAt, scope.to), ...pathFilters(fn, scope), ...(dirty.length > 0 ? [sql`not ${within(fn.bucket, dirty)}`] : []))}`,
  ];
  if (dirty.length > 0) {
    const openings = sql`(${sql.join(
      dirty.map((r) => sql`(${s.openedAt} >= ${r.from.toISOString()}::timestamptz - ${NEAR} and ${s.openedAt} < ${r.to.toISOString()}::timestamptz + ${NEAR})`),
      sql` or `,
    )})`;
    nearParts.push(sql`select probe_id, proxy_name, 1 from (${nearDrops(within(s.endedAt, dirty), and(openings, ...pairFilters)!, inScope)}) as near`);
  }
  const nearRead = db.execute(sql`select p, x, sum(n) as n from (${sql.join(nearParts, sql` union all `)}) as u group by 1, 2`);

  const [pairs, near, names] = await Promise.all([
    pairRead.then((r) => rowsOf<{ p: number; x: string; n: string | number; drops: string | number; addresses: string | number; changes: string | number }>(r)),
    nearRead.then((r) => rowsOf<{ p: number; x: string; n: string | number }>(r)),
    db.select({ id: probes.id, name: probes.name }).from(probes).then((rows) => rows),
  ]);
  const nearOf = new Map(near.map((r) => [`${r.p}|${r.x}`, Number(r.n)]));
  const probeNames = new Map(names.map((p) => [p.id, p.name]));
  return pairs.map((r) => ({
    probe: probeNames.get(Number(r.p)) ?? String(r.p),
    proxy: r.x,
    addresses: Number(r.addresses),
    changes: Number(r.changes),
    drops: Number(r.drops),
    dropsNearChange: nearOf.get(`${r.p}|${r.x}`) ?? 0,
  }));
}
