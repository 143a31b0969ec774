/**
 * The paths matrix from the store: per target × proxy (× probe), the sessions attempted in
 * the scope, counted as db/queries/paths.ts counts them in SQL, with the exact median
 * lifetime. In PostgreSQL that median is a sort of the range's sessions by path and
 * duration (a day of a large fleet is ~140,000 of them, ~0.3 s); here it is a pass over
 * the endings from the scope's start on and a typed-array sort per cell.
 *
 * A session is held in one of three places (lib/recent/sessions.ts): with the endings (by
 * the hour it ended), the live canaries, or the other attempts (by the hour attempted).
 */
import { groupPaths, median } from './groups';
import { pathMask, type ProbeRef, type RecentScope } from './scope';
import { NO_CODE, OPENED, PROBE_CLOSED, type RecentSessions } from './sessions';

export interface RecentPathRow {
  target: string;
  proxy: string;
  /** Set when split by probe. */
  probeId: number | null;
  /** Attempts with a known outcome. */
  attempts: number;
  opened: number;
  ended: number;
  drops: number;
  /** percentile_cont(0.5) of the ended sessions' durations; null when none has one. */
  median: number | null;
  /** The latest attempt, ms since the epoch. */
  last: number;
}

interface Cell {
  row: RecentPathRow;
  durations: number[];
  seen: boolean;
}

// Local copies: a bundler may turn an imported binding into a getter call per read.
const none = NO_CODE;
const opened = OPENED;
const probeClosed = PROBE_CLOSED;

/** One row per path with a session attempted in [scope.from, scope.to), in no particular order. */
export function recentPathRows(store: RecentSessions, scope: RecentScope, probes: readonly ProbeRef[], options: { byProbe: boolean }): RecentPathRow[] {
  const mask = pathMask(store.paths.values, scope, probes);
  const { groups, groupOf } = groupPaths(
    store.paths.values,
    (_p, i) => mask[i] === 1,
    (p) => (options.byProbe ? `${p.target}\u0000${p.proxy}\u0000${p.probeId}` : `${p.target}\u0000${p.proxy}`),
    (p): Cell => ({ row: { target: p.target, proxy: p.proxy, probeId: options.byProbe ? p.probeId : null, attempts: 0, opened: 0, ended: 0, drops: 0, median: null, last: -Infinity }, durations: [], seen: false }),
  );
  const from = scope.from.getTime();
  const to = scope.to.getTime();
  store.eachAttempted(from, to, (path, at, outcome, _upgraded, ended, row) => {
    const g = groupOf[path]!;
    if (g < 0 || at >= to) return;
    const cell = groups[g]!;
    cell.seen = true;
    if (outcome !== none) cell.row.attempts++;
    if (outcome === opened) cell.row.opened++;
    if (at > cell.row.last) cell.row.last = at;
    if (!ended) return;
    cell.row.ended++;
    if (ended.endKind[row] !== probeClosed) cell.row.drops++;
    const d = ended.duration[row]!;
    if (d === d) cell.durations.push(d);
  });

  return groups
    .filter((c) => c.seen)
    .map((c) => ({ ...c.row, median: median(c.durations) }));
}
