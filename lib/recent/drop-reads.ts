/**
 * The drops page's and the analysis' passes over the drops, on the in-memory columns: the
 * same answers as db/queries/histogram.ts and db/queries/analysis.ts' windowExposures give
 * over canary_sessions (test/db/recent.test.ts holds them equal).
 *
 * The histograms and endings come from the one pass of lib/recent/endings-scan.ts; the
 * exposures need the windows found in the histograms, so they take a pass of their own.
 */
import type { SignatureWindow } from '../analysis/windows';
import { scanEndings, type RecentHistogram } from './endings-scan';
import { pathMask, type ProbeRef, type RecentScope } from './scope';
import { PROBE_CLOSED, type EndingBlock, type RecentSessions } from './sessions';
import { splitWhole } from './whole-range';

export type { RecentHistogram };

// A local copy: a bundler may turn an imported binding into a getter call per read.
const probeClosed = PROBE_CLOSED;

/** The drops of the scope by age and by idle time before the drop, in `widthMs` bins, in one pass. */
export function dropHistograms(store: RecentSessions, scope: RecentScope, probes: readonly ProbeRef[], widthMs: number): { age: RecentHistogram; idle: RecentHistogram } {
  const { age, idle } = scanEndings(store, scope, probes, { binMs: widthMs });
  return { age: age!, idle: idle! };
}

/** Per path (the columns windowExposures groups by) and window: sessions, reached, outlived, hits. */
export interface RecentExposure {
  probeId: number;
  target: string;
  proxy: string;
  profile: string;
  profileKind: string | null;
  gapMs: number | null;
  sessions: number;
  /** Of `sessions`, those not ended by the probe (at any duration). */
  drops: number;
  reached: number[];
  outlived: number[];
  hits: number[];
}

/** How many of the sorted `edges` are at or below `v` (0 for NaN): the interval `v` falls in. */
function intervalOf(edges: Float64Array, v: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (edges[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The sessions in scope per path and window: ended in [from, to) by anyone, or still open
 * and opened before `to` (its age by `now`). `reached` counts ages at or past the window's
 * low edge, `outlived` past its high edge, `hits` the drops whose value (age or idle) lies
 * in the window. A path is grouped without its proxy kind, as the SQL groups it.
 *
 * Each session is counted once, in the interval between the windows' edges its age falls
 * in (and a drop's idle time among the idle windows' edges); the windows' counts are sums
 * of intervals. Testing every window on every session instead cost three times as much.
 */
export function windowExposures(store: RecentSessions, scope: RecentScope, probes: readonly ProbeRef[], windows: readonly SignatureWindow[], now: number): RecentExposure[] {
  const mask = pathMask(store.paths.values, scope, probes);
  const from = scope.from.getTime();
  const to = scope.to.getTime();
  const sortedEdges = (ws: readonly SignatureWindow[]) => Float64Array.from(new Set(ws.flatMap((w) => [w.peak.lowMs, w.peak.highMs]))).sort();
  const ageEdges = sortedEdges(windows);
  const idleEdges = sortedEdges(windows.filter((w) => w.dimension === 'idle'));
  const A = ageEdges.length + 1;
  const I = idleEdges.length + 1;
  const paths = Math.max(1, store.paths.values.length);
  // Per path and interval: every session by age, the drops by age, the drops by idle time.
  const countIdle = idleEdges.length > 0;
  const count = (blocks: readonly EndingBlock[], into: { all: Float64Array; dropAge: Float64Array; dropIdle: Float64Array }) => {
    const { all, dropAge, dropIdle } = into;
    for (const b of blocks) {
      const { path, endedAt, age, idle, endKind } = b;
      const whole = b.wholeIn(from, to);
      for (let i = 0; i < b.length; i++) {
        const p = path[i]!;
        if (mask[p] !== 1) continue;
        if (!whole && !(endedAt[i]! >= from && endedAt[i]! < to)) continue;
        const j = intervalOf(ageEdges, age[i]!);
        all[p * A + j]! += 1;
        if (endKind[i] === probeClosed) continue;
        dropAge[p * A + j]! += 1;
        if (countIdle) dropIdle[p * I + intervalOf(idleEdges, idle[i]!)]! += 1;
      }
    }
  };
  // The whole hours' counts from the memo when they did not change (lib/recent/whole-range.ts).
  const { whole, edges } = splitWhole(store.blocksIn(from, to), from, to);
  const key = ['exposures', paths, mask.join(''), ageEdges.join(','), idleEdges.join(',')].join('|');
  const kept = store.memo.get(key, whole, () => {
    const counts = { all: new Float64Array(paths * A), dropAge: new Float64Array(paths * A), dropIdle: new Float64Array(paths * I) };
    count(whole, counts);
    return counts;
  });
  const all = kept.all.slice();
  const dropAge = kept.dropAge.slice();
  const dropIdle = kept.dropIdle.slice();
  count(edges, { all, dropAge, dropIdle });
  for (const live of store.live.values()) {
    if (mask[live.path] !== 1 || !(live.openedAt < to)) continue;
    all[live.path * A + intervalOf(ageEdges, now - live.openedAt)]! += 1;
  }

  const sumOf = (counts: Float64Array, base: number, fromInterval: number, toInterval: number) => {
    let t = 0;
    for (let j = fromInterval; j < toInterval; j++) t += counts[base + j]!;
    return t;
  };
  const out = new Map<string, RecentExposure>();
  store.paths.values.forEach((p, path) => {
    const sessions = sumOf(all, path * A, 0, A);
    if (sessions === 0) return;
    const key = `${p.probeId}\u0000${p.target}\u0000${p.proxy}\u0000${p.profile}\u0000${p.profileKind}\u0000${p.gapMs}`;
    let e = out.get(key);
    if (!e) {
      e = { probeId: p.probeId, target: p.target, proxy: p.proxy, profile: p.profile, profileKind: p.profileKind, gapMs: p.gapMs, sessions: 0, drops: 0, reached: windows.map(() => 0), outlived: windows.map(() => 0), hits: windows.map(() => 0) };
      out.set(key, e);
    }
    e.sessions += sessions;
    e.drops += sumOf(dropAge, path * A, 0, A);
    windows.forEach((w, k) => {
      // The first interval at or past each edge: edges[e] <= v holds from interval e + 1 on.
      const lo = intervalOf(ageEdges, w.peak.lowMs);
      const hi = intervalOf(ageEdges, w.peak.highMs);
      e.reached[k]! += sumOf(all, path * A, lo, A);
      e.outlived[k]! += sumOf(all, path * A, hi, A);
      if (w.dimension === 'idle') e.hits[k]! += sumOf(dropIdle, path * I, intervalOf(idleEdges, w.peak.lowMs), intervalOf(idleEdges, w.peak.highMs));
      else e.hits[k]! += sumOf(dropAge, path * A, lo, hi);
    });
  });
  return [...out.values()];
}
