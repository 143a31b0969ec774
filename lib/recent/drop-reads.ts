/**
 * The drops page's and the analysis' passes over the drops, on the in-memory columns: the
 * same answers as db/queries/histogram.ts and db/queries/analysis.ts' windowExposures give
 * over canary_sessions (test/db/recent.test.ts holds them equal).
 *
 * Written as plain loops over each block's arrays, with dense counters: a week holds ~1M
 * sessions, and a callback or a Map update per row cost several times the loop itself.
 */
import type { SignatureWindow } from '../analysis/windows';
import type { EndKind } from '../contracts/ingest';
import { endKinds } from '../contracts/ingest';
import { pathMask, type ProbeRef, type RecentScope } from './scope';
import { HOUR_MS, NO_CODE, PROBE_CLOSED, type RecentSessions } from './sessions';

export interface RecentHistogram {
  /** Filled bins by index, `floor(value / widthMs)`, ascending. */
  bins: { bin: number; count: number }[];
  /** Drops whose value is unknown (null). */
  nulls: number;
  max: number | null;
}

// Local copies of the store's codes: a bundler may turn an imported binding into a getter
// call per read, in loops over a million rows.
const none = NO_CODE;
const probeClosed = PROBE_CLOSED;

/** Bins beyond this many go to a Map: a week-old drop in 50 ms bins must not allocate a dense array of millions. */
const DENSE_BINS = 1 << 18;

/** Counts by bin index: dense for the common range, a Map for the rest (negative or very large). */
class BinCounter {
  private dense = new Float64Array(1024);
  private readonly sparse = new Map<number, number>();
  nulls = 0;
  max = -Infinity;

  constructor(private readonly widthMs: number) {}

  add(v: number): void {
    if (v !== v) {
      this.nulls++;
      return;
    }
    if (v > this.max) this.max = v;
    const bin = Math.floor(v / this.widthMs);
    if (bin >= 0 && bin < DENSE_BINS) {
      if (bin >= this.dense.length) {
        const grown = new Float64Array(Math.min(DENSE_BINS, Math.max(bin + 1, this.dense.length * 2)));
        grown.set(this.dense);
        this.dense = grown;
      }
      this.dense[bin]! += 1;
    } else this.sparse.set(bin, (this.sparse.get(bin) ?? 0) + 1);
  }

  histogram(): RecentHistogram {
    const bins: { bin: number; count: number }[] = [];
    for (let b = 0; b < this.dense.length; b++) if (this.dense[b]! > 0) bins.push({ bin: b, count: this.dense[b]! });
    if (this.sparse.size > 0) {
      for (const [bin, count] of this.sparse) bins.push({ bin, count });
      bins.sort((a, b) => a.bin - b.bin);
    }
    return { bins, nulls: this.nulls, max: this.max === -Infinity ? null : this.max };
  }
}

/** The drops of the scope by age and by idle time before the drop, in `widthMs` bins, in one pass. */
export function dropHistograms(store: RecentSessions, scope: RecentScope, probes: readonly ProbeRef[], widthMs: number): { age: RecentHistogram; idle: RecentHistogram } {
  if (!Number.isFinite(widthMs) || widthMs <= 0) throw new RangeError(`not a bin width: ${widthMs}`);
  const mask = pathMask(store.paths.values, scope, probes);
  const from = scope.from.getTime();
  const to = scope.to.getTime();
  const age = new BinCounter(widthMs);
  const idle = new BinCounter(widthMs);
  store.eachBlock(from, to, (b, whole) => {
    const { path, endKind, endedAt } = b;
    for (let i = 0; i < b.length; i++) {
      if (endKind[i] === probeClosed || mask[path[i]!] !== 1) continue;
      if (!whole && !(endedAt[i]! >= from && endedAt[i]! < to)) continue;
      age.add(b.age[i]!);
      idle.add(b.idle[i]!);
    }
  });
  return { age: age.histogram(), idle: idle.histogram() };
}

/** Drops by ending and by close code (null: none), as the drops page lists them. */
export function dropEndings(store: RecentSessions, scope: RecentScope, probes: readonly ProbeRef[]): { endKinds: { endKind: EndKind; count: number }[]; closeCodes: { closeCode: number | null; count: number }[] } {
  const mask = pathMask(store.paths.values, scope, probes);
  const from = scope.from.getTime();
  const to = scope.to.getTime();
  const kinds = new Float64Array(endKinds.length);
  // Close codes are 16-bit; slot 0 is "none".
  const codes = new Float64Array(65_537);
  store.eachBlock(from, to, (b, whole) => {
    const { path, endKind, endedAt, closeCode } = b;
    for (let i = 0; i < b.length; i++) {
      if (endKind[i] === probeClosed || mask[path[i]!] !== 1) continue;
      if (!whole && !(endedAt[i]! >= from && endedAt[i]! < to)) continue;
      kinds[endKind[i]!]! += 1;
      codes[closeCode[i]! + 1]! += 1;
    }
  });
  const closeCodes: { closeCode: number | null; count: number }[] = [];
  for (let c = 0; c < codes.length; c++) if (codes[c]! > 0) closeCodes.push({ closeCode: c === none + 1 ? null : c - 1, count: codes[c]! });
  return { endKinds: endKinds.map((endKind, k) => ({ endKind, count: kinds[k]! })).filter((e) => e.count > 0), closeCodes };
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
  const lo = Float64Array.from(windows, (w) => w.peak.lowMs);
  const hi = Float64Array.from(windows, (w) => w.peak.highMs);
  const byIdle = Uint8Array.from(windows, (w) => (w.dimension === 'idle' ? 1 : 0));
  // Per path index: [sessions, then reached, outlived, hits for each window].
  const stride = 1 + 3 * n;
  const counts = new Float64Array(stride * Math.max(1, store.paths.values.length));
  const count = (path: number, age: number, idle: number, dropped: boolean) => {
    const o = path * stride;
    counts[o]! += 1;
    for (let k = 0; k < n; k++) {
      const c = o + 1 + 3 * k;
      if (age >= lo[k]!) {
        counts[c]! += 1;
        if (age >= hi[k]!) counts[c + 1]! += 1;
      }
      if (dropped) {
        const v = byIdle[k] === 1 ? idle : age;
        if (v >= lo[k]! && v < hi[k]!) counts[c + 2]! += 1;
      }
    }
  };
  // The endings: `count` written out (this loop runs for every session of the range).
  for (const b of store.blocksIn(from, to)) {
    const { path, endedAt, age, idle, endKind } = b;
    const whole = b.hour * HOUR_MS >= from && (b.hour + 1) * HOUR_MS <= to;
    for (let i = 0; i < b.length; i++) {
      const p = path[i]!;
      if (mask[p] !== 1) continue;
      if (!whole && !(endedAt[i]! >= from && endedAt[i]! < to)) continue;
      const o = p * stride;
      counts[o]! += 1;
      const a = age[i]!;
      const dropped = endKind[i] !== probeClosed;
      for (let k = 0; k < n; k++) {
        const c = o + 1 + 3 * k;
        if (a >= lo[k]!) {
          counts[c]! += 1;
          if (a >= hi[k]!) counts[c + 1]! += 1;
        }
        if (dropped) {
          const v = byIdle[k] === 1 ? idle[i]! : a;
          if (v >= lo[k]! && v < hi[k]!) counts[c + 2]! += 1;
        }
      }
    }
  }
  for (const live of store.live.values()) {
    if (mask[live.path] !== 1 || !(live.openedAt < to)) continue;
    count(live.path, now - live.openedAt, NaN, false);
  }

  const out = new Map<string, RecentExposure>();
  store.paths.values.forEach((p, path) => {
    const o = path * stride;
    if (counts[o] === 0) return;
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
