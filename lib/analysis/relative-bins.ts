/**
 * The bins the analysis looks for windows in: the base bins (100 ms, `floor(value / 100 ms)`)
 * up to LINEAR_BINS of them (409.6 s), then PER_OCTAVE bins per doubling of the value, each a
 * whole number of base bins and at most 1/2048 of its start (0.05 %). A window is ±0.5 % of
 * N from 50 s on, so it spans ten bins or more past 409.6 s, and its edges stay on base bin
 * edges (what the rows, the packs and the member reads count).
 *
 * Why: a fleet whose heartbeat canaries live for hours puts almost every drop in a 100 ms
 * bin of its own: a week at 1M sessions filled 160,462 age bins, 127,000 of them past an
 * hour, and findPeaks tried three windows around each. Relative bins hold the same week in
 * at most ~26,000, whatever the number of sessions, and are the base bins themselves below
 * 409.6 s, where every catalogued idle timeout but the longest sits (an NLB's 350 s
 * included): windows there are found exactly as before. Past it a window's edges snap to
 * bins of 0.05 % of N instead of 100 ms, which widens it by at most a tenth (100 ms bins
 * widen a 20 s window by up to 40 %). Prometheus' native histograms and DDSketch bin the
 * same way, for the same reason.
 *
 * Every bin is named by an integer k: base bin k below LINEAR_BINS (negative idle times
 * too), then PER_OCTAVE per octave. Pure integer arithmetic on the base bin, so the rows and
 * the aggregates bin alike.
 */
import { ascending, type Bin } from './bins';

/** Base bins kept as they are: 4,096 × 100 ms = 409.6 s. */
export const LINEAR_BINS = 4096;
/** Relative bins per doubling past LINEAR_BINS. */
export const PER_OCTAVE = LINEAR_BINS / 2;

/** log2(PER_OCTAVE). */
const OCTAVE_SHIFT = Math.log2(PER_OCTAVE);
/** 2^i: a table read, where `2 ** i` is a call into Math.pow on the hottest path of findPeaks. */
const POW2 = Float64Array.from({ length: 64 }, (_, i) => 2 ** i);

/** floor(log2(b)) for an integer b >= 1: a count of leading zeros below 2^32, exact for any b below 2^53 beyond. */
function log2Floor(b: number): number {
  if (b < 2 ** 32) return 31 - Math.clz32(b);
  let e = Math.floor(Math.log2(b));
  while (2 ** e > b) e--;
  while (2 ** (e + 1) <= b) e++;
  return e;
}

/** The relative bin that holds base bin `b` (an integer). */
export function relativeBin(b: number): number {
  if (b < LINEAR_BINS) return b;
  // b in [PER_OCTAVE·2^o, PER_OCTAVE·2^(o+1)), o >= 1, split into PER_OCTAVE bins of 2^o.
  const o = log2Floor(b) - OCTAVE_SHIFT;
  return PER_OCTAVE * o + Math.floor(b / POW2[o]!);
}

/** The first base bin of relative bin `k`. */
export function firstBaseBin(k: number): number {
  if (k < LINEAR_BINS) return k;
  const o = Math.floor(k / PER_OCTAVE) - 1;
  return (k - PER_OCTAVE * o) * POW2[o]!;
}

/** How many base bins relative bin `k` holds. */
export function baseBinsIn(k: number): number {
  return k < LINEAR_BINS ? 1 : POW2[Math.floor(k / PER_OCTAVE) - 1]!;
}

/**
 * Bins on a grid, as findPeaks places windows on them. Every bin start is a multiple of
 * `baseMs`. `uniform` grids are the base bins themselves.
 */
export interface BinGrid {
  readonly baseMs: number;
  readonly uniform: boolean;
  /** The start of the bin that holds v. */
  floor(v: number): number;
  /** The first bin start at or after v. */
  ceil(v: number): number;
  /** The start of the next bin after the one starting at `start`, and of the one before it. */
  next(start: number): number;
  prev(start: number): number;
  /** The width of the bin that holds v. */
  width(v: number): number;
  /** The number of the first bin starting at or after v: consecutive bins have consecutive numbers. */
  index(v: number): number;
}

/** The base bins of `baseMs` as a grid. */
export function uniformGrid(baseMs: number): BinGrid {
  return {
    baseMs,
    uniform: true,
    floor: (v) => Math.floor(v / baseMs) * baseMs,
    ceil: (v) => Math.ceil(v / baseMs) * baseMs,
    next: (start) => start + baseMs,
    prev: (start) => start - baseMs,
    width: () => baseMs,
    index: (v) => Math.ceil(v / baseMs),
  };
}

/**
 * The relative bins over base bins of `baseMs`. Below LINEAR_BINS base bins every answer is
 * the uniform grid's, computed the same way (the same floating-point operations), so windows
 * there come out exactly as they did on base bins.
 */
export function relativeGrid(baseMs: number): BinGrid {
  const linearMs = LINEAR_BINS * baseMs;
  const start = (k: number) => firstBaseBin(k) * baseMs;
  /** The relative bin holding v (past the linear bins): from its base bin, settled on exact comparisons of starts. */
  const holding = (v: number) => {
    const b = Math.floor(v / baseMs);
    // The base bin holds v (the division did not round across its edge): so does its relative bin.
    if (b * baseMs <= v && (b + 1) * baseMs > v) return relativeBin(b);
    let k = relativeBin(b);
    while (start(k) > v) k--;
    while (start(k + 1) <= v) k++;
    return k;
  };
  const floor = (v: number) => (v < linearMs ? Math.floor(v / baseMs) * baseMs : start(holding(v)));
  const width = (v: number) => (v < linearMs ? baseMs : baseBinsIn(holding(v)) * baseMs);
  return {
    baseMs,
    uniform: false,
    floor,
    ceil: (v) => {
      if (v <= linearMs) return Math.ceil(v / baseMs) * baseMs;
      const k = holding(v);
      return start(k) === v ? v : start(k + 1);
    },
    width,
    next: (s) => (s < linearMs ? s + baseMs : start(holding(s) + 1)),
    prev: (s) => (s <= linearMs ? s - baseMs : start(holding(s) - 1)),
    index: (v) => {
      if (v <= linearMs) {
        // The division may round across a bin start; settle on the exact comparison.
        let j = Math.ceil(v / baseMs);
        while ((j - 1) * baseMs >= v) j--;
        while (j * baseMs < v) j++;
        return j;
      }
      const k = holding(v);
      return start(k) === v ? k : k + 1;
    },
  };
}

/**
 * Base bins (`startMs` a multiple of `baseMs`) summed into relative bins, each at its start,
 * in order: one pass over bins in order (the readers'), sorted first otherwise.
 */
export function toRelativeBins(bins: readonly Bin[], baseMs: number): Bin[] {
  const sorted = ascending(bins) ? bins : [...bins].sort((a, b) => a.startMs - b.startMs);
  const out: Bin[] = [];
  let k = NaN;
  for (const b of sorted) {
    if (b.count === 0) continue;
    const r = relativeBin(Math.round(b.startMs / baseMs));
    if (r === k) out[out.length - 1]!.count += b.count;
    else {
      // Below LINEAR_BINS the bin is the base bin: its start as given (no round trip).
      out.push({ startMs: r < LINEAR_BINS ? b.startMs : firstBaseBin(r) * baseMs, count: b.count });
      k = r;
    }
  }
  return out;
}
