/**
 * Refusals by path, outcome, reason and Server header, and each path's attempts
 * (db/schema.ts `finding_refusals`): the sealed hours of the range from the aggregate, the
 * rest from the rows, as every sealed aggregate of ours (db/queries/sealed-aggregate.ts).
 * Each refusal row carries its group's count and latest attempt's evidence; the latest of
 * a range is the latest of its hours' latest, attempts being ordered totally (attempted_at,
 * then id bytewise; the pair is the table's key) and kept in a text of that order (LATEST). The attempts were read from
 * attempt_rollup, whose quarter-hours by outcome and status made 164,577 rows a week at
 * bench:dashboard's million sessions (60 ms); here an hour of a path's opened attempts is
 * one row.
 */
import { and, gte, isNotNull, lt, sql, type SQL } from 'drizzle-orm';
import type { RefusalGroup } from '../../lib/analysis/findings';
import { splitEndings } from '../../lib/rollups/ending-buckets';
import type { Executor } from '../client';
import { canarySessions as s, findingRefusals as fr, findingRefusalsDirty } from '../schema';
import type { AnalysisScope } from './analysis';
import { pathFilters, rowsOf, within } from './scope';
import { REPORT_BUCKET_MS, dirtyHours, type SealedAggregate } from './sealed-aggregate';

const REFUSED = sql`${s.outcome} in ('upgrade_refused', 'proxy_refused', 'dial_failed')`;
const REASON = sql`coalesce(${s.httpStatus}::text, ${s.proxyReply}, ${s.errorCode}, 'unknown')`;
const SERVER = sql`(${s.responseHeaders}->>'server')`;
/**
 * An attempt as one text whose bytewise order is (attempted_at, id)'s: the instant's UTC
 * digits at a fixed width, then the id (whose characters, [A-Za-z0-9_-], all sort after
 * the \x01 that ends it), then its evidence as JSON. The greatest of a group is its latest
 * attempt with its evidence, whatever the plan or the collation, and a hash aggregate
 * finds it: ordering the refusals with their evidence instead took ~50 ms and spilled to
 * disk at 4 MB of work_mem (18,000 rows a week at bench:dashboard's million).
 */
const LATEST = sql`((to_char(${s.attemptedAt} at time zone 'UTC', 'YYYYMMDDHH24MISSUS') || ${s.id} || chr(1)
  || jsonb_build_array(${s.responseHeaders}, ${s.errorCode}, ${s.errorMessage}, ${s.bodyExcerpt})::text) collate "C")`;

/** The aggregate of one (hour, probe): the one definition of what finding_refusals holds. */
export function refusalAggregate(bucket: Date, probeId: number): { columns: SQL; select: SQL } {
  const hour = and(gte(s.attemptedAt, bucket), lt(s.attemptedAt, new Date(bucket.getTime() + REPORT_BUCKET_MS)), isNotNull(s.outcome), sql`${s.probeId} = ${probeId}`)!;
  return {
    columns: sql`bucket, probe_id, target_name, proxy_name, profile, outcome, reason, server, attempts, latest`,
    select: sql`select ${bucket.toISOString()}::timestamptz, ${probeId}::int, ${s.targetName}, ${s.proxyName}, ${s.profile}, ${s.outcome},
        case when ${REFUSED} then ${REASON} else '' end, case when ${REFUSED} then ${SERVER} end, count(*)::int, max(${LATEST}) filter (where ${REFUSED})
      from ${s} where ${hour}
      group by ${s.targetName}, ${s.proxyName}, ${s.profile}, ${s.outcome}, 7, 8`,
  };
}

export const REFUSALS: SealedAggregate = { name: 'finding_refusals', lockClass: 0x0e_b1_82, table: fr, dirty: findingRefusalsDirty, aggregate: refusalAggregate };

/**
 * Refusals (failed attempts in [from, to)) by path, outcome, reason and Server header,
 * beside each path's attempts, in one statement: the sealed hours' from finding_refusals,
 * the rest from the rows (the refusals by canary_sessions_failed_attempted_idx, which
 * holds only failed attempts; the opened attempts counted index-only by
 * canary_sessions_attempted_at_idx). Each group also carries its latest attempt's
 * identifying headers, error code, error message and body excerpt (the evidence
 * lib/analysis/refusals.ts classifies by).
 */
export async function refusalGroups(db: Executor, scope: AnalysisScope): Promise<RefusalGroup[]> {
  const split = splitEndings(scope.from, scope.to, await dirtyHours(db, REFUSALS, scope.from, scope.to));
  const parts: SQL[] = [];
  if (split.sealed.length > 0) {
    parts.push(sql`select ${fr.targetName} as t, ${fr.proxyName} as x, ${fr.outcome} as outcome, ${fr.reason} as reason, ${fr.server} as server, ${fr.attempts} as n,
        ${fr.latest} collate "C" as latest
      from ${fr} where ${and(within(fr.bucket, split.sealed), ...pathFilters(fr, scope))}`);
  }
  if (split.raw.length > 0) {
    parts.push(sql`select ${s.targetName} as t, ${s.proxyName} as x, ${s.outcome} as outcome, ${REASON} as reason, ${SERVER} as server, 1 as n, ${LATEST} as latest
      from ${s} where ${and(within(s.attemptedAt, split.raw), REFUSED, ...pathFilters(s, scope))}`);
    parts.push(sql`select ${s.targetName} as t, ${s.proxyName} as x, ${s.outcome} as outcome, '' as reason, null as server, count(*)::int as n, null as latest
      from ${s} where ${and(within(s.attemptedAt, split.raw), sql`${s.outcome} = 'opened'`, ...pathFilters(s, scope))} group by 1, 2, 3`);
  }
  if (parts.length === 0) return [];
  const rows = rowsOf<{ t: string; x: string; outcome: string; reason: string; server: string | null; n: string | number; attempts: string | number; latest: string }>(
    await db.execute(sql`select g.*, coalesce(o.n, 0) + sum(g.n) over (partition by g.t, g.x) as attempts
      from (select t, x, outcome, reason, server, sum(n) as n, max(latest) as latest
            from (${sql.join(parts, sql` union all `)}) as u where outcome <> 'opened' group by 1, 2, 3, 4, 5) as g
        left join (select t, x, sum(n) as n from (${sql.join(parts, sql` union all `)}) as u where outcome = 'opened' group by 1, 2) as o on o.t = g.t and o.x = g.x`),
  );
  const groups = rows.map((g) => {
    const [headers, errorCode, errorMessage, bodyExcerpt] = JSON.parse(g.latest.slice(g.latest.indexOf('\x01') + 1)) as [Record<string, string> | null, string | null, string | null, string | null];
    return { ...g, n: Number(g.n), headers, errorCode, errorMessage, bodyExcerpt };
  });
  return groups.map((g) => ({
    target: g.t,
    proxy: g.x,
    outcome: g.outcome as RefusalGroup['outcome'],
    reason: g.reason,
    server: g.server,
    count: g.n,
    attempts: Number(g.attempts),
    directCount: groups.filter((d) => d.x === 'direct' && d.t === g.t && d.reason === g.reason).reduce((n, d) => n + d.n, 0),
    headers: g.headers ?? {},
    errorCode: g.errorCode,
    errorMessage: g.errorMessage,
    bodyExcerpt: g.bodyExcerpt,
  }));
}
