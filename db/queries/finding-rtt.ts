/**
 * RTT before drops per path (db/schema.ts `finding_drop_minutes`, `rtt_hours`): the drops
 * of a range by the minutes they ended in, and the RTT of a range by hour, each sealed as
 * every aggregate of ours (db/queries/sealed-aggregate.ts) and read for the sealed hours
 * from the aggregate and for the rest from the rows.
 *
 * An hour of a path's drops is two 60-bit masks of its minutes (a drop ended in minute i;
 * one ended exactly on its first instant), so the minutes "before a drop" are a few shifts
 * of them. At bench:dashboard's million sessions a week holds 731,559 drops and 725,760
 * RTT minutes (six probes, twelve pinging paths); finding_drop_minutes then holds a row per
 * hour, probe and path (~25,000) and rtt_hours ~12,000.
 */
import { and, gte, lt, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { RttBeforeDrops } from '../../lib/analysis/findings';
import { splitEndings } from '../../lib/rollups/ending-buckets';
import type { Executor } from '../client';
import { canarySessions as s, findingDropMinutes as fd, findingDropMinutesDirty, rttHours as rh, rttHoursDirty, rttMinutes as rm } from '../schema';
import type { AnalysisScope } from './analysis';
import { pathFilters, probeFilters, rowsOf, within } from './scope';
import { REPORT_BUCKET_MS, dirtyHours, type SealedAggregate } from './sealed-aggregate';

const DROPPED = sql`(${s.endKind} is not null and ${s.endKind} <> 'probe_closed')`;
/** Minute i of the hour (UTC) of an instant, and its bit in a mask. */
const minuteOf = (at: SQL) => sql`extract(minute from ${at} at time zone 'UTC')::int`;
const ENDED_MINUTE_BIT = sql`(1::bigint << ${minuteOf(sql`${s.endedAt}`)})`;
/** A drop that ended on the first instant of its minute: that minute's RTT minute and the five before it end within 5 min of it. */
const ON_MINUTE_BIT = sql`(case when ${s.endedAt} = date_trunc('minute', ${s.endedAt}, 'UTC') then ${ENDED_MINUTE_BIT} else 0::bigint end)`;
/** The 60 minutes of an hour, as a mask. */
const FULL = sql.raw('((1::bigint << 60) - 1)');

/** The aggregate of one (hour, probe): the one definition of what finding_drop_minutes holds. */
export function dropMinutesAggregate(bucket: Date, probeId: number): { columns: SQL; select: SQL } {
  const hour = and(gte(s.endedAt, bucket), lt(s.endedAt, new Date(bucket.getTime() + REPORT_BUCKET_MS)), DROPPED, sql`${s.probeId} = ${probeId}`)!;
  return {
    columns: sql`bucket, probe_id, target_name, proxy_name, profile, drops, minutes, on_minute`,
    select: sql`select ${bucket.toISOString()}::timestamptz, ${probeId}::int, ${s.targetName}, ${s.proxyName}, ${s.profile}, count(*)::int, bit_or(${ENDED_MINUTE_BIT}), bit_or(${ON_MINUTE_BIT})
      from ${s} where ${hour}
      group by ${s.targetName}, ${s.proxyName}, ${s.profile}`,
  };
}

/** The aggregate of one (hour, probe) of rtt_minutes: the one definition of what rtt_hours holds. */
export function rttHourAggregate(bucket: Date, probeId: number): { columns: SQL; select: SQL } {
  const hour = and(gte(rm.minute, bucket), lt(rm.minute, new Date(bucket.getTime() + REPORT_BUCKET_MS)), sql`${rm.probeId} = ${probeId}`)!;
  // One rtt_minutes row per minute, probe and path (its key): each path's 60 minutes, 0 where none.
  return {
    columns: sql`bucket, probe_id, target_name, proxy_name, count, sum_ms, minute_counts, minute_sums`,
    select: sql`select ${bucket.toISOString()}::timestamptz, ${probeId}::int, k.t, k.x, sum(m.n)::bigint, sum(m.s),
        array_agg(coalesce(m.n, 0) order by g.i), array_agg(coalesce(m.s, 0) order by g.i)
      from (select distinct ${rm.targetName} as t, ${rm.proxyName} as x from ${rm} where ${hour}) as k
        cross join generate_series(0, 59) as g(i)
        left join (select ${rm.targetName} as t, ${rm.proxyName} as x, ${minuteOf(sql`${rm.minute}`)} as i, ${rm.count} as n, ${rm.sumMs} as s from ${rm} where ${hour}) as m
          on m.t = k.t and m.x = k.x and m.i = g.i
      group by k.t, k.x`,
  };
}

export const DROP_MINUTES: SealedAggregate = { name: 'finding_drop_minutes', lockClass: 0x0e_b1_83, table: fd, dirty: findingDropMinutesDirty, aggregate: dropMinutesAggregate };
export const RTT_HOURS: SealedAggregate = { name: 'rtt_hours', lockClass: 0x0e_b1_84, table: rh, dirty: rttHoursDirty, aggregate: rttHourAggregate };

/**
 * The scope's filters on a table of RTT by path without the profile (every canary of a
 * path pings the same way through it), so a profile filter narrows the drops but not the
 * RTT they are compared with.
 */
function rttFilters(c: { probeId: AnyPgColumn; targetName: AnyPgColumn; proxyName: AnyPgColumn }, scope: AnalysisScope): SQL[] {
  const out: SQL[] = [];
  if (scope.proxy) out.push(sql`${c.proxyName} = ${scope.proxy}`);
  if (scope.target) out.push(sql`${c.targetName} = ${scope.target}`);
  return [...out, ...probeFilters(c.probeId, scope)];
}

/**
 * Per target × proxy: the mean RTT over the scope, and over the 5 minutes before each drop.
 * An RTT minute m counts as "before a drop" when a drop of the path ended in [m, m + 5 min]
 * (rtt_minutes.minute is a whole minute, as ingest rolls samples up): a drop in minute i
 * covers minutes i - 4 to i, and i - 5 too when it ended exactly on the minute. The
 * scope's probe, proxy and target filters apply to the RTT minutes and the drops both.
 *
 * Per path and hour, the minutes covered are the drop masks shifted (those of minutes 0-4
 * reach into the hour before). A sealed RTT hour (rtt_hours) counts before a drop whole
 * when every minute of it is covered, not at all when none is, and otherwise by its
 * minutes' sums: at most 30 of them, the covered ones or the hour less the others. Reading
 * those minutes from rtt_minutes instead took 1.9 s for a week of the ladder profile at
 * bench:dashboard's million (1,502 of 2,016 path-hours covered in part, 384,000 rows).
 * The hours read from the rows (the range's edges, the five minutes before it, dirty
 * hours) count minute by minute. The sums are float sums in another order than over the
 * rows one by one: means agree to the last few bits, counts exactly.
 */
export async function rttBeforeDrops(db: Executor, scope: AnalysisScope): Promise<RttBeforeDrops[]> {
  if (!(scope.from < scope.to)) return [];
  const [dropDirty, rttDirty] = await Promise.all([dirtyHours(db, DROP_MINUTES, scope.from, scope.to), dirtyHours(db, RTT_HOURS, scope.from, scope.to)]);
  const drops = splitEndings(scope.from, scope.to, dropDirty);
  const rtt = splitEndings(scope.from, scope.to, rttDirty);
  const from = sql`${scope.from.toISOString()}::timestamptz`;

  const dropParts: SQL[] = [];
  if (drops.sealed.length > 0) {
    dropParts.push(sql`select ${fd.targetName} as t, ${fd.proxyName} as x, ${fd.bucket} as h, ${fd.drops} as n, ${fd.minutes} as m, ${fd.onMinute} as e
      from ${fd} where ${and(within(fd.bucket, drops.sealed), ...pathFilters(fd, scope))}`);
  }
  if (drops.raw.length > 0) {
    dropParts.push(sql`select ${s.targetName} as t, ${s.proxyName} as x, date_trunc('hour', ${s.endedAt}, 'UTC') as h, 1 as n, ${ENDED_MINUTE_BIT} as m, ${ON_MINUTE_BIT} as e
      from ${s} where ${and(within(s.endedAt, drops.raw), DROPPED, ...pathFilters(s, scope))}`);
  }
  const rttParts: SQL[] = [];
  if (rtt.sealed.length > 0) {
    rttParts.push(sql`select ${rh.targetName} as t, ${rh.proxyName} as x, ${rh.bucket} as h, null::int as mi, ${rh.sumMs} as s, ${rh.count} as n, true as base
      from ${rh} where ${and(within(rh.bucket, rtt.sealed), ...rttFilters(rh, scope))}`);
  }
  // The five minutes before the scope only count before a drop.
  const rawMinutes = [{ from: new Date(scope.from.getTime() - 5 * 60_000), to: scope.from }, ...rtt.raw];
  rttParts.push(sql`select ${rm.targetName} as t, ${rm.proxyName} as x, date_trunc('hour', ${rm.minute}, 'UTC') as h, ${minuteOf(sql`${rm.minute}`)} as mi,
      ${rm.sumMs} as s, ${rm.count}::bigint as n, ${rm.minute} >= ${from} as base
    from ${rm} where ${and(within(rm.minute, rawMinutes), ...rttFilters(rm, scope))}`);

  const rows = rowsOf<{ t: string; x: string; base_sum: string | number; base_n: string | number; before_sum: string | number; before_n: string | number; drops: string | number }>(
    await db.execute(sql`with
      dh as (
        select t, x, h, sum(n) as n, bit_or(m) as m, bit_or(e) as e from (${sql.join(dropParts, sql` union all `)}) as d group by 1, 2, 3
      ),
      cov as (
        select t, x, h, bit_or(c) & ${FULL} as c
        from (select t, x, h, m | (m >> 1) | (m >> 2) | (m >> 3) | (m >> 4) | (e >> 5) as c from dh
              union all
              select t, x, h - interval '1 hour', ((m & 31) << 56) | ((m & 31) << 57) | ((m & 31) << 58) | ((m & 31) << 59) | ((e & 31) << 55) from dh) as spread
        group by 1, 2, 3
      ),
      -- The probes' rows of an hour (sealed) or minute (raw) summed first: ~2,000 cells a week to join, not ~16,000 rows.
      r as materialized (select t, x, h, mi, base, sum(s) as s, sum(n) as n from (${sql.join(rttParts, sql` union all `)}) as u group by 1, 2, 3, 4, 5),
      per_path as (
        select rc.t, rc.x, sum(rc.s) filter (where rc.base) as base_sum, sum(rc.n) filter (where rc.base) as base_n,
          sum(rc.s) filter (where rc.covered) as before_sum, sum(rc.n) filter (where rc.covered) as before_n
        from (select r.*, case when r.mi is null then c.c = ${FULL} else (c.c >> r.mi) & 1 = 1 end as covered
              from r left join cov c on c.t = r.t and c.x = r.x and c.h = r.h) as rc
        group by 1, 2
      ),
      -- Sealed hours covered in part, by their minutes: those covered, or the others (taken
      -- from the hour's total) when they are fewer, so that no hour sums more than 30.
      pc as materialized (
        select t, x, h, inverse, array(select i from generate_series(0, 59) as i where ((c >> i) & 1 = 1) <> inverse) as minutes
        from (select c.t, c.x, c.h, c.c, bit_count(c.c::bit(64)) > 30 as inverse from cov c where c.c <> 0 and c.c <> ${FULL}) as partly
      ),
      partial as (
        select pc.t, pc.x, sum(case when pc.inverse then ${rh.sumMs} - m.s else m.s end) as s, sum(case when pc.inverse then ${rh.count} - m.n else m.n end) as n
        from pc join ${rh} on ${and(sql`${rh.targetName} = pc.t`, sql`${rh.proxyName} = pc.x`, sql`${rh.bucket} = pc.h`, within(rh.bucket, rtt.sealed), ...rttFilters(rh, scope))}
          cross join lateral (select coalesce(sum(${rh.minuteSums}[i + 1]), 0) as s, coalesce(sum(${rh.minuteCounts}[i + 1]), 0) as n from unnest(pc.minutes) as i) as m
        group by 1, 2
      ),
      dp as (select t, x, sum(n) as drops from dh group by 1, 2)
      select p.t, p.x, p.base_sum, p.base_n, coalesce(p.before_sum, 0) + coalesce(q.s, 0) as before_sum, coalesce(p.before_n, 0) + coalesce(q.n, 0) as before_n,
        coalesce(dp.drops, 0) as drops
      from per_path p left join partial q on q.t = p.t and q.x = p.x left join dp on dp.t = p.t and dp.x = p.x
      where p.base_n > 0`),
  );
  return rows.map((r) => {
    const beforeCount = Number(r.before_n);
    return {
      target: r.t,
      proxy: r.x,
      baselineMs: Number(r.base_sum) / Number(r.base_n),
      baselineSamples: Number(r.base_n),
      beforeMs: beforeCount ? Number(r.before_sum) / beforeCount : 0,
      beforeSamples: beforeCount,
      drops: Number(r.drops),
    };
  });
}
