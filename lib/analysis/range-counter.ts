/**
 * Counting drops in ranges of bins, the question findPeaks asks most (lib/analysis/peaks.ts):
 * from prefix sums over the bins, dense by bin number where the bins sit on a grid.
 */
import type { Bin } from './bins';
import type { BinGrid } from './relative-bins';

/** Most bins a dense prefix array may span (a day of ages at 100 ms is ~900,000). */
const DENSE_SPAN_LIMIT = 4_000_000;

/**
 * `count(lo, hi)`: the drops in bins that start in [lo, hi), from prefix sums. findPeaks
 * asks this a few times per window it tries, for every filled bin: on bins that sit on the
 * grid (as the database's are) the prefix is dense and a count is two array reads;
 * otherwise each side is a binary search over the bins' starts.
 */
export function rangeCounter(sorted: readonly Bin[], starts: readonly number[], grid: BinGrid): (lo: number, hi: number) => number {
  return counters(sorted, starts, grid).count;
}

/**
 * The drops of [lo, hi) (lo and hi bin starts) and of the same window one bin earlier and
 * one bin later, into `out` as [earlier, here, later]: whether a window is a local maximum.
 */
export type Around = (lo: number, hi: number, out: Float64Array) => void;

/** rangeCounter's count, and the counts around a window (Around). */
export function counters(sorted: readonly Bin[], starts: readonly number[], grid: BinGrid): { count: (lo: number, hi: number) => number; around: Around } {
  if (!grid.uniform) {
    const dense = gridCounter(sorted, starts, grid);
    if (dense) return dense;
  }
  const count = grid.uniform ? uniformCounter(sorted, starts, grid.baseMs) : searchCounter(sorted, starts);
  const around: Around = (lo, hi, out) => {
    out[1] = count(lo, hi);
    out[0] = count(grid.prev(lo), grid.prev(hi));
    out[2] = count(grid.next(lo), grid.next(hi));
  };
  return { count, around };
}

/** Counts by binary search over the starts: bins anywhere. */
function searchCounter(sorted: readonly Bin[], starts: readonly number[]): (lo: number, hi: number) => number {
  const prefix = [0];
  for (const b of sorted) prefix.push(prefix.at(-1)! + b.count);
  return (lo, hi) => prefix[lowerBound(starts, hi)]! - prefix[lowerBound(starts, lo)]!;
}

function uniformCounter(sorted: readonly Bin[], starts: readonly number[], binMs: number): (lo: number, hi: number) => number {
  const first = starts[0]!;
  const span = Math.round((starts.at(-1)! - first) / binMs) + 1;
  const onGrid = span <= DENSE_SPAN_LIMIT && starts.every((x) => first + Math.round((x - first) / binMs) * binMs === x);
  if (!onGrid) return searchCounter(sorted, starts);
  // dense[j] = drops in grid bins 0..j-1, so bins starting before v are dense[lowerIndex(v)].
  const dense = new Float64Array(span + 1);
  for (const b of sorted) dense[Math.round((b.startMs - first) / binMs) + 1]! += b.count;
  for (let j = 1; j <= span; j++) dense[j]! += dense[j - 1]!;
  /** The number of grid bins that start before v: lowerBound over the grid, exactly. */
  const lowerIndex = (v: number): number => {
    let j = Math.min(span, Math.max(0, Math.ceil((v - first) / binMs)));
    // The division may round across a bin start; settle on the exact comparison.
    while (j > 0 && first + (j - 1) * binMs >= v) j--;
    while (j < span && first + j * binMs < v) j++;
    return j;
  };
  return (lo, hi) => dense[lowerIndex(hi)]! - dense[lowerIndex(lo)]!;
}

/**
 * Counts on a grid of uneven bins (relative bins): the prefix is dense over the grid's bin
 * numbers from the first filled bin to the last, and the bins starting before v are those
 * numbered below `grid.index(v)`.
 */
/**
 * Counts by bin number on a grid whose bins the starts are: null when they are not, or
 * their span is too wide for an array. Consecutive bins have consecutive numbers
 * (BinGrid.index), so the window one bin earlier or later is one number off at both ends:
 * its count is two array reads, not four grid steps and four numberings.
 */
function gridCounter(sorted: readonly Bin[], starts: readonly number[], grid: BinGrid): { count: (lo: number, hi: number) => number; around: Around } | null {
  const first = grid.index(starts[0]!);
  const span = grid.index(starts.at(-1)!) - first + 1;
  if (span > DENSE_SPAN_LIMIT || !starts.every((x) => grid.floor(x) === x)) return null;
  const dense = new Float64Array(span + 1);
  for (const b of sorted) dense[grid.index(b.startMs) - first + 1]! += b.count;
  for (let j = 1; j <= span; j++) dense[j]! += dense[j - 1]!;
  const at = (j: number) => dense[Math.min(span, Math.max(0, j))]!;
  const before = (v: number) => at(grid.index(v) - first);
  return {
    count: (lo, hi) => before(hi) - before(lo),
    around: (lo, hi, out) => {
      const i = grid.index(lo) - first;
      const j = grid.index(hi) - first;
      out[0] = at(j - 1) - at(i - 1);
      out[1] = at(j) - at(i);
      out[2] = at(j + 1) - at(i + 1);
    },
  };
}

/** The first index of sorted `xs` whose value is >= v (xs.length when none). */
export function lowerBound(xs: readonly number[], v: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
