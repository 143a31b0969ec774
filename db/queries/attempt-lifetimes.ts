/**
 * The paths matrix's aggregate (db/schema.ts `attempt_lifetimes`): per hour of attempted_at
 * and path, the sessions by lifetime bin (lib/rollups/lifetime-bins.ts), sealed as the
 * endings aggregate is (db/queries/sealed-aggregate.ts). A read takes the sealed hours of
 * its range from here and the edges, the open hour and any dirty hour from the rows, with
 * the same expressions, so the answer equals one computed from the rows alone.
 */
import { and, gte, lt, sql, type SQL } from 'drizzle-orm';
import type { DashboardScope } from '../../lib/dashboard/scope';
import { LIFETIME_GAMMA } from '../../lib/rollups/lifetime-bins';
import { splitEndings } from '../../lib/rollups/ending-buckets';
import type { Executor } from '../client';
import { attemptLifetimes as al, attemptLifetimesDirty, canarySessions as s } from '../schema';
import { REPORT_BUCKET_MS, dirtyHours, type SealedAggregate } from './sealed-aggregate';
import { pathFilters, rowsOf, sessionFilters, within } from './scope';

/** The lifetime bin of a session row: null unless it ended with a duration (lib/rollups/lifetime-bins.ts `lifetimeBin`). */
export const LIFETIME_BIN = sql<number | null>`(case when ${s.endKind} is not null and ${s.durationMs} is not null then
  (case when ${s.durationMs} < 1 then 0 else 1 + floor(ln(${s.durationMs}) / ${sql.raw(String(Math.log(LIFETIME_GAMMA)))})::int end) end)`;

/** What one session row counts, the columns of attempt_lifetimes after its key. */
const COUNTS = sql`1 as sessions, (${s.outcome} is not null)::int as attempts, coalesce(${s.outcome} = 'opened', false)::int as opened,
  (${s.endKind} is not null)::int as ended, (${s.endKind} is not null and ${s.endKind} <> 'probe_closed')::int as drops`;

/** The aggregate of one (hour, probe): the one definition of what attempt_lifetimes holds. */
export function lifetimeAggregate(bucket: Date, probeId: number): { columns: SQL; select: SQL } {
  const hour = and(gte(s.attemptedAt, bucket), lt(s.attemptedAt, new Date(bucket.getTime() + REPORT_BUCKET_MS)), sql`${s.probeId} = ${probeId}`)!;
  return {
    columns: sql`bucket, probe_id, target_name, proxy_name, profile, bin, sessions, attempts, opened, ended, drops, last_attempted_at`,
    select: sql`select ${bucket.toISOString()}::timestamptz, probe_id, target_name, proxy_name, profile, bin,
        sum(sessions)::int, sum(attempts)::int, sum(opened)::int, sum(ended)::int, sum(drops)::int, max(at)
      from (select ${s.probeId} as probe_id, ${s.targetName} as target_name, ${s.proxyName} as proxy_name, ${s.profile} as profile,
              ${LIFETIME_BIN} as bin, ${COUNTS}, ${s.attemptedAt} as at from ${s} where ${hour}) as x
      group by probe_id, target_name, proxy_name, profile, bin`,
  };
}

export const ATTEMPT_LIFETIMES: SealedAggregate = { name: 'attempt_lifetimes', lockClass: 0x0e_b1_76, table: al, dirty: attemptLifetimesDirty, aggregate: lifetimeAggregate };

/** One cell of the matrix before it is named and judged. */
export interface LifetimeRow {
  target: string;
  proxy: string;
  /** Set when split by probe. */
  probeId: number | null;
  attempts: number;
  opened: number;
  ended: number;
  drops: number;
  /** Ended sessions with a duration (the median's sample). */
  timed: number;
  /** The bins of the median's two middle ranks (lib/rollups/lifetime-bins.ts `binnedMedian`). */
  lowerBin: number | null;
  upperBin: number | null;
  /** The latest attempt. */
  last: Date;
}

/**
 * The matrix's cells over the sessions attempted in [scope.from, scope.to): one statement
 * over the sealed hours' aggregate and the rest's rows, grouped by path and bin, the
 * median's bins found by a running count per cell (one row per cell comes back).
 */
export async function lifetimeRows(db: Executor, scope: DashboardScope, byProbe: boolean): Promise<LifetimeRow[]> {
  const split = splitEndings(scope.from, scope.to, await dirtyHours(db, ATTEMPT_LIFETIMES, scope.from, scope.to));
  const parts: SQL[] = [];
  if (split.sealed.length > 0) {
    parts.push(sql`select ${al.targetName} as t, ${al.proxyName} as x, ${al.probeId} as p, ${al.bin} as bin, ${al.attempts} as attempts, ${al.opened} as opened,
        ${al.ended} as ended, ${al.drops} as drops, ${al.lastAttemptedAt} as last
      from ${al} where ${and(within(al.bucket, split.sealed), ...pathFilters(al, scope))}`);
  }
  if (split.raw.length > 0) {
    parts.push(sql`select ${s.targetName} as t, ${s.proxyName} as x, ${s.probeId} as p, ${LIFETIME_BIN} as bin, (${s.outcome} is not null)::int as attempts,
        coalesce(${s.outcome} = 'opened', false)::int as opened, (${s.endKind} is not null)::int as ended, (${s.endKind} is not null and ${s.endKind} <> 'probe_closed')::int as drops,
        ${s.attemptedAt} as last
      from ${s} where ${and(within(s.attemptedAt, split.raw), ...sessionFilters(scope))}`);
  }
  if (parts.length === 0) return [];
  // Grouped by the bytes of the names (collate "C"), as the sort-based median did: cheaper
  // than a locale-aware comparison, and the order comes from JS anyway.
  const probe = byProbe ? sql`p` : sql`null::int`;
  const rows = rowsOf<Record<string, unknown>>(
    await db.execute(sql`with g as (
        select t collate "C" as t, x collate "C" as x, ${probe} as p, bin, sum(attempts) as attempts, sum(opened) as opened, sum(ended) as ended,
          sum(drops) as drops, max(last) as last
        from (${sql.join(parts, sql` union all `)}) as u group by 1, 2, 3, 4
      ), c as (
        select t, x, p, bin, sum(ended) over (partition by t, x, p order by bin) as cum, sum(ended) over (partition by t, x, p) as n
        from g where bin is not null
      ), m as (
        select t, x, p, max(n) as n, min(bin) filter (where cum > (n - 1) / 2) as lo, min(bin) filter (where cum > n / 2) as hi from c group by 1, 2, 3
      )
      select g.t, g.x, g.p, sum(g.attempts) as attempts, sum(g.opened) as opened, sum(g.ended) as ended, sum(g.drops) as drops,
        round(extract(epoch from max(g.last)) * 1000)::float8 as last, max(m.n) as n, max(m.lo) as lo, max(m.hi) as hi
      from g left join m on m.t = g.t and m.x = g.x and m.p is not distinct from g.p
      group by 1, 2, 3`),
  );
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return rows.map((r) => ({
    target: String(r.t),
    proxy: String(r.x),
    probeId: num(r.p),
    attempts: Number(r.attempts),
    opened: Number(r.opened),
    ended: Number(r.ended),
    drops: Number(r.drops),
    timed: Number(r.n ?? 0),
    lowerBin: num(r.lo),
    upperBin: num(r.hi),
    last: new Date(Number(r.last)),
  }));
}
