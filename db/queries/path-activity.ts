/**
 * What a path's rates and its median life are measured over (issue 19):
 *   - its time with data in the range (lib/paths/data-time.ts says the definition; this is
 *     the same in SQL, a few index probes per path), which its drop rate is divided by;
 *   - the median life of the sessions that ended otherwise than closed by the probe. A
 *     healthy path's "median life 10 s" was the probe's own ladder and bisect rungs and held
 *     heartbeats closing at their planned age: the probe chose those lifetimes, the path did
 *     not. Read from the matrix's aggregate (attempt_lifetimes keeps drops per lifetime bin)
 *     exactly as db/queries/attempt-lifetimes.ts reads the all-endings median, counting
 *     drops instead of endings: within the same MEDIAN_LIFETIME_RELATIVE_ERROR.
 */
import { and, sql, type SQL } from 'drizzle-orm';
import type { DashboardScope } from '../../lib/dashboard/scope';
import type { DataSpan } from '../../lib/paths/data-time';
import { splitEndings } from '../../lib/rollups/ending-buckets';
import { binnedMedian } from '../../lib/rollups/lifetime-bins';
import { DEFAULT_INGEST_LIMITS, type IngestLimits } from '../../lib/contracts/ingest';
import type { Executor } from '../client';
import { attemptLifetimes as al, canarySessions as s, probes as p } from '../schema';
import { ATTEMPT_LIFETIMES, LIFETIME_BIN } from './attempt-lifetimes';
import { probeSilentSql } from './probe-silence';
import { dirtyHours } from './sealed-aggregate';
import { pathFilters, rowsOf, sessionFilters, within } from './scope';

/** One matrix cell's key: a path, and its probe when the matrix is split by probe. */
export interface CellKey {
  target: string;
  proxy: string;
  probeId: number | null;
}

export const cellKey = (k: CellKey) => `${k.target}|${k.proxy}|${k.probeId ?? ''}`;

/**
 * How far before an instant a session still open at it can have been attempted: the ingest's
 * longest accepted duration (DROPSCOPE_INGEST_MAX_DURATION, 7 days by default) and its clock
 * skew, which also covers the dial before the upgrade. Bounds the look-back of "open at t".
 */
export function longestSessionMs(limits: Pick<IngestLimits, 'maxDurationMs' | 'skewMs'> = DEFAULT_INGEST_LIMITS): number {
  return limits.maxDurationMs + limits.skewMs;
}

/** What a data span is read against besides the scope (lib/paths/data-time.ts `SpanBounds`). */
export interface SpanOptions {
  /** Probes silent at `now` (db/queries/probe-silence.ts) vouch for none of their open canaries. */
  now: Date;
  /** {@link longestSessionMs}: the server's configured ingest limits; the defaults' otherwise. */
  longestSessionMs?: number;
}

/**
 * Each cell's data span within [scope.from, scope.to) (lib/paths/data-time.ts `dataSpan`):
 * per cell, the first and last attempt in the range and the last end in it (the path's
 * indexes, one probe each), and whether a session was open across the range's start and end.
 * "Open at t" reads the ended sessions attempted within {@link longestSessionMs} before t
 * (the path's (target, proxy, attempted_at) index, and the partitions of those days only:
 * unbounded, it read every session the path ever ended after t), and the live canaries'
 * partial index; an open canary of a probe silent at `now` counts up to the probe's last
 * report only, so time with data does not run on to the range's end through its silence.
 * A cell with no data in the range is absent from the answer.
 */
export async function dataSpans(db: Executor, scope: DashboardScope, keys: readonly CellKey[], options: SpanOptions): Promise<Map<string, DataSpan>> {
  if (keys.length === 0) return new Map();
  const from = sql`${scope.from.toISOString()}::timestamptz`;
  const to = sql`${scope.to.toISOString()}::timestamptz`;
  const lookBack = `${options.longestSessionMs ?? longestSessionMs()} milliseconds`;
  const filters = sessionFilters(scope);
  // Sessions of cell k matching the scope: canary_sessions unaliased in each subquery, so the filters' columns resolve to it.
  const ofCell = (extra: SQL) => and(sql`${s.targetName} = k.t and ${s.proxyName} = k.x and (k.p is null or ${s.probeId} = k.p)`, extra, ...filters);
  const vouched = (t: SQL) => sql`(not ${probeSilentSql(options.now)} or exists (select 1 from ${p} where ${p.id} = ${s.probeId} and ${p.lastSeenAt} >= ${t}))`;
  const openAt = (t: SQL) => sql`(exists (select 1 from ${s} where ${ofCell(sql`${s.endedAt} >= ${t} and ${s.attemptedAt} < ${t} and ${s.attemptedAt} >= ${t} - ${lookBack}::interval and ${s.outcome} = 'opened'`)})
    or exists (select 1 from ${s} where ${ofCell(sql`${s.endedAt} is null and ${s.outcome} = 'opened' and ${s.attemptedAt} < ${t} and ${vouched(t)}`)}))`;
  const epoch = (x: SQL) => sql`round(extract(epoch from ${x}) * 1000)::float8`;
  const values = sql.join(
    keys.map((k) => sql`(${k.target}::text, ${k.proxy}::text, ${k.probeId}::int)`),
    sql`, `,
  );
  const rows = rowsOf<Record<string, unknown>>(
    await db.execute(sql`select k.t, k.x, k.p,
        ${epoch(sql`(select min(${s.attemptedAt}) from ${s} where ${ofCell(sql`${s.attemptedAt} >= ${from} and ${s.attemptedAt} < ${to}`)})`)} as first_attempt,
        ${epoch(sql`(select max(${s.attemptedAt}) from ${s} where ${ofCell(sql`${s.attemptedAt} >= ${from} and ${s.attemptedAt} < ${to}`)})`)} as last_attempt,
        ${epoch(sql`(select max(${s.endedAt}) from ${s} where ${ofCell(sql`${s.endedAt} >= ${from} and ${s.endedAt} < ${to}`)})`)} as last_end,
        ${openAt(from)} as across_start,
        ${openAt(to)} as across_end
      from (values ${values}) as k(t, x, p)`),
  );
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  const yes = (v: unknown) => v === true || v === 't' || v === 'true';
  const out = new Map<string, DataSpan>();
  for (const r of rows) {
    const first = num(r.first_attempt);
    const acrossStart = yes(r.across_start);
    if (first === null && !acrossStart) continue;
    const startMs = acrossStart ? scope.from.getTime() : first!;
    const last = [num(r.last_attempt), num(r.last_end)].filter((x): x is number => x !== null);
    const endMs = yes(r.across_end) ? scope.to.getTime() : Math.max(startMs, ...last);
    out.set(cellKey({ target: String(r.t), proxy: String(r.x), probeId: num(r.p) }), { startMs, endMs, dataMs: endMs - startMs });
  }
  return out;
}

/** The median life of the sessions not closed by the probe, per cell: null without such an ending with a duration. */
export async function dropLifetimes(db: Executor, scope: DashboardScope, byProbe: boolean): Promise<Map<string, number | null>> {
  const split = splitEndings(scope.from, scope.to, await dirtyHours(db, ATTEMPT_LIFETIMES, scope.from, scope.to));
  const parts: SQL[] = [];
  if (split.sealed.length > 0) {
    parts.push(sql`select ${al.targetName} as t, ${al.proxyName} as x, ${al.probeId} as p, ${al.bin} as bin, ${al.drops} as drops
      from ${al} where ${and(within(al.bucket, split.sealed), sql`${al.bin} is not null`, ...pathFilters(al, scope))}`);
  }
  if (split.raw.length > 0) {
    parts.push(sql`select ${s.targetName} as t, ${s.proxyName} as x, ${s.probeId} as p, ${LIFETIME_BIN} as bin,
        (${s.endKind} is not null and ${s.endKind} <> 'probe_closed')::int as drops
      from ${s} where ${and(within(s.attemptedAt, split.raw), ...sessionFilters(scope))}`);
  }
  if (parts.length === 0) return new Map();
  const probe = byProbe ? sql`p` : sql`null::int`;
  // The median's two middle ranks found by a running count of drops per bin, as attempt-lifetimes.ts does for all endings.
  const rows = rowsOf<Record<string, unknown>>(
    await db.execute(sql`with g as (
        select t collate "C" as t, x collate "C" as x, ${probe} as p, bin, sum(drops) as drops
        from (${sql.join(parts, sql` union all `)}) as u where bin is not null group by 1, 2, 3, 4 having sum(drops) > 0
      ), c as (
        select t, x, p, bin, sum(drops) over (partition by t, x, p order by bin) as cum, sum(drops) over (partition by t, x, p) as n from g
      )
      select t, x, p, max(n) as n, min(bin) filter (where cum > (n - 1) / 2) as lo, min(bin) filter (where cum > n / 2) as hi from c group by 1, 2, 3`),
  );
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return new Map(rows.map((r) => [cellKey({ target: String(r.t), proxy: String(r.x), probeId: num(r.p) }), binnedMedian(Number(r.n ?? 0), num(r.lo), num(r.hi))]));
}
