/**
 * The handshake page in SQL: attempts and 101 upgrades per time bucket, outcomes, and the
 * failed attempts grouped by HTTP status, proxy reply and socket error with the paths they
 * hit. An attempt counts once its outcome is known (opened or failed), by attempted_at.
 */
import { and, gte, isNotNull, lt, ne, sql, type SQL } from 'drizzle-orm';
import type { Outcome } from '../../lib/contracts/ingest';
import type { DashboardScope } from '../../lib/dashboard/scope';
import { bucketFor, type FailureGroup, type HandshakesReport } from '../../lib/handshakes/report';
import type { Db, Executor } from '../client';
import { canarySessions as s } from '../schema';
import { sessionFilters } from './scope';

export function attemptFilter(scope: DashboardScope): SQL {
  return and(gte(s.attemptedAt, scope.from), lt(s.attemptedAt, scope.to), isNotNull(s.outcome), ...sessionFilters(scope))!;
}

/** The whole handshake report for a scope; the bucket follows from the range's length. */
export async function handshakesReport(db: Db, scope: DashboardScope): Promise<HandshakesReport> {
  const { name, ms } = bucketFor(scope.to.getTime() - scope.from.getTime());
  const where = attemptFilter(scope);
  const failed = and(where, ne(s.outcome, 'opened'))!;

  return db.transaction(
    async (tx) => {
      // Inlined: SELECT and GROUP BY must be the same text (ms comes from HANDSHAKE_BUCKETS).
      const bucket = sql<number>`floor(extract(epoch from ${s.attemptedAt}) * 1000 / ${sql.raw(String(ms))})::bigint`;
      const rows = await tx
        .select({
          bucket: bucket.mapWith(Number),
          attempts: sql<number>`count(*)`.mapWith(Number),
          upgrades: sql<number>`count(*) filter (where ${s.httpStatus} = 101)`.mapWith(Number),
        })
        .from(s)
        .where(where)
        .groupBy(bucket)
        .orderBy(bucket);
      const outcomes = await tx
        .select({ outcome: sql<Outcome>`${s.outcome}`, count: sql<number>`count(*)`.mapWith(Number) })
        .from(s)
        .where(where)
        .groupBy(s.outcome)
        .orderBy(sql`count(*) desc`, s.outcome);

      // Dense from the bucket holding `from` to the one holding the last instant before `to`.
      const first = Math.floor(scope.from.getTime() / ms);
      const last = Math.floor((scope.to.getTime() - 1) / ms);
      const byBucket = new Map(rows.map((r) => [r.bucket, r]));
      const series = Array.from({ length: last - first + 1 }, (_, i) => {
        const r = byBucket.get(first + i);
        const attempts = r?.attempts ?? 0;
        const upgrades = r?.upgrades ?? 0;
        return { at: new Date((first + i) * ms).toISOString(), attempts, upgrades, ratio: attempts === 0 ? null : upgrades / attempts };
      });
      const attempts = rows.reduce((n, r) => n + r.attempts, 0);
      const upgrades = rows.reduce((n, r) => n + r.upgrades, 0);

      return {
        scope: scopeJson(scope),
        bucket: name,
        bucketMs: ms,
        attempts,
        upgrades,
        ratio: attempts === 0 ? null : upgrades / attempts,
        outcomes,
        series,
        byStatus: await groups(tx, sql<number>`${s.httpStatus}`.mapWith(Number), and(failed, isNotNull(s.httpStatus))!),
        byProxyReply: await groups(tx, sql<string>`${s.proxyReply}`, and(where, isNotNull(s.proxyReply))!),
        byErrorCode: await groups(tx, sql<string>`${s.errorCode}`, and(failed, isNotNull(s.errorCode))!),
      };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}

/** Counts per value and path in SQL, folded into one group per value (most first). */
async function groups<V extends string | number>(tx: Executor, value: SQL.Aliased<V> | SQL<V>, where: SQL): Promise<FailureGroup<V>[]> {
  const rows = await tx
    .select({ value: value as SQL<V>, target: s.targetName, proxy: s.proxyName, count: sql<number>`count(*)`.mapWith(Number) })
    .from(s)
    .where(where)
    .groupBy(value as SQL<V>, s.targetName, s.proxyName);
  const out = new Map<V, FailureGroup<V>>();
  for (const r of rows) {
    const g = out.get(r.value) ?? { value: r.value, count: 0, paths: [] };
    g.count += r.count;
    g.paths.push({ target: r.target, proxy: r.proxy, count: r.count });
    out.set(r.value, g);
  }
  const byCount = <T extends { count: number }>(a: T, b: T, tie: number) => b.count - a.count || tie;
  for (const g of out.values()) g.paths.sort((a, b) => byCount(a, b, `${a.target}/${a.proxy}`.localeCompare(`${b.target}/${b.proxy}`)));
  return [...out.values()].sort((a, b) => byCount(a, b, String(a.value).localeCompare(String(b.value), 'en', { numeric: true })));
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
