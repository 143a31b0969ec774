/** The SQL behind lib/analysis/findings.ts: grouped counts, never sessions by the million. */
import { and, eq, gte, isNotNull, lt, ne, sql, type SQL } from 'drizzle-orm';
import type { EgressStat, LadderRung, RefusalGroup, RttBeforeDrops, SilentGroup } from '../../lib/analysis/findings';
import type { Executor } from '../client';
import { canarySessions as s, probes, rttMinutes as rm } from '../schema';
import type { AnalysisScope } from './analysis';
import { pathFilters } from './scope';

function filters(scope: AnalysisScope): SQL[] {
  return pathFilters(s, scope);
}

/**
 * The scope's filters on rtt_minutes, as `filters` puts them on canary_sessions. RTT
 * minutes are per path without the profile (every canary of a path pings the same way
 * through it), so a profile filter narrows the drops but not the RTT they are compared with.
 */
function rttFilters(scope: AnalysisScope): SQL[] {
  const out: SQL[] = [];
  if (scope.proxy) out.push(eq(rm.proxyName, scope.proxy));
  if (scope.target) out.push(eq(rm.targetName, scope.target));
  if (scope.probe) out.push(sql`${rm.probeId} = (select ${probes.id} from ${probes} where ${probes.name} = ${scope.probe})`);
  if (scope.label) out.push(sql`${rm.probeId} in (select ${probes.id} from ${probes} where ${probes.labels} ->> ${scope.label.key} = ${scope.label.value})`);
  return out;
}

export async function refusalGroups(db: Executor, scope: AnalysisScope): Promise<RefusalGroup[]> {
  const inScope = and(gte(s.attemptedAt, scope.from), lt(s.attemptedAt, scope.to), isNotNull(s.outcome), ...filters(scope));
  // One pass over the attempts: every outcome is counted (a path's groups add up to its
  // attempts), the reason and Server header only for refusals.
  const refused = sql`${s.outcome} in ('upgrade_refused', 'proxy_refused', 'dial_failed')`;
  const reason = sql<string | null>`case when ${refused} then coalesce(${s.httpStatus}::text, ${s.proxyReply}, ${s.errorCode}, 'unknown') end`;
  const server = sql<string | null>`case when ${refused} then ${s.responseHeaders}->>'server' end`;
  const all = await db
    .select({ target: s.targetName, proxy: s.proxyName, outcome: s.outcome, reason, server, n: sql<number>`count(*)`.mapWith(Number) })
    .from(s)
    .where(inScope)
    .groupBy(s.targetName, s.proxyName, s.outcome, reason, server);
  const attemptsOf = new Map<string, number>();
  for (const a of all) attemptsOf.set(`${a.target}|${a.proxy}`, (attemptsOf.get(`${a.target}|${a.proxy}`) ?? 0) + a.n);
  const groups = all.filter((g): g is typeof g & { reason: string } => g.reason !== null);
  return groups.map((g) => ({
    target: g.target,
    proxy: g.proxy,
    outcome: g.outcome as RefusalGroup['outcome'],
    reason: g.reason,
    server: g.server,
    count: g.n,
    attempts: attemptsOf.get(`${g.target}|${g.proxy}`) ?? g.n,
    directCount: groups.filter((d) => d.proxy === 'direct' && d.target === g.target && d.reason === g.reason).reduce((n, d) => n + d.n, 0),
  }));
}

export async function silentGroups(db: Executor, scope: AnalysisScope): Promise<SilentGroup[]> {
  const rows = await db
    .select({
      probe: probes.name,
      target: s.targetName,
      proxy: s.proxyName,
      n: sql<number>`count(*)`.mapWith(Number),
      quiet: sql<number>`percentile_cont(0.5) within group (order by ${s.sinceLastRecvMs})`.mapWith(Number),
    })
    .from(s)
    .innerJoin(probes, eq(probes.id, s.probeId))
    .where(and(gte(s.endedAt, scope.from), lt(s.endedAt, scope.to), eq(s.endKind, 'pong_timeout'), ...filters(scope)))
    .groupBy(probes.name, s.targetName, s.proxyName);
  return rows.map((r) => ({ probe: r.probe, target: r.target, proxy: r.proxy, count: r.n, medianQuietMs: r.quiet }));
}

export async function ladderRungs(db: Executor, scope: AnalysisScope): Promise<LadderRung[]> {
  const rows = await db
    .select({
      probe: probes.name,
      target: s.targetName,
      proxy: s.proxyName,
      gapMs: s.gapMs,
      survived: sql<number>`count(*) filter (where ${s.endKind} = 'probe_closed' and ${s.closeReason} like 'ladder:%')`.mapWith(Number),
      died: sql<number>`count(*) filter (where ${s.endKind} <> 'probe_closed')`.mapWith(Number),
    })
    .from(s)
    .innerJoin(probes, eq(probes.id, s.probeId))
    .where(and(gte(s.endedAt, scope.from), lt(s.endedAt, scope.to), eq(s.profileKind, 'ladder'), isNotNull(s.gapMs), ...filters(scope)))
    .groupBy(probes.name, s.targetName, s.proxyName, s.gapMs)
    .orderBy(probes.name, s.targetName, s.proxyName, s.gapMs);
  return rows.map((r) => ({ ...r, gapMs: Number(r.gapMs) }));
}

/**
 * Egress changes per probe × proxy (a session that opened with another address than the
 * previous one), and the drops that ended within 5 s of a session of the same probe ×
 * proxy opening with another address than the dropped one's.
 *
 * Set-wise, so the cost grows with the scope, not with scope × table (a sub-query per drop
 * ran a sequential scan of canary_sessions per dropped session: hours at a million rows).
 * The "within 5 s" test is a sliding window over one time-ordered stream per probe × proxy
 * of the drops' ends and the openings around them: in a frame of ±5 s, the openings'
 * addresses are all the drop's own exactly when their min and max both equal it. Only
 * probe × proxy pairs that show more than one address are ordered at all; most keep one
 * address for good (direct, a corporate proxy), and there the answer is 1 address, no
 * change, no drop near one.
 */
export async function egressStats(db: Executor, scope: AnalysisScope): Promise<EgressStat[]> {
  const where = and(gte(s.openedAt, scope.from), lt(s.openedAt, scope.to), isNotNull(s.egressAddress), ...filters(scope));
  const rows = await db
    .select({
      probe: sql<string>`probe`,
      proxy: sql<string>`proxy`,
      addresses: sql<number>`addresses`.mapWith(Number),
      changes: sql<number>`changes`.mapWith(Number),
      drops: sql<number>`drops`.mapWith(Number),
      near: sql<number>`near`.mapWith(Number),
    })
    .from(
      sql`(with e as (
             select ${s.probeId} as probe_id, ${s.proxyName} as proxy, ${s.egressAddress} as egress, ${s.openedAt} as opened_at, ${s.endedAt} as ended_at,
                    (${s.endKind} is not null and ${s.endKind} <> 'probe_closed') as dropped
             from ${s} where ${where}
           ),
           e_paths as (
             select probe_id, proxy, min(egress) as lo, max(egress) as hi, count(*) filter (where dropped) as drops,
                    min(ended_at) filter (where dropped) as first_drop, max(ended_at) filter (where dropped) as last_drop
             from e group by probe_id, proxy
           ),
           ordered as (
             select probe_id, proxy, count(distinct egress) as addresses, count(*) filter (where changed) as changes
             from (select probe_id, proxy, egress, coalesce(lag(egress) over (partition by probe_id, proxy order by opened_at) <> egress, false) as changed
                   from e where (probe_id, proxy) in (select probe_id, proxy from e_paths where lo <> hi)) as lagged
             group by probe_id, proxy
           ),
           -- Every opening that can lie within 5 s of a drop's end, in or out of the scope
           -- and to any target: between the first drop's end and the last's, ±5 s.
           openings as (
             select c.probe_id, c.proxy_name as proxy, c.egress_address as egress, c.opened_at as at
             from ${s} c
             where c.egress_address is not null
               and c.opened_at >= (select min(first_drop) from e_paths) - interval '5 seconds'
               and c.opened_at <= (select max(last_drop) from e_paths) + interval '5 seconds'
               and (c.probe_id, c.proxy_name) in (select probe_id, proxy from e_paths where drops > 0)
           ),
           -- Where the openings and the drops in scope all share one address, no drop is near another.
           mixed as (
             select o.probe_id, o.proxy
             from (select probe_id, proxy, min(egress) as lo, max(egress) as hi from openings group by probe_id, proxy) as o
             join e_paths p on p.probe_id = o.probe_id and p.proxy = o.proxy
             where least(o.lo, p.lo) <> greatest(o.hi, p.hi)
           ),
           stream as (
             select probe_id, proxy, ended_at as at, egress as dropped_egress, null::text as egress
             from e where dropped and (probe_id, proxy) in (select probe_id, proxy from mixed)
             union all
             select probe_id, proxy, at, null, egress
             from openings where (probe_id, proxy) in (select probe_id, proxy from mixed)
           ),
           near as (
             select probe_id, proxy, count(*) as n
             from (select probe_id, proxy, dropped_egress, min(egress) over around as lo, max(egress) over around as hi
                   from stream
                   window around as (partition by probe_id, proxy order by at range between interval '5 seconds' preceding and interval '5 seconds' following)) as framed
             where dropped_egress is not null and (lo <> dropped_egress or hi <> dropped_egress)
             group by probe_id, proxy
           )
           select ${probes.name} as probe, p.proxy, coalesce(ordered.addresses, 1) as addresses, coalesce(ordered.changes, 0) as changes, p.drops, coalesce(near.n, 0) as near
           from e_paths p
           join ${probes} on ${probes.id} = p.probe_id
           left join ordered on ordered.probe_id = p.probe_id and ordered.proxy = p.proxy
           left join near on near.probe_id = p.probe_id and near.proxy = p.proxy) as stats`,
    );
  return rows.map((r) => ({ probe: r.probe, proxy: r.proxy, addresses: r.addresses, changes: r.changes, drops: r.drops, dropsNearChange: r.near }));
}

/**
 * Per target × proxy: the mean RTT over the scope, and over the 5 minutes before each drop
 * (from the per-minute rollup, so it costs one pass over rtt_minutes, not over pings).
 * An RTT minute m counts as "before a drop" when a drop of the path ended in [m, m + 5 min].
 * The scope's probe, proxy and target filters apply to the RTT minutes and the drops both.
 *
 * Set-wise, without a join: the drops are grouped by path and whole minute of their end,
 * each group names the RTT minutes it falls in the look-forward of (the group's minute and
 * the 4 before it, and a 5th before it when a drop ended exactly on the minute), and those
 * names are grouped with the RTT rows of [from − 5 min, to) by path and minute. This leans
 * on rtt_minutes.minute being a whole minute, which is how ingest rolls samples up. Joining
 * every RTT minute of a path over all time to every drop instead took seconds per path at a
 * million sessions, and joins on these grouped rows let the planner, which cannot estimate
 * the groups, pick merge joins that re-read one side per row.
 */
export async function rttBeforeDrops(db: Executor, scope: AnalysisScope): Promise<RttBeforeDrops[]> {
  const from = sql`${scope.from.toISOString()}::timestamptz`;
  const to = sql`${scope.to.toISOString()}::timestamptz`;
  const rows = await db
    .select({
      target: sql<string>`target_name`,
      proxy: sql<string>`proxy_name`,
      baseSum: sql<number>`base_sum`.mapWith(Number),
      baseCount: sql<number>`base_n`.mapWith(Number),
      beforeSum: sql<number>`before_sum`.mapWith(Number),
      beforeCount: sql<number>`before_n`.mapWith(Number),
      drops: sql<number>`drops`.mapWith(Number),
    })
    .from(
      sql`(with rtt_paths as (
             select distinct ${rm.targetName} as target_name, ${rm.proxyName} as proxy_name
             from ${rm} where ${and(gte(rm.minute, scope.from), lt(rm.minute, scope.to), ...rttFilters(scope))}
           ),
           -- Only paths with RTT in the scope have a row to show: drops elsewhere (idle
           -- canaries send no pings) are not grouped at all.
           drop_minutes as (
             select ${s.targetName} as target_name, ${s.proxyName} as proxy_name, floor(extract(epoch from ${s.endedAt}) / 60)::bigint as minute,
                    min(${s.endedAt}) as first_end, count(*) as n
             from ${s}
             where ${and(gte(s.endedAt, scope.from), lt(s.endedAt, scope.to), isNotNull(s.endKind), ne(s.endKind, 'probe_closed'), ...filters(scope))}
               and (${s.targetName}, ${s.proxyName}) in (select target_name, proxy_name from rtt_paths)
             group by 1, 2, 3
           ),
           keyed as (
             select ${rm.targetName} as target_name, ${rm.proxyName} as proxy_name, ${rm.minute} as minute, ${rm.sumMs} as sum_ms, ${rm.count} as n, false as covered, 0 as drops
             from ${rm} where ${and(sql`${rm.minute} >= ${from} - interval '5 minutes'`, lt(rm.minute, scope.to), ...rttFilters(scope))}
             union all
             select target_name, proxy_name, to_timestamp((minute - k) * 60), null, null, true, case when k = 0 then n else 0 end
             from drop_minutes, generate_series(0, 5) as k
             where k < 5 or first_end = to_timestamp(minute * 60)
           ),
           per_minute as (
             select target_name, proxy_name, minute, sum(sum_ms) as sum_ms, sum(n) as n, bool_or(covered) as covered, sum(drops) as drops
             from keyed group by 1, 2, 3
           )
           select target_name, proxy_name,
                  sum(sum_ms) filter (where minute >= ${from}) as base_sum, sum(n) filter (where minute >= ${from}) as base_n,
                  coalesce(sum(sum_ms) filter (where covered), 0) as before_sum, coalesce(sum(n) filter (where covered), 0) as before_n,
                  sum(drops) as drops
           from per_minute
           group by 1, 2
           having sum(n) filter (where minute >= ${from}) > 0) as stats`,
    );
  return rows.map((r) => ({ target: r.target, proxy: r.proxy, baselineMs: r.baseSum / r.baseCount, baselineSamples: r.baseCount, beforeMs: r.beforeCount ? r.beforeSum / r.beforeCount : 0, beforeSamples: r.beforeCount, drops: r.drops }));
}
