/**
 * The paths matrix: targets × proxies (× probes on demand). Each cell carries its counts,
 * the median lifetime of its ended sessions and the health rule's verdict, reshaped for
 * the page and GET /api/v1/paths. The rows come from the sealed hours of attempt_lifetimes
 * and the rest of the range's session rows (db/queries/attempt-lifetimes.ts): counts are
 * exact, the median is read from log bins within MEDIAN_LIFETIME_RELATIVE_ERROR
 * (lib/rollups/lifetime-bins.ts), which the answer states.
 */
import type { DashboardScope } from '../../lib/dashboard/scope';
import { perHourOfData } from '../../lib/paths/data-time';
import { pathHealth } from '../../lib/paths/health';
import { pathId } from '../../lib/paths/path-id';
import type { PathCell, PathsMatrix } from '../../lib/paths/types';
import { MEDIAN_LIFETIME_RELATIVE_ERROR, binnedMedian } from '../../lib/rollups/lifetime-bins';
import type { Executor } from '../client';
import { probes } from '../schema';
import { lifetimeRows } from './attempt-lifetimes';
import { cellKey, dataSpans, dropLifetimes, type SpanOptions } from './path-activity';

/**
 * Sessions attempted in [scope.from, scope.to) matching the scope's filters, grouped by
 * path; rates per hour of each path's data (db/queries/path-activity.ts).
 */
/** `opts`: by probe or not, and what the data spans are read against (db/queries/path-activity.ts SpanOptions). */
export async function pathsMatrix(db: Executor, scope: DashboardScope, opts: { byProbe: boolean } & SpanOptions): Promise<PathsMatrix> {
  const rows = await lifetimeRows(db, scope, opts.byProbe);
  // Probes by id, named afterwards from their (small) table.
  const probeRows = opts.byProbe && rows.length > 0 ? await db.select({ id: probes.id, name: probes.name }).from(probes) : [];
  const probeName = new Map(probeRows.map((p) => [p.id, p.name]));
  const probeOf = (id: number | null) => (id === null ? null : (probeName.get(Number(id)) ?? String(id)));
  const order = (a: string | null, b: string | null) => (a ?? '').localeCompare(b ?? '');
  rows.sort((a, b) => order(a.target, b.target) || order(a.proxy, b.proxy) || order(probeOf(a.probeId), probeOf(b.probeId)));

  // Rates over the time each path had data, not over the range (lib/paths/data-time.ts);
  // the median life of its drops beside that of all its endings.
  const keys = rows.map((r) => ({ target: r.target, proxy: r.proxy, probeId: r.probeId }));
  const spans = rows.length > 0 ? await dataSpans(db, scope, keys, opts) : new Map<string, { dataMs: number }>();
  const dropMedians = rows.length > 0 ? await dropLifetimes(db, scope, opts.byProbe) : new Map<string, number | null>();
  const cells: PathCell[] = rows.map((r) => {
    const dataMs = spans.get(cellKey(r))?.dataMs ?? 0;
    return {
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
      dropsPerHour: perHourOfData(r.drops, dataMs),
      dataMs,
      medianLifetimeMs: binnedMedian(r.timed, r.lowerBin, r.upperBin),
      medianDropLifetimeMs: dropMedians.get(cellKey(r)) ?? null,
      probeClosed: r.ended - r.drops,
      lastAttemptAt: r.last.toISOString(),
      health: pathHealth(r),
    };
  });
  const uniq = (xs: (string | null)[]) => [...new Set(xs.filter((x): x is string => x !== null))].sort();
  return {
    from: scope.from.toISOString(),
    to: scope.to.toISOString(),
    byProbe: opts.byProbe,
    medianLifetimeRelativeError: MEDIAN_LIFETIME_RELATIVE_ERROR,
    targets: uniq(cells.map((c) => c.target)),
    proxies: uniq(cells.map((c) => c.proxy)),
    probes: uniq(cells.map((c) => c.probe)),
    cells,
  };
}
