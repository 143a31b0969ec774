/**
 * The findings statements as they read before their aggregates (issue 14), from the
 * session rows alone over the whole range: kept verbatim as the oracle the aggregate reads
 * (db/queries/finding-*.ts) must equal, on every backend, whatever has been sealed.
 */
import { and, eq, gte, isNotNull, lt, ne, sql, type SQL } from 'drizzle-orm';
import type { EgressStat, LadderRung, RefusalGroup, RttBeforeDrops, SilentGroup } from '../../lib/analysis/findings';
import type { Executor } from '../../db/client';
import { splitByBucket } from '../../lib/rollups/bucket-split';
import { attemptRollup as ah, canarySessions as s, probes, rttMinutes as rm } from '../../db/schema';
import type { AnalysisScope } from '../../db/queries/analysis';
import { AGE, CLOSED_BY_ENDPOINT } from '../../db/queries/drop-values';
import { rollupAndEdges } from '../../db/queries/rollup-parts';
import { pathFilters, rowsOf } from '../../db/queries/scope';

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

/**
 * Refusals by path, outcome, reason and Server header, beside each path's attempts. The
 * attempts are counted from attempt_rollup for the whole quarter-hours in scope and from
 * the session rows at the edges (exact, as the handshake page counts them); the refusals
 * are read from the session rows by canary_sessions_failed_attempted_idx, which holds only
 * failed attempts: a day of a million sessions has ~140,000 attempts and ~3,000 refusals.
 * Each group also carries its latest attempt's identifying headers, error code, error
 * message and body excerpt (the evidence lib/analysis/refusals.ts classifies by), taken in
 * the same grouped statement: ordering a few thousand rows per scope costs nothing next to
 * a second read.
 */
export async function refusalGroups(db: Executor, scope: AnalysisScope): Promise<RefusalGroup[]> {
  const refused = sql`${s.outcome} in ('upgrade_refused', 'proxy_refused', 'dial_failed')`;
  const counts = rollupAndEdges(
    splitByBucket(scope.from, scope.to),
    (whole) => sql`select ${ah.targetName} as target, ${ah.proxyName} as proxy, sum(${ah.attempts})::bigint as n from ${ah}
      where ${and(gte(ah.bucket, whole.from), lt(ah.bucket, whole.to), ...pathFilters(ah, scope))} group by 1, 2`,
    (edge) => sql`select ${s.targetName} as target, ${s.proxyName} as proxy, count(*) as n from ${s}
      where ${and(gte(s.attemptedAt, edge.from), lt(s.attemptedAt, edge.to), isNotNull(s.outcome), ...filters(scope))} group by 1, 2`,
  );
  if (counts.length === 0) return [];
  // Both statements at once (`.then` sends a drizzle query): the second does not wait for
  // the first's answer to reach a busy event loop.
  const attemptsRead = db.execute(sql`select target, proxy, sum(n) as n from (${sql.join(counts, sql` union all `)}) as u group by 1, 2`).then((r) => rowsOf<{ target: string; proxy: string; n: string }>(r));
  const refusalsRead = db
    .select({
      target: s.targetName,
      proxy: s.proxyName,
      outcome: s.outcome,
      reason: sql<string>`coalesce(${s.httpStatus}::text, ${s.proxyReply}, ${s.errorCode}, 'unknown')`,
      server: sql<string | null>`${s.responseHeaders}->>'server'`,
      n: sql<number>`count(*)`.mapWith(Number),
      // The latest attempt's evidence; ties broken by id, bytewise, so the answer depends
      // on neither the plan nor the collation. An array element keeps its column's type:
      // both drivers parse the jsonb.
      headers: sql<Record<string, string> | null>`(array_agg(${s.responseHeaders} order by ${s.attemptedAt} desc, ${s.id} collate "C" desc))[1]`,
      errorCode: sql<string | null>`(array_agg(${s.errorCode} order by ${s.attemptedAt} desc, ${s.id} collate "C" desc))[1]`,
      errorMessage: sql<string | null>`(array_agg(${s.errorMessage} order by ${s.attemptedAt} desc, ${s.id} collate "C" desc))[1]`,
      bodyExcerpt: sql<string | null>`(array_agg(${s.bodyExcerpt} order by ${s.attemptedAt} desc, ${s.id} collate "C" desc))[1]`,
    })
    .from(s)
    .where(and(gte(s.attemptedAt, scope.from), lt(s.attemptedAt, scope.to), refused, ...filters(scope)))
    .groupBy(sql`1, 2, 3, 4, 5`)
    .then((rows) => rows);
  const [attempts, refusals] = await Promise.all([attemptsRead, refusalsRead]);
  const attemptsOf = new Map(attempts.map((a) => [`${a.target}|${a.proxy}`, Number(a.n)]));
  return refusals.map((g) => ({
    target: g.target,
    proxy: g.proxy,
    outcome: g.outcome as RefusalGroup['outcome'],
    reason: g.reason,
    server: g.server,
    count: g.n,
    attempts: attemptsOf.get(`${g.target}|${g.proxy}`) ?? g.n,
    directCount: refusals.filter((d) => d.proxy === 'direct' && d.target === g.target && d.reason === g.reason).reduce((n, d) => n + d.n, 0),
    headers: g.headers ?? {},
    errorCode: g.errorCode,
    errorMessage: g.errorMessage,
    bodyExcerpt: g.bodyExcerpt,
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
      neverAnswered: sql<number>`count(*) filter (where ${AGE} is null)`.mapWith(Number),
    })
    .from(s)
    .innerJoin(probes, eq(probes.id, s.probeId))
    .where(and(gte(s.endedAt, scope.from), lt(s.endedAt, scope.to), eq(s.endKind, 'pong_timeout'), ...filters(scope)))
    .groupBy(probes.name, s.targetName, s.proxyName);
  return rows.map((r) => ({ probe: r.probe, target: r.target, proxy: r.proxy, count: r.n, medianQuietMs: r.quiet, neverAnswered: r.neverAnswered }));
}

export async function ladderRungs(db: Executor, scope: AnalysisScope): Promise<LadderRung[]> {
  const rows = await db
    .select({
      probe: probes.name,
      target: s.targetName,
      proxy: s.proxyName,
      gapMs: s.gapMs,
      survived: sql<number>`count(*) filter (where ${s.endKind} = 'probe_closed' and ${s.closeReason} like 'ladder:%')`.mapWith(Number),
      // An endpoint's own close (a paused target's 1001 and 1013) is no death at the rung's gap.
      died: sql<number>`count(*) filter (where ${s.endKind} <> 'probe_closed' and not ${CLOSED_BY_ENDPOINT})`.mapWith(Number),
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
 * First one index-only pass over the openings of the scope's time range (±5 s, by
 * canary_sessions_opened_at_idx, which holds every column read) gives each probe × proxy
 * its drops and the lowest and highest address among the scope's sessions and among all
 * openings around them. Most pairs keep one address for good (direct, a corporate proxy):
 * there the answer is 1 address, no change, no drop near one, and nothing more is read.
 * Only the pairs that show more than one address are ordered in time, in a second
 * statement: the changes (lag over the scope's openings) and, in one time-ordered stream of
 * the pair's drop ends and openings, the drops whose ±5 s frame holds an opening with
 * another address (the frame's min and max address are not both the drop's own). Pairs are
 * numbered and addresses compared bytewise (collate "C") so that sorting the streams
 * compares integers and bytes, not locale-aware text. Set-wise throughout: a sub-query per
 * drop scanned canary_sessions per dropped session (hours at a million rows).
 */
export async function egressStats(db: Executor, scope: AnalysisScope): Promise<EgressStat[]> {
  const around = { from: new Date(scope.from.getTime() - 5_000), to: new Date(scope.to.getTime() + 5_000) };
  // Openings near a drop may be to any target and of any profile: only the filters that
  // pick the probe × proxy apply to them; the scope's own sessions get all of them.
  const pairFilters = pathFilters(s, { ...scope, target: undefined, profile: undefined });
  const inScope = and(gte(s.openedAt, scope.from), lt(s.openedAt, scope.to), ...filters(scope))!;
  const dropped = sql`(${s.endKind} is not null and ${s.endKind} <> 'probe_closed')`;
  const pairs = rowsOf<{ probe_id: number; proxy: string; n: string; drops: string; last_drop: Date | string | null; lo: string | null; hi: string | null; all_lo: string; all_hi: string }>(
    await db.execute(sql`select ${s.probeId} as probe_id, ${s.proxyName} as proxy, count(*) filter (where ${inScope}) as n,
        count(*) filter (where ${inScope} and ${dropped}) as drops, max(${s.endedAt}) filter (where ${inScope} and ${dropped}) as last_drop,
        min(${s.egressAddress} collate "C") filter (where ${inScope}) as lo, max(${s.egressAddress} collate "C") filter (where ${inScope}) as hi,
        min(${s.egressAddress} collate "C") as all_lo, max(${s.egressAddress} collate "C") as all_hi
      from ${s}
      where ${and(gte(s.openedAt, around.from), lt(s.openedAt, around.to), isNotNull(s.egressAddress), ...pairFilters)}
      group by 1, 2`),
  )
    .map((r) => ({ ...r, probeId: Number(r.probe_id), n: Number(r.n), drops: Number(r.drops), lastDrop: r.last_drop === null ? null : new Date(r.last_drop) }))
    .filter((r) => r.n > 0);
  if (pairs.length === 0) return [];

  // A drop of the scope may end long after the scope (sessions live for hours): the
  // openings within 5 s of those ends lie past the first pass's range.
  const lastDrop = Math.max(...pairs.map((p) => p.lastDrop?.getTime() ?? 0));
  const upTo = new Date(Math.max(around.to.getTime(), lastDrop + 5_001));
  const later = new Map<string, { lo: string; hi: string }>();
  if (upTo > around.to) {
    const rows = rowsOf<{ probe_id: number; proxy: string; lo: string; hi: string }>(
      await db.execute(sql`select ${s.probeId} as probe_id, ${s.proxyName} as proxy, min(${s.egressAddress} collate "C") as lo, max(${s.egressAddress} collate "C") as hi
        from ${s} where ${and(gte(s.openedAt, around.to), lt(s.openedAt, upTo), isNotNull(s.egressAddress), ...pairFilters)}
        group by 1, 2`),
    );
    for (const r of rows) later.set(`${r.probe_id}|${r.proxy}`, r);
  }
  // Ordered in time: pairs whose scope shows more than one address, and pairs with drops
  // near which (in either pass's range) an opening shows another.
  const mixed = pairs.filter((p) => {
    const l = later.get(`${p.probeId}|${p.proxy}`);
    const around = [p.all_lo, p.all_hi, ...(l ? [l.lo, l.hi] : [])];
    return p.lo !== p.hi || (p.drops > 0 && around.some((a) => a !== around[0]));
  });

  const detail = new Map<string, { addresses: number; changes: number; near: number }>();
  if (mixed.length > 0) {
    const list = sql.join(mixed.map((p, k) => sql`(${sql.raw(String(k))}, ${sql.raw(String(p.probeId))}, ${p.proxy})`), sql`, `);
    const rows = rowsOf<{ k: number; addresses: string; changes: string; near: string }>(
      await db.execute(sql`with m(k, probe_id, proxy) as (values ${list}),
        o as materialized (
          select m.k, ${s.openedAt} as at, ${s.egressAddress} collate "C" as egress, ${s.endedAt} as ended_at, ${inScope} as in_scope, ${dropped} as dropped
          from ${s} join m on ${s.probeId} = m.probe_id and ${s.proxyName} = m.proxy
          where ${and(gte(s.openedAt, around.from), lt(s.openedAt, upTo), isNotNull(s.egressAddress))}
        ),
        ordered as (
          select k, count(distinct egress) as addresses, count(*) filter (where changed) as changes
          from (select k, egress, coalesce(lag(egress) over (partition by k order by at) <> egress, false) as changed from o where in_scope) as lagged
          group by k
        ),
        stream as (
          select k, ended_at as at, egress as dropped_egress, null::text collate "C" as egress from o where in_scope and dropped
          union all
          select k, at, null, egress from o
        ),
        near as (
          select k, count(*) as n
          from (select k, dropped_egress, min(egress) over frame as lo, max(egress) over frame as hi
                from stream
                window frame as (partition by k order by at range between interval '5 seconds' preceding and interval '5 seconds' following)) as framed
          where dropped_egress is not null and (lo <> dropped_egress or hi <> dropped_egress)
          group by k
        )
        select m.k, coalesce(ordered.addresses, 1) as addresses, coalesce(ordered.changes, 0) as changes, coalesce(near.n, 0) as near
        from m left join ordered on ordered.k = m.k left join near on near.k = m.k`),
    );
    for (const r of rows) {
      const p = mixed[Number(r.k)]!;
      detail.set(`${p.probeId}|${p.proxy}`, { addresses: Number(r.addresses), changes: Number(r.changes), near: Number(r.near) });
    }
  }

  const probeNames = new Map((await db.select({ id: probes.id, name: probes.name }).from(probes)).map((p) => [p.id, p.name]));
  return pairs.map((p) => {
    const d = detail.get(`${p.probeId}|${p.proxy}`) ?? { addresses: 1, changes: 0, near: 0 };
    return { probe: probeNames.get(p.probeId) ?? String(p.probeId), proxy: p.proxy, addresses: d.addresses, changes: d.changes, drops: p.drops, dropsNearChange: d.near };
  });
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
  // No pings in scope (a fleet of idle canaries): no path has a row to show, and grouping
  // the drops anyway cost a second at a day of a million sessions (bench:analysis).
  const [pinged] = await db.select({ one: sql<number>`1` }).from(rm).where(and(gte(rm.minute, scope.from), lt(rm.minute, scope.to), ...rttFilters(scope))).limit(1);
  if (!pinged) return [];
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
      sql`(with
           -- Drops of every path are grouped, also where no canary pings (idle ones): the
           -- HAVING below drops the paths without RTT, and filtering them out first cost more
           -- than grouping them (a pass over rtt_minutes and a join per drop). Minutes by
           -- date_trunc: floor(extract(epoch ...)) computes in numeric, twice the cost per drop.
           drop_minutes as (
             select ${s.targetName} as target_name, ${s.proxyName} as proxy_name, date_trunc('minute', ${s.endedAt}, 'UTC') as minute,
                    min(${s.endedAt}) as first_end, count(*) as n
             from ${s}
             where ${and(gte(s.endedAt, scope.from), lt(s.endedAt, scope.to), isNotNull(s.endKind), ne(s.endKind, 'probe_closed'), ...filters(scope))}
             group by 1, 2, 3
           ),
           keyed as (
             select ${rm.targetName} as target_name, ${rm.proxyName} as proxy_name, ${rm.minute} as minute, ${rm.sumMs} as sum_ms, ${rm.count} as n, false as covered, 0 as drops
             from ${rm} where ${and(sql`${rm.minute} >= ${from} - interval '5 minutes'`, lt(rm.minute, scope.to), ...rttFilters(scope))}
             union all
             select target_name, proxy_name, minute - k * interval '1 minute', null, null, true, case when k = 0 then n else 0 end
             from drop_minutes, generate_series(0, 5) as k
             where k < 5 or first_end = minute
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
