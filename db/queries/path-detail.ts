/**
 * Everything the path page shows for one target × proxy in a scope: a lifetime timeline,
 * egress changes, RTT p50/p95 over time, dial phase percentiles, ladder results and the
 * newest sessions with every recorded field. Aggregation happens in SQL; only the last
 * step (quantiles from merged RTT buckets) runs here.
 */
import { and, desc, eq, gte, isNotNull, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import { BUILTIN_LAYERS, type Layer } from '../../lib/analysis/catalogue';
import { ladderFindings, type LadderRung } from '../../lib/analysis/findings';
import { reconcileFixes } from '../../lib/analysis/fixes';
import type { Signature } from '../../lib/analysis/types';
import type { DashboardScope } from '../../lib/dashboard/scope';
import type { PathKey } from '../../lib/paths/path-id';
import { PHASES, type EgressChange, type PathDetail, type PathSessionRow, type PhaseStat } from '../../lib/paths/types';
import { RTT_BUCKET_COUNT, rttQuantile } from '../../lib/rtt/buckets';
import type { Db, Executor } from '../client';
import { canarySessions as s, probes, rttMinutes as r, targetSessionViews as v } from '../schema';
import { analyzeIn } from './analysis';
import { ladderRungs } from './findings';
import { pathsMatrix } from './paths';
import { probeSilentSessions } from './probe-silence';
import { readsInOneSnapshot } from './snapshot-reads';
import { sessionFilters } from './scope';

/** Bars drawn on the timeline: the newest sessions in range. */
export const TIMELINE_LIMIT = 300;
/** Rows in the session table. */
export const SESSION_TABLE_LIMIT = 100;
/** Points on the RTT chart, at most. */
export const RTT_MAX_POINTS = 200;

/** Whether any session was ever recorded on the path (an unknown id is a 404, an empty range is not). */
export async function pathExists(db: Executor, key: PathKey): Promise<boolean> {
  const rows = await db.select({ one: sql`1` }).from(s).where(and(eq(s.targetName, key.target), eq(s.proxyName, key.proxy))).limit(1);
  return rows.length > 0;
}

/**
 * `layers`: the catalogue the analysis names layers from (layersInUse() on the server, the
 * built-in one by default);
 * `longestSessionMs`: see db/queries/path-activity.ts (the server's ingest limits). The
 * page's ladder findings give the same fix as the analysis of the same scope: they defer to
 * the path's signatures (lib/analysis/fixes.ts), found here by the analysis restricted to
 * this target × proxy.
 */
export async function pathDetail(db: Db, key: PathKey, scope: DashboardScope, now: Date, options: { layers?: readonly Layer[]; longestSessionMs?: number } = {}): Promise<PathDetail> {
  // The path itself overrides any target or proxy filter in the scope.
  const pathScope: DashboardScope = { ...scope, target: key.target, proxy: key.proxy };
  const filters = sessionFilters(pathScope);
  // One after another in one snapshot and on one connection (db/queries/snapshot-reads.ts),
  // so that the summary, the timeline, the ladder and the session table count the same rows.
  const [matrix, timeline, egressChanges, rtt, phases, { rungs, signatures }, sessions] = await readsInOneSnapshot(db, [
    (ex: Executor) => pathsMatrix(ex, pathScope, { byProbe: false, now, longestSessionMs: options.longestSessionMs }),
    (ex: Executor) => timelineBars(ex, pathScope, filters),
    (ex: Executor) => egress(ex, pathScope, filters),
    (ex: Executor) => rttSeries(ex, pathScope),
    (ex: Executor) => phaseStats(ex, pathScope, filters),
    (ex: Executor) => ladderWithSignatures(ex, pathScope, options.layers ?? BUILTIN_LAYERS, now),
    (ex: Executor) => sessionRows(ex, pathScope, filters, now),
  ] as const);
  return {
    id: matrix.cells[0]?.id ?? '',
    target: key.target,
    proxy: key.proxy,
    from: scope.from.toISOString(),
    to: scope.to.toISOString(),
    now: now.toISOString(),
    medianLifetimeRelativeError: matrix.medianLifetimeRelativeError,
    summary: matrix.cells[0] ?? null,
    timeline,
    egressChanges,
    rtt,
    phases,
    ladder: { rungs, findings: reconcileFixes(signatures, ladderFindings(rungs)) },
    sessions,
  };
}

/**
 * The path's ladder rungs and, when one of them was cut (only then does a ladder finding
 * recommend a heartbeat), the path's signatures over the scope: the analysis restricted to
 * this target × proxy, as the analysis page computes it for the same scope.
 */
async function ladderWithSignatures(db: Executor, scope: DashboardScope, layers: readonly Layer[], now: Date): Promise<{ rungs: LadderRung[]; signatures: Signature[] }> {
  const rungs = await ladderRungs(db, scope);
  if (!rungs.some((r) => r.died > 0)) return { rungs, signatures: [] };
  return { rungs, signatures: (await analyzeIn(db, scope, { now, layers })).signatures };
}

/**
 * Sessions that were open at some point of the range: opened before its end, not ended
 * before its start. Written as "ended since the start, or still open" so that each side
 * has an index (the path's endings; the live canaries), instead of every session the path
 * ever opened before the range's end.
 */
function overlapping(scope: DashboardScope, filters: SQL[]): SQL | undefined {
  return and(
    isNotNull(s.openedAt),
    lt(s.openedAt, scope.to),
    or(and(isNotNull(s.endedAt), gte(s.endedAt, scope.from)), and(isNull(s.endedAt), eq(s.outcome, 'opened'))),
    ...filters,
  );
}

/**
 * The latest TIMELINE_LIMIT sessions open during the range, and how many there are. The
 * latest are read in two steps, each in (opened_at desc, id desc) order: those opened in the
 * range, then, only when they are fewer than the limit, those opened before it. In one
 * statement, the merge of the day partitions' indexes fetched each older partition's first
 * row open in the range, which on a busy path meant filtering out every one of its sessions
 * (147 ms for a day at 1M sessions, 7 partitions of 11,600 rows); the first step reads the
 * range's partitions alone. The result is the same: every session of the first step opened
 * after every session of the second.
 */
async function timelineBars(db: Executor, scope: DashboardScope, filters: SQL[]): Promise<PathDetail['timeline']> {
  const where = overlapping(scope, filters);
  const latest = (part: SQL | undefined, limit: number) =>
    db
      .select({ id: s.id, probe: probes.name, profile: s.profile, openedAt: s.openedAt, endedAt: s.endedAt, endKind: s.endKind, closeCode: s.closeCode, egressAddress: s.egressAddress })
      .from(s)
      .innerJoin(probes, eq(probes.id, s.probeId))
      .where(and(where, part))
      .orderBy(desc(s.openedAt), desc(s.id))
      .limit(limit);
  const rows = await latest(gte(s.openedAt, scope.from), TIMELINE_LIMIT);
  if (rows.length < TIMELINE_LIMIT) rows.push(...(await latest(lt(s.openedAt, scope.from), TIMELINE_LIMIT - rows.length)));
  const [count] = await db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(s).where(where);
  return {
    sessions: rows.map((b) => ({ ...b, openedAt: b.openedAt!.toISOString(), endedAt: b.endedAt?.toISOString() ?? null })),
    total: count?.n ?? 0,
    limit: TIMELINE_LIMIT,
  };
}

/** A session that opened with another egress address than the probe's previous one on this path. */
async function egress(db: Executor, scope: DashboardScope, filters: SQL[]): Promise<EgressChange[]> {
  const where = and(isNotNull(s.openedAt), gte(s.openedAt, scope.from), lt(s.openedAt, scope.to), isNotNull(s.egressAddress), ...filters);
  const rows = await db
    .select({ at: sql<Date>`opened_at`.mapWith(s.openedAt), probe: sql<string>`probe`, previous: sql<string>`previous`, address: sql<string>`egress` })
    .from(
      sql`(select ${s.openedAt} as opened_at, ${probes.name} as probe, ${s.egressAddress} as egress,
                  lag(${s.egressAddress}) over (partition by ${s.probeId} order by ${s.openedAt}) as previous
           from ${s} join ${probes} on ${probes.id} = ${s.probeId}
           where ${where}) as e`,
    )
    .where(sql`previous is not null and previous <> egress`)
    .orderBy(sql`opened_at`)
    .limit(500);
  return rows.map((e) => ({ ...e, at: e.at.toISOString() }));
}

/**
 * RTT minutes re-bucketed into at most RTT_MAX_POINTS points, summed in SQL bucket by
 * bucket (`sum(buckets[i])` for each of the fixed RTT_BUCKET_COUNT buckets, grouped by
 * point). Reading the minute rows instead meant parsing every bucket array in the driver
 * (a day of one path through four probes: 5,760 rows of 72, ~100 ms); unnesting them in
 * SQL was slower still. The rows are rollups, never sessions.
 */
async function rttSeries(db: Executor, scope: DashboardScope): Promise<PathDetail['rtt']> {
  const rangeMs = scope.to.getTime() - scope.from.getTime();
  const bucketMs = Math.max(60_000, Math.ceil(rangeMs / RTT_MAX_POINTS / 60_000) * 60_000);
  // Points start at the first whole minute of the range: the rows are whole minutes, so a
  // 1-minute point then holds exactly its own minute and is dated by it. Counted from
  // `from` itself, the minute 14:40 was drawn at 14:39:01 (labelled 14:39).
  const originMs = Math.ceil(scope.from.getTime() / 60_000) * 60_000;
  const probeFilters: SQL[] = [];
  if (scope.probe) probeFilters.push(sql`${r.probeId} in (select ${probes.id} from ${probes} where ${probes.name} = ${scope.probe})`);
  if (scope.label) probeFilters.push(sql`${r.probeId} in (select ${probes.id} from ${probes} where ${probes.labels} ->> ${scope.label.key} = ${scope.label.value})`);
  const where = and(eq(r.targetName, scope.target!), eq(r.proxyName, scope.proxy!), gte(r.minute, scope.from), lt(r.minute, scope.to), ...probeFilters);
  const point = sql<number>`floor(extract(epoch from ${r.minute} - ${new Date(originMs).toISOString()}::timestamptz) * 1000 / ${bucketMs})::int`;
  const sums = sql.join(
    Array.from({ length: RTT_BUCKET_COUNT }, (_, i) => sql`coalesce(sum(${r.buckets}[${sql.raw(String(i + 1))}]), 0)::int`),
    sql`, `,
  );
  const rows = await db
    .select({
      point: point.mapWith(Number),
      count: sql<number>`sum(${r.count})`.mapWith(Number),
      maxMs: sql<number>`max(${r.maxMs})`.mapWith(Number),
      buckets: sql<number[]>`array[${sums}]`.mapWith(toIntArray),
    })
    .from(r)
    .where(where)
    .groupBy(sql`1`)
    .orderBy(sql`1`);
  return {
    bucketMs,
    points: rows.map((p) => ({
      at: new Date(originMs + p.point * bucketMs).toISOString(),
      count: p.count,
      p50Ms: rttQuantile(p.buckets, 0.5, p.maxMs),
      p95Ms: rttQuantile(p.buckets, 0.95, p.maxMs),
      maxMs: p.maxMs,
    })),
  };
}

/** Drivers return int[] parsed, or as a `{1,2,3}` literal. */
function toIntArray(value: unknown): number[] {
  if (Array.isArray(value)) return value.map(Number);
  if (typeof value === 'string') return value.replace(/[{}]/g, '').split(',').filter(Boolean).map(Number);
  throw new TypeError(`expected an int[] from the database, got ${typeof value}`);
}

async function phaseStats(db: Executor, scope: DashboardScope, filters: SQL[]): Promise<PhaseStat[]> {
  const col = { dns: s.dnsMs, tcp: s.tcpMs, proxy: s.proxyMs, tls: s.tlsMs, upgrade: s.upgradeMs } as const;
  const fields: Record<string, SQL.Aliased | SQL> = {};
  for (const p of PHASES) {
    fields[`${p}N`] = sql<number>`count(${col[p]})`.mapWith(Number);
    fields[`${p}P50`] = sql<number | null>`percentile_cont(0.5) within group (order by ${col[p]})`;
    fields[`${p}P95`] = sql<number | null>`percentile_cont(0.95) within group (order by ${col[p]})`;
  }
  const [row] = (await db
    .select(fields as Record<string, SQL>)
    .from(s)
    .where(and(gte(s.attemptedAt, scope.from), lt(s.attemptedAt, scope.to), ...filters))) as Record<string, unknown>[];
  const num = (x: unknown) => (x === null || x === undefined ? null : Number(x));
  return PHASES.map((phase) => ({ phase, count: Number(row?.[`${phase}N`] ?? 0), p50Ms: num(row?.[`${phase}P50`]), p95Ms: num(row?.[`${phase}P95`]) }));
}

/** The newest sessions attempted in the range, each saying whether its probe is silent at `now` (an open canary nobody can vouch for). */
async function sessionRows(db: Executor, scope: DashboardScope, filters: SQL[], now: Date): Promise<PathSessionRow[]> {
  const rows = await db
    .select({ session: s, probeName: probes.name, view: v })
    .from(s)
    .innerJoin(probes, eq(probes.id, s.probeId))
    .leftJoin(v, eq(v.sessionId, s.id))
    .where(and(gte(s.attemptedAt, scope.from), lt(s.attemptedAt, scope.to), ...filters))
    .orderBy(desc(s.attemptedAt), desc(s.id))
    .limit(SESSION_TABLE_LIMIT);
  const silent = await probeSilentSessions(db, rows.filter((r) => r.session.endedAt === null && r.session.outcome === 'opened').map((r) => r.session.id), now);
  return rows.map(({ session, probeName, view }) => {
    const { updatedAt: _u, ...rest } = session;
    return {
      ...rest,
      probeName,
      probeSilent: silent.has(session.id),
      lostAt: session.lostAt?.toISOString() ?? null,
      attemptedAt: session.attemptedAt.toISOString(),
      openedAt: session.openedAt?.toISOString() ?? null,
      endedAt: session.endedAt?.toISOString() ?? null,
      targetView: view
        ? {
            peerAddress: view.peerAddress,
            openedAt: view.openedAt.toISOString(),
            endedAt: view.endedAt.toISOString(),
            durationMs: view.durationMs,
            closeFrameReceived: view.closeFrameReceived,
            closeCode: view.closeCode,
            closeReason: view.closeReason,
            endKind: view.endKind,
            sinceLastRecvMs: view.sinceLastRecvMs,
            sinceLastSentMs: view.sinceLastSentMs,
          }
        : null,
    };
  });
}
