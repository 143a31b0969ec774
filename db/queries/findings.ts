/** The SQL behind lib/analysis/findings.ts: grouped counts, never sessions by the million. */
import { and, eq, gte, inArray, isNotNull, lt, sql, type SQL } from 'drizzle-orm';
import type { EgressStat, LadderRung, RefusalGroup, RttBeforeDrops, SilentGroup } from '../../lib/analysis/findings';
import type { Executor } from '../client';
import { canarySessions as s, probes, rttMinutes as rm } from '../schema';
import type { AnalysisScope } from './analysis';

function filters(scope: AnalysisScope): SQL[] {
  const out: SQL[] = [];
  if (scope.proxy) out.push(eq(s.proxyName, scope.proxy));
  if (scope.target) out.push(eq(s.targetName, scope.target));
  if (scope.probe) out.push(sql`${s.probeId} = (select ${probes.id} from ${probes} where ${probes.name} = ${scope.probe})`);
  return out;
}

export async function refusalGroups(db: Executor, scope: AnalysisScope): Promise<RefusalGroup[]> {
  const inScope = and(gte(s.attemptedAt, scope.from), lt(s.attemptedAt, scope.to), ...filters(scope));
  const reason = sql<string>`coalesce(${s.httpStatus}::text, ${s.proxyReply}, ${s.errorCode}, 'unknown')`;
  const server = sql<string | null>`${s.responseHeaders}->>'server'`;
  const groups = await db
    .select({ target: s.targetName, proxy: s.proxyName, outcome: s.outcome, reason, server, n: sql<number>`count(*)`.mapWith(Number) })
    .from(s)
    .where(and(inScope, inArray(s.outcome, ['upgrade_refused', 'proxy_refused', 'dial_failed'])))
    .groupBy(s.targetName, s.proxyName, s.outcome, reason, server);
  const attempts = await db
    .select({ target: s.targetName, proxy: s.proxyName, n: sql<number>`count(*)`.mapWith(Number) })
    .from(s)
    .where(and(inScope, isNotNull(s.outcome)))
    .groupBy(s.targetName, s.proxyName);
  const attemptsOf = new Map(attempts.map((a) => [`${a.target}|${a.proxy}`, a.n]));
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
    .groupBy(probes.name, s.targetName, s.proxyName, s.gapMs);
  return rows.map((r) => ({ ...r, gapMs: Number(r.gapMs) }));
}

/**
 * Egress changes per probe × proxy (a session that opened with another address than the
 * previous one), and the drops that ended within 5 s of a change.
 */
export async function egressStats(db: Executor, scope: AnalysisScope): Promise<EgressStat[]> {
  const where = and(gte(s.openedAt, scope.from), lt(s.openedAt, scope.to), isNotNull(s.egressAddress), ...filters(scope));
  const rows = await db
    .select({
      probe: sql<string>`probe`,
      proxy: sql<string>`proxy`,
      addresses: sql<number>`count(distinct egress)`.mapWith(Number),
      changes: sql<number>`count(*) filter (where changed)`.mapWith(Number),
      drops: sql<number>`count(*) filter (where dropped)`.mapWith(Number),
      near: sql<number>`count(*) filter (where dropped and exists (
        select 1 from ${s} c where c.probe_id = e.probe_id and c.proxy_name = e.proxy and c.opened_at between e.ended_at - interval '5 seconds' and e.ended_at + interval '5 seconds'
          and c.egress_address is not null and c.egress_address <> e.egress))`.mapWith(Number),
    })
    .from(
      sql`(select ${s.probeId} as probe_id, ${probes.name} as probe, ${s.proxyName} as proxy, ${s.egressAddress} as egress, ${s.endedAt} as ended_at,
                  (${s.endKind} is not null and ${s.endKind} <> 'probe_closed') as dropped,
                  coalesce(lag(${s.egressAddress}) over (partition by ${s.probeId}, ${s.proxyName} order by ${s.openedAt}) <> ${s.egressAddress}, false) as changed
           from ${s} join ${probes} on ${probes.id} = ${s.probeId}
           where ${where}) as e`,
    )
    .groupBy(sql`probe, proxy`);
  return rows.map((r) => ({ probe: r.probe, proxy: r.proxy, addresses: r.addresses, changes: r.changes, drops: r.drops, dropsNearChange: r.near }));
}

/**
 * Per target × proxy: the mean RTT over the scope, and over the 5 minutes before each drop
 * (from the per-minute rollup, so it costs one pass over rtt_minutes, not over pings).
 */
export async function rttBeforeDrops(db: Executor, scope: AnalysisScope): Promise<RttBeforeDrops[]> {
  const rows = await db
    .select({
      target: sql<string>`b.target_name`,
      proxy: sql<string>`b.proxy_name`,
      baseSum: sql<number>`b.sum_ms`.mapWith(Number),
      baseCount: sql<number>`b.n`.mapWith(Number),
      beforeSum: sql<number>`coalesce(p.sum_ms, 0)`.mapWith(Number),
      beforeCount: sql<number>`coalesce(p.n, 0)`.mapWith(Number),
      drops: sql<number>`coalesce(p.drops, 0)`.mapWith(Number),
    })
    .from(
      sql`(select ${rm.targetName} as target_name, ${rm.proxyName} as proxy_name, sum(${rm.sumMs}) as sum_ms, sum(${rm.count}) as n
           from ${rm} where ${rm.minute} >= ${scope.from.toISOString()}::timestamptz and ${rm.minute} < ${scope.to.toISOString()}::timestamptz
           group by 1, 2) as b
          left join lateral (
            select sum(r.sum_ms) as sum_ms, sum(r.count) as n, (select count(*) from ${s} d
                where d.target_name = b.target_name and d.proxy_name = b.proxy_name and d.ended_at >= ${scope.from.toISOString()}::timestamptz and d.ended_at < ${scope.to.toISOString()}::timestamptz
                  and d.end_kind is not null and d.end_kind <> 'probe_closed') as drops
            from ${rm} r
            where r.target_name = b.target_name and r.proxy_name = b.proxy_name
              and exists (select 1 from ${s} d
                where d.target_name = b.target_name and d.proxy_name = b.proxy_name
                  and d.ended_at >= ${scope.from.toISOString()}::timestamptz and d.ended_at < ${scope.to.toISOString()}::timestamptz
                  and d.end_kind is not null and d.end_kind <> 'probe_closed'
                  and r.minute between d.ended_at - interval '5 minutes' and d.ended_at)
          ) as p on true`,
    );
  return rows
    .filter((r) => r.baseCount > 0)
    .map((r) => ({ target: r.target, proxy: r.proxy, baselineMs: r.baseSum / r.baseCount, baselineSamples: r.baseCount, beforeMs: r.beforeCount ? r.beforeSum / r.beforeCount : 0, beforeSamples: r.beforeCount, drops: r.drops }));
}
