/**
 * What the analysis counts per window over the endings aggregate's packs
 * (lib/rollups/ending-pack.ts): per path its exposures, per window the hours that hold its
 * drops. A window is a range of bins [lo, hi); a path's cells are in bin order (the null
 * cell, NULL_BIN, below every bin, first), so each window is two binary searches in a path's
 * cells and a sum over the few cells between, not a test of every cell against every window.
 */
import { CELL_INTS as CELL_INTS_EXPORT, forAdmitted, NULL_BIN as NULL_BIN_EXPORT, type EndingPack, type PackPathFilter } from './ending-pack';

// Module constants, not imported bindings read through a getter per cell (pack-drop-bins.ts).
const CELL_INTS = CELL_INTS_EXPORT;
const NULL_BIN = NULL_BIN_EXPORT;

/** A window of the analysis in bins: [lo, hi), by age or by idle time. */
export interface BinWindow {
  dimension: 'age' | 'idle';
  lo: number;
  hi: number;
}

/** A path's exposure counts over the packs, per window (as db/queries/analysis.ts sums them). */
export interface PackExposure {
  probeId: number;
  target: string;
  proxy: string;
  profile: string;
  profileKind: string | null;
  gapMs: number | null;
  sessions: number;
  /** Of `sessions`, those not ended by the probe (at any duration). */
  drops: number;
  /** Per window: sessions whose age bin is >= lo; >= hi; drops whose bin (of the window's dimension) is in [lo, hi). */
  reached: number[];
  outlived: number[];
  hits: number[];
}

/** Path ids are int4 (serial): a probe id times this plus a path id is unique and exact. */
const PROBE_KEY = 2 ** 32;

/**
 * The int32 offset of the first cell in [start, end) whose bin is >= `bin` (`end` when none):
 * the cells from `start` are in bin order.
 */
export function firstCellAtOrAbove(c: Int32Array, start: number, end: number, bin: number): number {
  let lo = 0;
  let hi = (end - start) / CELL_INTS;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (c[start + mid * CELL_INTS]! < bin) lo = mid + 1;
    else hi = mid;
  }
  return start + lo * CELL_INTS;
}

/** The count of a window's hits in a cell: drops by age (cell offset 2) or by idle time (3). */
const hitOffset = (w: BinWindow) => (w.dimension === 'age' ? 2 : 3);

/**
 * Per path (probe and columns) over the admitted paths of every pack: its sessions and
 * drops, and for each window how many of its sessions reached it (age bin >= lo), outlived
 * it (>= hi) and dropped in it. Null bins count in the totals only, as a NULL compares in SQL.
 */
export function packExposures(packs: readonly EndingPack[], filter: PackPathFilter, windows: readonly BinWindow[]): PackExposure[] {
  // Keyed by number (probe and path id), not by a string of the path's columns: a week's
  // read visits 72,000 (pack, path) pairs.
  const byPath = new Map<number, PackExposure>();
  const n = windows.length;
  const lo = Int32Array.from(windows, (w) => w.lo);
  const hi = Int32Array.from(windows, (w) => w.hi);
  const hitAt = Int32Array.from(windows, hitOffset);
  // Per cell of the path at hand: the sessions with a bin in the cells before it.
  let before = new Float64Array(64);
  forAdmitted(packs, filter, (pack, p, start, end) => {
    const path = pack.paths[p]!;
    const key = pack.probeId * PROBE_KEY + path.id;
    let e = byPath.get(key);
    if (!e) {
      e = {
        probeId: pack.probeId,
        target: path.target,
        proxy: path.proxy,
        profile: path.profile,
        profileKind: path.profileKind,
        gapMs: path.gapMs,
        sessions: 0,
        drops: 0,
        reached: new Array<number>(n).fill(0),
        outlived: new Array<number>(n).fill(0),
        hits: new Array<number>(n).fill(0),
      };
      byPath.set(key, e);
    }
    const c = pack.cells;
    const cells = (end - start) / CELL_INTS;
    if (before.length <= cells) before = new Float64Array(2 * (cells + 1));
    let binned = 0;
    for (let k = 0, i = start; i < end; k++, i += CELL_INTS) {
      before[k] = binned;
      const sessions = c[i + 1]!;
      e.sessions += sessions;
      e.drops += c[i + 2]!;
      if (c[i] !== NULL_BIN) binned += sessions;
    }
    const { reached, outlived, hits } = e;
    for (let w = 0; w < n; w++) {
      const from = firstCellAtOrAbove(c, start, end, lo[w]!);
      const to = firstCellAtOrAbove(c, from, end, hi[w]!);
      reached[w] = reached[w]! + binned - (from < end ? before[(from - start) / CELL_INTS]! : binned);
      outlived[w] = outlived[w]! + binned - (to < end ? before[(to - start) / CELL_INTS]! : binned);
      let sum = 0;
      for (let i = from + hitAt[w]!; i < to; i += CELL_INTS) sum += c[i]!;
      hits[w] = hits[w]! + sum;
    }
  });
  return [...byPath.values()];
}

/** Calls `each(pack, w, hits)` for every admitted path of every pack and every window it has hits in. */
function forWindowHits(packs: readonly EndingPack[], filter: PackPathFilter, windows: readonly BinWindow[], each: (pack: EndingPack, w: number, hits: number) => void): void {
  const hitAt = windows.map(hitOffset);
  forAdmitted(packs, filter, (pack, _p, start, end) => {
    const c = pack.cells;
    for (let w = 0; w < windows.length; w++) {
      const from = firstCellAtOrAbove(c, start, end, windows[w]!.lo);
      const to = firstCellAtOrAbove(c, from, end, windows[w]!.hi);
      let sum = 0;
      for (let i = from + hitAt[w]!; i < to; i += CELL_INTS) sum += c[i]!;
      if (sum !== 0) each(pack, w, sum);
    }
  });
}

/**
 * Per window, the start of the oldest hour needed for the packs' hours from it on to hold at
 * least `sample` of the window's drops (its hits, as packExposures counts them); null when
 * all the packs together hold fewer. The latest `sample` members of a window all ended at or
 * after it, so a read of them may start there instead of scanning the whole range back.
 */
export function memberHorizons(packs: readonly EndingPack[], filter: PackPathFilter, windows: readonly BinWindow[], sample: number): (number | null)[] {
  const n = windows.length;
  const byHour = new Map<number, Float64Array>();
  forWindowHits(packs, filter, windows, (pack, w, hits) => {
    let held = byHour.get(pack.bucket);
    if (!held) byHour.set(pack.bucket, (held = new Float64Array(n)));
    held[w] = held[w]! + hits;
  });
  const hours = [...byHour.keys()].sort((a, b) => b - a);
  return windows.map((_w, w) => {
    let held = 0;
    for (const hour of hours) {
      held += byHour.get(hour)![w]!;
      if (held >= sample) return hour;
    }
    return null;
  });
}

/**
 * Per window, the first and last hour of the packs that hold any of its drops (its hits, as
 * packExposures counts them): `firstMs` the start of the first, `lastMs` the end of the last;
 * null when none does. What the aggregates say of when a window's drops happened once their
 * rows are past retention.
 */
export function windowHours(packs: readonly EndingPack[], filter: PackPathFilter, windows: readonly BinWindow[], hourMs: number): ({ firstMs: number; lastMs: number } | null)[] {
  const out: ({ firstMs: number; lastMs: number } | null)[] = windows.map(() => null);
  forWindowHits(packs, filter, windows, (pack, w) => {
    const seen = out[w];
    if (!seen) out[w] = { firstMs: pack.bucket, lastMs: pack.bucket + hourMs };
    else {
      if (pack.bucket < seen.firstMs) seen.firstMs = pack.bucket;
      if (pack.bucket + hourMs > seen.lastMs) seen.lastMs = pack.bucket + hourMs;
    }
  });
  return out;
}
