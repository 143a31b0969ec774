/**
 * The handshake page in SQL: attempts and 101 upgrades per time bucket, outcomes, and the
 * failed attempts grouped by HTTP status, proxy reply and socket error with the paths they
 * hit. An attempt counts once its outcome is known (opened or failed), by attempted_at.
 */
import { and, gte, isNotNull, lt, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { Outcome } from '../../lib/contracts/ingest';
import type { DashboardScope } from '../../lib/dashboard/scope';
import { bucketFor, type FailureGroup, type HandshakesReport } from '../../lib/handshakes/report';
import { PROXY_REPLY_KEY_CHARS, ROLLUP_BUCKET_MS } from '../../lib/rollups/contributions';
import { splitByBucket, type BucketSplit } from '../../lib/rollups/bucket-split';
import type { Db, Executor } from '../client';
import { attemptRollup as ah, canarySessions as s } from '../schema';
import { rollupAndEdges } from './rollup-parts';
import { pathFilters, rowsOf, sessionFilters } from './scope';


/** Attempts grouped by time bucket, outcome, answer and path: everything the report shows. */
interface AttemptGroup {
  bucket: number;
  outcome: Outcome;
  /** 0: no HTTP answer. */
  status: number;
  /** '': none (and always '' for opened attempts). */
  errorCode: string;
  /** '': none. */
  proxyReply: string;
  target: string;
  proxy: string;
  n: number;
}

/** The whole handshake report for a scope; the bucket follows from the range's length. */
export async function handshakesReport(db: Db, scope: DashboardScope): Promise<HandshakesReport> {
  const { name, ms } = bucketFor(scope.to.getTime() - scope.from.getTime());
  return db.transaction(
    async (tx) => {
      const rows = await attemptGroups(tx, scope, ms);
      // Dense from the bucket holding `from` to the one holding the last instant before `to`.
      const first = Math.floor(scope.from.getTime() / ms);
      const last = Math.floor((scope.to.getTime() - 1) / ms);
      const perBucket = new Map<number, { attempts: number; upgrades: number }>();
      const outcomes = new Map<Outcome, number>();
      for (const r of rows) {
        const b = perBucket.get(r.bucket) ?? { attempts: 0, upgrades: 0 };
        b.attempts += r.n;
        if (r.status === 101) b.upgrades += r.n;
        perBucket.set(r.bucket, b);
        outcomes.set(r.outcome, (outcomes.get(r.outcome) ?? 0) + r.n);
      }
      const series = Array.from({ length: last - first + 1 }, (_, i) => {
        const { attempts = 0, upgrades = 0 } = perBucket.get(first + i) ?? {};
        return { at: new Date((first + i) * ms).toISOString(), attempts, upgrades, ratio: attempts === 0 ? null : upgrades / attempts };
      });
      const attempts = series.reduce((n, b) => n + b.attempts, 0);
      const upgrades = series.reduce((n, b) => n + b.upgrades, 0);
      const failed = rows.filter((r) => r.outcome !== 'opened');
      return {
        scope: scopeJson(scope),
        bucket: name,
        bucketMs: ms,
        attempts,
        upgrades,
        ratio: attempts === 0 ? null : upgrades / attempts,
        outcomes: [...outcomes].map(([outcome, count]) => ({ outcome, count })).sort((a, b) => b.count - a.count || a.outcome.localeCompare(b.outcome)),
        series,
        byStatus: groups(failed.filter((r) => r.status !== 0), (r) => r.status),
        byProxyReply: groups(rows.filter((r) => r.proxyReply !== ''), (r) => r.proxyReply),
        byErrorCode: groups(failed.filter((r) => r.errorCode !== ''), (r) => r.errorCode),
      };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}

/**
 * One statement: whole quarter-hours from attempt_rollup when the chart's bucket is made
 * of them, the rest (or everything, for finer buckets) from the session rows, keyed the
 * same way as the rollup (lib/rollups/contributions.ts), grouped together.
 */
async function attemptGroups(tx: Executor, scope: DashboardScope, bucketMs: number): Promise<AttemptGroup[]> {
  const split: BucketSplit = bucketMs % ROLLUP_BUCKET_MS === 0 ? splitByBucket(scope.from, scope.to) : { buckets: null, edges: [{ from: scope.from, to: scope.to }] };
  // Inlined: bucketMs comes from HANDSHAKE_BUCKETS.
  const bucketOf = (at: SQL | AnyPgColumn) => sql`floor(extract(epoch from ${at}) * 1000 / ${sql.raw(String(bucketMs))})::bigint`;
  const parts = rollupAndEdges(
    split,
    (whole) => sql`select ${bucketOf(ah.bucket)} as bucket, ${ah.outcome}::text as outcome, ${ah.httpStatus}::int as status, ${ah.errorCode} as error_code,
        ${ah.proxyReply} as proxy_reply, ${ah.targetName} as target, ${ah.proxyName} as proxy, ${ah.attempts}::bigint as n
      from ${ah} where ${and(gte(ah.bucket, whole.from), lt(ah.bucket, whole.to), ...pathFilters(ah, scope))}`,
    (edge) => sql`select ${bucketOf(s.attemptedAt)} as bucket, ${s.outcome}::text as outcome, coalesce(${s.httpStatus}, 0)::int as status,
        case when ${s.outcome} = 'opened' then '' else coalesce(${s.errorCode}, '') end as error_code,
        coalesce(left(${s.proxyReply}, ${sql.raw(String(PROXY_REPLY_KEY_CHARS))}), '') as proxy_reply, ${s.targetName} as target, ${s.proxyName} as proxy, 1::bigint as n
      from ${s} where ${and(gte(s.attemptedAt, edge.from), lt(s.attemptedAt, edge.to), isNotNull(s.outcome), ...sessionFilters(scope))}`,
  );
  if (parts.length === 0) return [];
  const rows = rowsOf<Record<string, unknown>>(
    await tx.execute(sql`select bucket, outcome, status, error_code, proxy_reply, target, proxy, sum(n) as n
      from (${sql.join(parts, sql` union all `)}) u group by 1, 2, 3, 4, 5, 6, 7`),
  );
  return rows.map((r) => ({
    bucket: Number(r.bucket),
    outcome: r.outcome as Outcome,
    status: Number(r.status),
    errorCode: String(r.error_code),
    proxyReply: String(r.proxy_reply),
    target: String(r.target),
    proxy: String(r.proxy),
    n: Number(r.n),
  }));
}

/** Attempts folded into one group per value, with the paths it hit (most first). */
function groups<V extends string | number>(rows: readonly AttemptGroup[], valueOf: (r: AttemptGroup) => V): FailureGroup<V>[] {
  const out = new Map<V, FailureGroup<V> & { byPath: Map<string, { target: string; proxy: string; count: number }> }>();
  for (const r of rows) {
    const v = valueOf(r);
    const g = out.get(v) ?? { value: v, count: 0, paths: [], byPath: new Map() };
    g.count += r.n;
    const key = `${r.target}\u0000${r.proxy}`;
    const p = g.byPath.get(key) ?? { target: r.target, proxy: r.proxy, count: 0 };
    p.count += r.n;
    g.byPath.set(key, p);
    out.set(v, g);
  }
  const byCount = <T extends { count: number }>(a: T, b: T, tie: number) => b.count - a.count || tie;
  return [...out.values()]
    .map(({ byPath, ...g }) => ({ ...g, paths: [...byPath.values()].sort((a, b) => byCount(a, b, `${a.target}/${a.proxy}`.localeCompare(`${b.target}/${b.proxy}`))) }))
    .sort((a, b) => byCount(a, b, String(a.value).localeCompare(String(b.value), 'en', { numeric: true })));
}

function scopeJson(scope: DashboardScope): HandshakesReport['scope'] {
  return {
    from: scope.from.toISOString(),
    to: scope.to.toISOString(),
    ...(scope.probe && { probe: scope.probe }),
    ...(scope.label && { label: `${scope.label.key}=${scope.label.value}` }),
    ...(scope.proxy && { proxy: scope.proxy }),
    ...(scope.target && { target: scope.target }),
    ...(scope.profile && { profile: scope.profile }),
  };
}
