/**
 * The drops page's and the analysis' passes over the drops, on the in-memory columns: the
 * same answers as db/queries/histogram.ts and db/queries/analysis.ts' windowExposures give
 * over canary_sessions (test/db/recent.test.ts holds them equal).
 */
import type { SignatureWindow } from '../analysis/windows';
import type { EndKind } from '../contracts/ingest';
import { endKinds } from '../contracts/ingest';
import { pathMask, type ProbeRef, type RecentScope } from './scope';
import { NO_CODE, PROBE_CLOSED, type EndingBlock, type RecentSessions } from './sessions';

export interface RecentHistogram {
  /** Filled bins by index, `floor(value / widthMs)`, ascending. */
  bins: { bin: number; count: number }[];
  /** Drops whose value is unknown (null). */
  nulls: number;
  max: number | null;
}

/** Visits each drop (ended, not closed by the probe) of the scope, as (block, row). */
function eachDrop(store: RecentSessions, scope: RecentScope, probes: readonly ProbeRef[], visit: (b: EndingBlock, i: number) => void): void {
  const mask = pathMask(store.paths.values, scope, probes);
  const from = scope.from.getTime();
  const to = scope.to.getTime();
  store.eachBlock(from, to, (b, whole) => {
    const { path, endKind, endedAt } = b;
    for (let i = 0; i < b.length; i++) {
      if (endKind[i] === PROBE_CLOSED || mask[path[i]!] !== 1) continue;
      if (!whole && !(endedAt[i]! >= from && endedAt[i]! < to)) continue;
      visit(b, i);
    }
  });
}

/** The drops of the scope by age or by idle time before the drop, in `widthMs` bins. */
export function dropHistogram(store: RecentSessions, scope: RecentScope, probes: readonly ProbeRef[], value: 'age' | 'idle', widthMs: number): RecentHistogram {
  if (!Number.isFinite(widthMs) || widthMs <= 0) throw new RangeError(`not a bin width: ${widthMs}`);
  const counts = new Map<number, number>();
  let nulls = 0;
  let max = -Infinity;
  eachDrop(store, scope, probes, (b, i) => {
    const v = b[value][i]!;
    if (Number.isNaN(v)) {
      nulls++;
      return;
    }
    if (v > max) max = v;
    const bin = Math.floor(v / widthMs);
    counts.set(bin, (counts.get(bin) ?? 0) + 1);
  });
  const bins = [...counts].map(([bin, count]) => ({ bin, count })).sort((a, b) => a.bin - b.bin);
  return { bins, nulls, max: max === -Infinity ? null : max };
}

/** Drops by ending and by close code (null: none), as the drops page lists them. */
export function dropEndings(store: RecentSessions, scope: RecentScope, probes: readonly ProbeRef[]): { endKinds: { endKind: EndKind; count: number }[]; closeCodes: { closeCode: number | null; count: number }[] } {
  const kinds = new Float64Array(endKinds.length);
  const codes = new Map<number, number>();
  eachDrop(store, scope, probes, (b, i) => {
    kinds[b.endKind[i]!]! += 1;
    const code = b.closeCode[i]!;
    codes.set(code, (codes.get(code) ?? 0) + 1);
  });
  return {
    endKinds: endKinds.map((endKind, k) => ({ endKind, count: kinds[k]! })).filter((e) => e.count > 0),
    closeCodes: [...codes].map(([code, count]) => ({ closeCode: code === NO_CODE ? null : code, count })),
  };
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
  reached: number[];
  outlived: number[];
  hits: number[];
}

/**
 * The sessions in scope per path and window: ended in [from, to) by anyone, or still open
 * and opened before `to` (its age by `now`). `reached` counts ages at or past the window's
 * low edge, `outlived` past its high edge, `hits` the drops whose value (age or idle) lies
 * in the window. A path is grouped without its proxy kind, as the SQL groups it.
 */
export function windowExposures(store: RecentSessions, scope: RecentScope, probes: readonly ProbeRef[], windows: readonly SignatureWindow[], now: number): RecentExposure[] {
  const mask = pathMask(store.paths.values, scope, probes);
  const from = scope.from.getTime();
  const to = scope.to.getTime();
  const n = windows.length;
  const lo = windows.map((w) => w.peak.lowMs);
  const hi = windows.map((w) => w.peak.highMs);
  const byIdle = windows.map((w) => w.dimension === 'idle');
  // Counts per path index: [sessions, then reached, outlived, hits for each window].
  const stride = 1 + 3 * n;
  const counts = new Float64Array(stride * Math.max(1, store.paths.values.length));
  const count = (path: number, age: number, idle: number, dropped: boolean) => {
    const o = path * stride;
    counts[o]! += 1;
    for (let k = 0; k < n; k++) {
      if (age >= lo[k]!) counts[o + 1 + 3 * k]! += 1;
      if (age >= hi[k]!) counts[o + 2 + 3 * k]! += 1;
      if (dropped) {
        const v = byIdle[k] ? idle : age;
        if (v >= lo[k]! && v < hi[k]!) counts[o + 3 + 3 * k]! += 1;
      }
    }
  };
  store.eachBlock(from, to, (b, whole) => {
    for (let i = 0; i < b.length; i++) {
      if (mask[b.path[i]!] !== 1) continue;
      if (!whole && !(b.endedAt[i]! >= from && b.endedAt[i]! < to)) continue;
      count(b.path[i]!, b.age[i]!, b.idle[i]!, b.endKind[i] !== PROBE_CLOSED);
    }
  });
  for (const live of store.live.values()) {
    if (mask[live.path] !== 1 || !(live.openedAt < to)) continue;
    count(live.path, now - live.openedAt, NaN, false);
  }

  const out = new Map<string, RecentExposure>();
  store.paths.values.forEach((p, path) => {
    const o = path * stride;
    if (o >= counts.length || counts[o] === 0) return;
    const key = `${p.probeId}\u0000${p.target}\u0000${p.proxy}\u0000${p.profile}\u0000${p.profileKind}\u0000${p.gapMs}`;
    let e = out.get(key);
    if (!e) {
      e = { probeId: p.probeId, target: p.target, proxy: p.proxy, profile: p.profile, profileKind: p.profileKind, gapMs: p.gapMs, sessions: 0, reached: new Array<number>(n).fill(0), outlived: new Array<number>(n).fill(0), hits: new Array<number>(n).fill(0) };
      out.set(key, e);
    }
    e.sessions += counts[o]!;
    for (let k = 0; k < n; k++) {
      e.reached[k]! += counts[o + 1 + 3 * k]!;
      e.outlived[k]! += counts[o + 2 + 3 * k]!;
      e.hits[k]! += counts[o + 3 + 3 * k]!;
    }
  });
  return [...out.values()];
}
