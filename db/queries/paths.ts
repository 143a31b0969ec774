/**
 * The paths matrix: targets × proxies (× probes on demand), one grouped statement. Each
 * cell carries its counts, the median lifetime of its ended sessions (percentile_cont in
 * SQL) and the health rule's verdict, reshaped for the page and GET /api/v1/paths. When
 * the server's store holds the scope, the same rows come from memory (lib/recent/paths.ts).
 */
import { and, gte, lt, sql } from 'drizzle-orm';
import type { DashboardScope } from '../../lib/dashboard/scope';
import { pathHealth } from '../../lib/paths/health';
import { pathId } from '../../lib/paths/path-id';
import type { PathCell, PathsMatrix } from '../../lib/paths/types';
import { recentPathRows, type RecentPathRow } from '../../lib/recent/paths';
import type { RecentStore } from '../../lib/recent/store';
import type { Executor } from '../client';
import { canarySessions as s, probes } from '../schema';
import { inMemory } from './in-memory';
import { sessionFilters } from './scope';

/** Sessions attempted in [scope.from, scope.to) matching the scope's filters, grouped by path. */
export async function pathsMatrix(db: Executor, scope: DashboardScope, opts: { byProbe: boolean; recent?: RecentStore }): Promise<PathsMatrix> {
  const memory = await inMemory(db, opts.recent, scope);
  const { rows, probeName } = memory
    ? { rows: recentPathRows(memory.store.sessions, scope, memory.probes, opts), probeName: new Map(memory.probes.map((p) => [p.id, p.name])) }
    : await fromTable(db, scope, opts);
  const probeOf = (id: number | null) => (id === null ? null : (probeName.get(Number(id)) ?? String(id)));
  const order = (a: string | null, b: string | null) => (a ?? '').localeCompare(b ?? '');
  rows.sort((a, b) => order(a.target, b.target) || order(a.proxy, b.proxy) || order(probeOf(a.probeId), probeOf(b.probeId)));

  const hours = (scope.to.getTime() - scope.from.getTime()) / 3_600_000;
  const cells: PathCell[] = rows.map((r) => ({
    id: pathId({ target: r.target, proxy: r.proxy }),
    target: r.target,
    proxy: r.proxy,
    probe: probeOf(r.probeId),
    attempts: r.attempts,
    opened: r.opened,
    upgradeRatio: r.attempts === 0 ? null : r.opened / r.attempts,
    ended: r.ended,
    drops: r.drops,
    dropShare: r.ended === 0 ? null : r.drops / r.ended,
    dropsPerHour: hours > 0 ? r.drops / hours : 0,
    medianLifetimeMs: r.median === null ? null : Number(r.median),
    lastAttemptAt: new Date(r.last).toISOString(),
    health: pathHealth(r),
  }));
  const uniq = (xs: (string | null)[]) => [...new Set(xs.filter((x): x is string => x !== null))].sort();
  return {
    from: scope.from.toISOString(),
    to: scope.to.toISOString(),
    byProbe: opts.byProbe,
    targets: uniq(cells.map((c) => c.target)),
    proxies: uniq(cells.map((c) => c.proxy)),
    probes: uniq(cells.map((c) => c.probe)),
    cells,
  };
}

async function fromTable(db: Executor, scope: DashboardScope, opts: { byProbe: boolean }): Promise<{ rows: RecentPathRow[]; probeName: Map<number, string> }> {
  // Grouped by the bytes of the names (collate "C"): the median needs the sessions sorted by
  // path, and a locale-aware sort of a day's 140,000 sessions cost more than the rest of the
  // statement. Probes by id, named afterwards from their (small) table.
  const target = sql<string>`${s.targetName} collate "C"`;
  const proxy = sql<string>`${s.proxyName} collate "C"`;
  const probeId = opts.byProbe ? sql<number>`${s.probeId}` : sql<null>`null::int`;
  const rows = await db
    .select({
      target,
      proxy,
      probeId,
      attempts: sql<number>`count(*) filter (where ${s.outcome} is not null)`.mapWith(Number),
      opened: sql<number>`count(*) filter (where ${s.outcome} = 'opened')`.mapWith(Number),
      ended: sql<number>`count(*) filter (where ${s.endKind} is not null)`.mapWith(Number),
      drops: sql<number>`count(*) filter (where ${s.endKind} is not null and ${s.endKind} <> 'probe_closed')`.mapWith(Number),
      median: sql<number | null>`percentile_cont(0.5) within group (order by ${s.durationMs}) filter (where ${s.endKind} is not null)`,
      last: sql<Date>`max(${s.attemptedAt})`.mapWith(s.attemptedAt),
    })
    .from(s)
    .where(and(gte(s.attemptedAt, scope.from), lt(s.attemptedAt, scope.to), ...sessionFilters(scope)))
    .groupBy(sql`1, 2, 3`);
  const probeRows = opts.byProbe ? await db.select({ id: probes.id, name: probes.name }).from(probes) : [];
  return { rows: rows.map((r) => ({ ...r, last: r.last.getTime() })), probeName: new Map(probeRows.map((p) => [p.id, p.name])) };
}
