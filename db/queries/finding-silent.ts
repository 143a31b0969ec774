/**
 * Silent deaths per probe and path with their median quiet time (db/schema.ts
 * `finding_silent_deaths`): the sealed hours of the range from the aggregate, the rest
 * from the rows, as every sealed aggregate of ours (db/queries/sealed-aggregate.ts).
 *
 * The median is percentile_cont(0.5) over since_last_recv_ms, so the aggregate keeps each
 * distinct value with its count: an exact median needs the values themselves, and the
 * probe reports them to the microsecond (agent/canary.ts `round`). Where canaries of a
 * path share their pong deadline the values repeat and an hour holds a few rows; on
 * values that never repeat it holds one row per silent death, still only the silent
 * deaths (1.8 % of the endings at bench:dashboard's million) instead of every ending of
 * the range that the rows were filtered from.
 */
import { and, gte, lt, sql, type SQL } from 'drizzle-orm';
import type { SilentGroup } from '../../lib/analysis/findings';
import { splitEndings } from '../../lib/rollups/ending-buckets';
import type { Executor } from '../client';
import { canarySessions as s, findingSilentDeaths as fs, findingSilentDeathsDirty, probes } from '../schema';
import type { AnalysisScope } from './analysis';
import { AGE } from './drop-values';
import { pathFilters, rowsOf, within } from './scope';
import { REPORT_BUCKET_MS, dirtyHours, type SealedAggregate } from './sealed-aggregate';

const silent = sql`${s.endKind} = 'pong_timeout'`;

/** The aggregate of one (hour, probe): the one definition of what finding_silent_deaths holds. */
export function silentAggregate(bucket: Date, probeId: number): { columns: SQL; select: SQL } {
  const hour = and(gte(s.endedAt, bucket), lt(s.endedAt, new Date(bucket.getTime() + REPORT_BUCKET_MS)), silent, sql`${s.probeId} = ${probeId}`)!;
  return {
    columns: sql`bucket, probe_id, target_name, proxy_name, profile, quiet_ms, deaths, never_answered`,
    select: sql`select ${bucket.toISOString()}::timestamptz, ${probeId}::int, ${s.targetName}, ${s.proxyName}, ${s.profile}, ${s.sinceLastRecvMs},
        count(*)::int, (count(*) filter (where ${AGE} is null))::int
      from ${s} where ${hour}
      group by ${s.targetName}, ${s.proxyName}, ${s.profile}, ${s.sinceLastRecvMs}`,
  };
}

export const SILENT_DEATHS: SealedAggregate = { name: 'finding_silent_deaths', lockClass: 0x0e_b1_80, table: fs, dirty: findingSilentDeathsDirty, aggregate: silentAggregate };

/**
 * Silent deaths (pong_timeout endings in [from, to)) per probe × target × proxy: how many,
 * the median of their quiet time, and how many never heard a byte after the 101.
 *
 * The median is percentile_cont(0.5)'s, computed from (value, count) rows: the values at
 * the two middle ranks (0-based floor((n - 1) / 2) and floor(n / 2) of the n non-null
 * values) found by a running count, and `lo + (hi - lo) * 0.5` between them when n is even,
 * which is the float arithmetic of PostgreSQL's float8_lerp (and exact: halving is).
 */
export async function silentGroups(db: Executor, scope: AnalysisScope): Promise<SilentGroup[]> {
  const split = splitEndings(scope.from, scope.to, await dirtyHours(db, SILENT_DEATHS, scope.from, scope.to));
  const parts: SQL[] = [];
  if (split.sealed.length > 0) {
    parts.push(sql`select ${fs.probeId} as p, ${fs.targetName} as t, ${fs.proxyName} as x, ${fs.quietMs} as quiet, ${fs.deaths} as n, ${fs.neverAnswered} as never
      from ${fs} where ${and(within(fs.bucket, split.sealed), ...pathFilters(fs, scope))}`);
  }
  if (split.raw.length > 0) {
    parts.push(sql`select ${s.probeId} as p, ${s.targetName} as t, ${s.proxyName} as x, ${s.sinceLastRecvMs} as quiet, 1 as n, (${AGE} is null)::int as never
      from ${s} where ${and(within(s.endedAt, split.raw), silent, ...pathFilters(s, scope))}`);
  }
  if (parts.length === 0) return [];
  const rows = rowsOf<{ probe: string; t: string; x: string; n: string | number; never: string | number; quiet: string | number | null }>(
    await db.execute(sql`with v as (
        select p, t, x, quiet, sum(n)::bigint as n, sum(never)::bigint as never from (${sql.join(parts, sql` union all `)}) as u group by 1, 2, 3, 4
      ), c as (
        select p, t, x, quiet, sum(n) over (partition by p, t, x order by quiet)::bigint as cum, sum(n) over (partition by p, t, x)::bigint as total
        from v where quiet is not null
      ), m as (
        select p, t, x, max(total) as total, min(quiet) filter (where cum > (total - 1) / 2) as lo, min(quiet) filter (where cum > total / 2) as hi
        from c group by 1, 2, 3
      ), g as (
        select p, t, x, sum(n) as n, sum(never) as never from v group by 1, 2, 3
      )
      select ${probes.name} as probe, g.t, g.x, g.n, g.never,
        case when m.total % 2 = 0 then m.lo + (m.hi - m.lo) * 0.5::float8 else m.lo end as quiet
      from g join ${probes} on ${probes.id} = g.p left join m on m.p = g.p and m.t = g.t and m.x = g.x`),
  );
  // No median (null) when none of a group's deaths reported its quiet time, as the rows' percentile_cont.
  return rows.map((r) => ({ probe: r.probe, target: r.t, proxy: r.x, count: Number(r.n), medianQuietMs: (r.quiet === null ? null : Number(r.quiet)) as number, neverAnswered: Number(r.never) }));
}
