/**
 * The endings aggregate's drops summed by bin (lib/rollups/ending-pack.ts has the packs):
 * into 100 ms bins (`packDropBins`, the definition) or straight into coarser ones
 * (`packDropBinsMapped`): the analysis' relative bins and the drops page's centred bars.
 */
import { firstBaseBin, relativeBin } from '../analysis/relative-bins';
import { sumInto } from '../drops/bins';
import { CELL_INTS as CELL_INTS_EXPORT, forAdmitted, NULL_BIN as NULL_BIN_EXPORT, type EndingPack, type PackPathFilter } from './ending-pack';

// Module constants, not imported bindings: the loops below read them per cell, and a
// bundler's or tsx's CommonJS output reads an imported binding through a getter call
// (~20 ms of a week's analysis at 1M sessions in a CPU profile).
const CELL_INTS = CELL_INTS_EXPORT;
const NULL_BIN = NULL_BIN_EXPORT;

/** Filled bins in ascending order. */
export type BinCounts = { bin: number; count: number }[];

/** The drops of the packs by age bin and idle bin, the unaged ones, and the longest age. */
export interface PackedDropBins {
  age: BinCounts;
  idle: BinCounts;
  unaged: number;
  maxAgeMs: number | null;
}

/**
 * Sums go to dense arrays over the span of the bins when it is at most this many times the
 * cells summed (or small anyway): a week of spread ages at 1M sessions spans 1.78M bins for
 * 800k cells, and a day of it the same span for 115k cells, two arrays of 14 MB each per
 * read. Sparser spans are summed by sorting the cells instead.
 */
const DENSE_PER_CELL = 4;
const DENSE_ALWAYS = 1 << 16;

/** Filled entries of a dense array whose index 0 is bin `low`, in order. */
function denseList(sums: Float64Array, low: number): BinCounts {
  const out: BinCounts = [];
  for (let k = 0; k < sums.length; k++) if (sums[k] !== 0) out.push({ bin: k + low, count: sums[k]! });
  return out;
}

/**
 * The `n` binned cells of the admitted paths summed by bin, through a sort of the cells by
 * bin (least-significant-digit radix on bin - low, 11 bits a pass): memory and time in
 * proportion to the cells, whatever the span of their bins.
 */
function sortedSums(packs: readonly EndingPack[], filter: PackPathFilter, n: number, low: number, high: number): { age: BinCounts; idle: BinCounts } {
  const keys = new Uint32Array(n);
  const drops = new Int32Array(n);
  const idles = new Int32Array(n);
  let at = 0;
  forAdmitted(packs, filter, (pack, _p, start, end) => {
    const c = pack.cells;
    for (let i = start; i < end; i += CELL_INTS) {
      const bin = c[i]!;
      if (bin === NULL_BIN) continue;
      keys[at] = bin - low;
      drops[at] = c[i + 2]!;
      idles[at] = c[i + 3]!;
      at++;
    }
  });
  let order = new Uint32Array(n);
  let spare = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const RADIX_BITS = 11;
  const counts = new Uint32Array(1 << RADIX_BITS);
  for (let shift = 0; shift < 32 && (high - low) / 2 ** shift >= 1; shift += RADIX_BITS) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(keys[order[i]!]! >>> shift) & 2047]!++;
    for (let d = 0, total = 0; d < counts.length; d++) {
      const c = counts[d]!;
      counts[d] = total;
      total += c;
    }
    for (let i = 0; i < n; i++) {
      const j = order[i]!;
      spare[counts[(keys[j]! >>> shift) & 2047]!++] = j;
    }
    [order, spare] = [spare, order];
  }
  const age: BinCounts = [];
  const idle: BinCounts = [];
  for (let i = 0; i < n; ) {
    const key = keys[order[i]!]!;
    let a = 0;
    let b = 0;
    for (; i < n && keys[order[i]!] === key; i++) {
      a += drops[order[i]!]!;
      b += idles[order[i]!]!;
    }
    if (a !== 0) age.push({ bin: key + low, count: a });
    if (b !== 0) idle.push({ bin: key + low, count: b });
  }
  return { age, idle };
}

/**
 * The admitted paths' binned cells: the lowest and highest bin (high < low when none), how
 * many, the unaged drops and the longest age. A path's cells are in bin order, the null cell
 * first: its span is its first and last cells, and its unaged drops are in its first.
 */
function dropSpan(packs: readonly EndingPack[], filter: PackPathFilter): { low: number; high: number; binned: number; unaged: number; maxAgeMs: number | null } {
  let low = Infinity;
  let high = -Infinity;
  let unaged = 0;
  let binned = 0;
  forAdmitted(packs, filter, (pack, _p, start, end) => {
    const c = pack.cells;
    let first = start;
    if (first < end && c[first] === NULL_BIN) {
      unaged += c[first + 2]!;
      first += CELL_INTS;
    }
    if (first < end) {
      if (c[first]! < low) low = c[first]!;
      if (c[end - CELL_INTS]! > high) high = c[end - CELL_INTS]!;
      binned += (end - first) / CELL_INTS;
    }
  });
  return { low, high, binned, unaged, maxAgeMs: packMaxAgeMs(packs, filter) };
}

/**
 * The drops of the admitted paths, binned as the analysis histograms bin them: by age
 * (`drops`), by idle time (`idleDrops`), the drops without an age counted apart. The span
 * of the bins from each path's first and last cells, then the sums in arrays over that span
 * when it is compact, else through a sort of the cells (a map cost ~150 ms a week).
 */
export function packDropBins(packs: readonly EndingPack[], filter: PackPathFilter): PackedDropBins {
  const { low, high, unaged, binned, maxAgeMs } = dropSpan(packs, filter);
  if (high < low) return { age: [], idle: [], unaged, maxAgeMs };
  if (high - low > Math.max(DENSE_ALWAYS, DENSE_PER_CELL * binned)) return { ...sortedSums(packs, filter, binned, low, high), unaged, maxAgeMs };
  const age = new Float64Array(high - low + 1);
  const idle = new Float64Array(high - low + 1);
  forAdmitted(packs, filter, (pack, _p, start, end) => {
    const c = pack.cells;
    for (let i = start; i < end; i += CELL_INTS) {
      const bin = c[i]!;
      if (bin === NULL_BIN) continue;
      const k = bin - low;
      age[k] = age[k]! + c[i + 2]!;
      idle[k] = idle[k]! + c[i + 3]!;
    }
  });
  return { age: denseList(age, low), idle: denseList(idle, low), unaged, maxAgeMs };
}

/**
 * Base bins mapped onto coarser ones, in order: `key(bin)` numbers the coarser bin of a
 * base bin and never decreases as the bin grows; `label(key)` is how the answer names it.
 */
export interface BinMap {
  key(bin: number): number;
  label(key: number): number;
}

/**
 * Relative bins (lib/analysis/relative-bins.ts), each named by its first base bin: what the
 * analysis finds windows in. Added to base bins of the rows by base bin (in order),
 * `toRelativeBins` then sums them as if all had been base bins.
 */
export const RELATIVE_BINS: BinMap = { key: relativeBin, label: firstBaseBin };

/**
 * Centred bins of `k` base bins (k even): bin j holds base bins [j·k − k/2, j·k + k/2), as
 * lib/drops/bins.ts `rebinCentred` sums them: the drops page's bars.
 */
export function centredBins(k: number): BinMap {
  if (!Number.isInteger(k) || k < 2 || k % 2 !== 0) throw new RangeError(`centred bins of ${k} base bins: not an even number of them`);
  return { key: (bin) => Math.floor((bin + k / 2) / k), label: (j) => j };
}

/** Mapped spans summed in an array over the span up to this many bins; wider ones through packDropBins. */
const MAPPED_DENSE_LIMIT = 1 << 20;

/**
 * packDropBins' drops summed straight into the bins of `map`: without the base bins' span
 * (a week of spread ages at 1M sessions: 1.78M bins, two arrays of 14 MB first touched at
 * every read) or the 160,000 filled base bins in between. Spans too wide for an array
 * (idle times far below zero, bins over years) go through the base bins.
 */
export function packDropBinsMapped(packs: readonly EndingPack[], filter: PackPathFilter, map: BinMap): PackedDropBins {
  return packDropBinsMappedAll(packs, filter, [map])[0]!;
}

/**
 * packDropBinsMapped for several maps in one pass over the cells (the drops page's bars and
 * the analysis' relative bins: a week's 800,000 cells read once, not twice).
 */
export function packDropBinsMappedAll(packs: readonly EndingPack[], filter: PackPathFilter, maps: readonly BinMap[]): PackedDropBins[] {
  const { low, high, unaged, maxAgeMs } = dropSpan(packs, filter);
  if (high < low) return maps.map(() => ({ age: [], idle: [], unaged, maxAgeMs }));
  const firsts = maps.map((m) => m.key(low));
  const spans = maps.map((m, j) => m.key(high) - firsts[j]! + 1);
  const dense = maps.map((_m, j) => spans[j]! <= MAPPED_DENSE_LIMIT);
  const base = dense.every(Boolean) ? undefined : packDropBins(packs, filter);
  const direct = maps.map((_m, j) => j).filter((j) => dense[j]);
  const ages = direct.map((j) => new Float64Array(spans[j]!));
  const idles = direct.map((j) => new Float64Array(spans[j]!));
  const keys = direct.map((j) => maps[j]!.key);
  const offs = direct.map((j) => firsts[j]!);
  if (direct.length > 0) {
    forAdmitted(packs, filter, (pack, _p, start, end) => {
      const c = pack.cells;
      for (let i = start; i < end; i += CELL_INTS) {
        const bin = c[i]!;
        if (bin === NULL_BIN) continue;
        const drops = c[i + 2]!;
        const idle = c[i + 3]!;
        for (let d = 0; d < keys.length; d++) {
          const k = keys[d]!(bin) - offs[d]!;
          const a = ages[d]!;
          const b = idles[d]!;
          a[k] = a[k]! + drops;
          b[k] = b[k]! + idle;
        }
      }
    });
  }
  return maps.map((map, j) => {
    if (!dense[j]) return { ...base!, age: mapBins(base!.age, map), idle: mapBins(base!.idle, map) };
    const d = direct.indexOf(j);
    const list = (sums: Float64Array): BinCounts => {
      const out: BinCounts = [];
      for (let k = 0; k < sums.length; k++) if (sums[k] !== 0) out.push({ bin: map.label(k + firsts[j]!), count: sums[k]! });
      return out;
    };
    return { age: list(ages[d]!), idle: list(idles[d]!), unaged, maxAgeMs };
  });
}

/**
 * The longest age of the admitted paths' drops, from the packs' path lists (no cell is
 * read); null when none has one.
 */
export function packMaxAgeMs(packs: readonly EndingPack[], filter: PackPathFilter): number | null {
  let max = -Infinity;
  // NaN (no drop with an age) never compares greater.
  forAdmitted(packs, filter, (pack, p) => {
    if (pack.maxAgeMs[p]! > max) max = pack.maxAgeMs[p]!;
  });
  return max === -Infinity ? null : max;
}

/** Base bins summed into the bins of `map`, in order. */
export function mapBins(bins: BinCounts, map: BinMap): BinCounts {
  return sumInto(bins, map.key).map((b) => ({ bin: map.label(b.bin), count: b.count }));
}
