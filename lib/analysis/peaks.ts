/**
 * Finding "exactly N seconds" in a histogram of drop durations: windows far denser than
 * their neighbourhood. The window is ±max(250 ms, 0.5 % of N), widened adaptively when
 * a layer's timer is coarse; the neighbourhood's density leaves out the sub-windows that
 * are spikes of their own, so other signatures nearby (58 s, 61 s and 63 s next to 60 s,
 * larger or smaller) neither hide nor inflate it. Significance
 * is a Poisson tail corrected for the number of windows looked at, so a background of
 * random drops does not produce phantom signatures.
 */
import { logPoissonUpperTail, poissonLowerTail } from './poisson';
import type { Bin } from './bins';
import { counters, lowerBound } from './range-counter';
import { uniformGrid, type BinGrid } from './relative-bins';

export interface Peak {
  /** Centre of the densest window, ms (refined later from the exact members). */
  centerMs: number;
  lowMs: number;
  highMs: number;
  count: number;
  /** Drops the background alone would put in the window. */
  expected: number;
  /** ln of the Poisson tail probability, before the multiple-testing correction. */
  logP: number;
}

export interface PeakOptions {
  /** The base bin: every bin's start and width are multiples of it. */
  binMs: number;
  /**
   * The bins' grid: windows are placed on its bin edges. The base bins by default; the
   * analysis passes relative bins (lib/analysis/relative-bins.ts) on base `binMs`.
   */
  grid?: BinGrid;
  /** Fewest drops a signature may have. */
  minCount?: number;
  /**
   * Family-wise false-positive rate over the whole histogram. Strict, because the
   * background is estimated from few drops and a real signature is overwhelming anyway.
   */
  alpha?: number;
  maxPeaks?: number;
}

export function windowHalfWidthMs(centerMs: number): number {
  return Math.max(250, 0.005 * centerMs);
}

/** Window widths tried, as multiples of windowHalfWidthMs: sharp cuts first, then coarse timers. */
const WIDENS = [1, 2, 4] as const;

export function findPeaks(bins: readonly Bin[], options: PeakOptions): Peak[] {
  const { binMs, minCount = 6, alpha = 1e-5, maxPeaks = 20 } = options;
  const grid = options.grid ?? uniformGrid(binMs);
  if (grid.baseMs !== binMs) throw new RangeError(`a grid on ${grid.baseMs} ms bins for ${binMs} ms bins`);
  const sorted = inOrder(bins) ? bins : [...bins].filter((b) => b.count > 0).sort((a, b) => a.startMs - b.startMs);
  if (sorted.length === 0) return [];
  const starts = sorted.map((b) => b.startMs);
  /** Drops in bins that start in [lo, hi). */
  const { count, around } = counters(sorted, starts, grid);
  const near = new Float64Array(3);
  const scratch = new Float64Array(128);

  const span = Math.max(binMs, starts.at(-1)! - starts[0]! + binMs);
  // Every window dense enough, per width. Each width is kept (not only each bin's best):
  // the widest window around a sharp cut next to a larger one holds both, and would hide
  // the smaller if it were the only one kept for that bin.
  const byWidth: Peak[][] = WIDENS.map(() => []);
  for (const b of sorted) {
    const x = b.startMs + grid.width(b.startMs) / 2;
    for (let i = 0; i < WIDENS.length; i++) {
      const w = Math.max(windowHalfWidthMs(x) * WIDENS[i]!, grid.width(x));
      // Only where the window is at least as full as the same window a bin either side: a
      // peak is found from its local maximum (and moved onto its median), and the
      // background estimate, the costly part, is skipped for the slopes between.
      const lo = grid.floor(x - w);
      const hi = grid.ceil(x + w);
      around(lo, hi, near);
      const k = near[1]!;
      if (k < minCount || near[0]! > k || near[2]! > k) continue;
      const p = evaluate(x, w);
      if (!p) continue;
      const centred = recenter(p);
      byWidth[i]!.push(centred);
      // A wide window is also kept where it was: moved onto the median of a spread cut
      // whose drops clump by chance on one side, it would leave the other side out.
      if (i > 0 && centred !== p) byWidth[i]!.push(p);
    }
  }

  /**
   * The window of half-width w around x, its edges on bin boundaries so that "in the
   * window" means the same for bins here and for exact values later. Null unless dense
   * enough to be a signature.
   */
  function evaluate(x: number, w: number): Peak | null {
    const lowMs = grid.floor(x - w);
    const highMs = grid.ceil(x + w);
    const k = count(lowMs, highMs);
    if (k < minCount) return null;
    const expected = background(count, x, (highMs - lowMs) / 2, scratch, k);
    if (k < 3 * expected) return null;
    const logP = logPoissonUpperTail(k, expected);
    // Bonferroni over the windows of this width that fit in the data's span, three widths.
    const tests = Math.max(1, span / (highMs - lowMs)) * WIDENS.length;
    if (logP + Math.log(tests) > Math.log(alpha)) return null;
    return { centerMs: x, lowMs, highMs, count: k, expected, logP };
  }

  /**
   * A window placed on the edge of a jittered spike cuts it in half and biases N: move it
   * onto the weighted median of what it holds (twice is enough to settle).
   */
  function recenter(p: Peak): Peak {
    let cur = p;
    for (let iter = 0; iter < 2; iter++) {
      const x = weightedMedian(cur.lowMs, cur.highMs) ?? cur.centerMs;
      if (x === cur.centerMs) break;
      const moved = evaluate(x, (cur.highMs - cur.lowMs) / 2);
      if (!moved) break;
      cur = moved;
    }
    return cur;
  }

  /** The centre of the bin holding the median drop of [lo, hi). */
  function weightedMedian(lo: number, hi: number): number | null {
    // The bins are sorted: two binary searches, not a pass over every bin per candidate
    // (that pass was ~40 % of findPeaks on 73,000 bins).
    const first = lowerBound(starts, lo);
    const last = lowerBound(starts, hi);
    let total = 0;
    for (let i = first; i < last; i++) total += sorted[i]!.count;
    let acc = 0;
    for (let i = first; i < last; i++) {
      acc += sorted[i]!.count;
      if (acc * 2 >= total) return sorted[i]!.startMs + grid.width(sorted[i]!.startMs) / 2;
    }
    return null;
  }

  /** One peak over [lo, hi) made of adjacent parts: a cut spread wider than one window. */
  function joined(parts: readonly Peak[]): Peak {
    const lowMs = Math.min(...parts.map((p) => p.lowMs));
    const highMs = Math.max(...parts.map((p) => p.highMs));
    const k = count(lowMs, highMs);
    const expected = parts.reduce((n, p) => n + p.expected, 0);
    return { centerMs: weightedMedian(lowMs, highMs) ?? parts[0]!.centerMs, lowMs, highMs, count: k, expected, logP: Math.min(logPoissonUpperTail(k, expected), ...parts.map((p) => p.logP)) };
  }

  /**
   * Whether peaks are fragments of one spread cut: the region between each two (their gap
   * and half the narrower window on either side of it) is no valley, that is not
   * far emptier than their own density would fill it (Poisson, 1 in 1,000). Two separate
   * sharp cuts have only background between them; a whole-second timer's spread has its
   * drops there too.
   */
  function oneRun(peaks: readonly Peak[]): boolean {
    const byPosition = [...peaks].sort((a, b) => a.lowMs - b.lowMs);
    const held = byPosition.reduce((n, p) => n + p.count, 0);
    const width = byPosition.reduce((n, p) => n + (p.highMs - p.lowMs), 0);
    for (let i = 1; i < byPosition.length; i++) {
      const a = byPosition[i - 1]!;
      const b = byPosition[i]!;
      const q = Math.max(binMs, Math.floor(Math.min(a.highMs - a.lowMs, b.highMs - b.lowMs) / 2 / binMs) * binMs);
      const lo = Math.min(a.highMs, b.lowMs) - q;
      const hi = Math.max(a.highMs, b.lowMs) + q;
      if (poissonLowerTail(count(lo, hi), (held / width) * (hi - lo)) < 1e-3) return false;
    }
    return true;
  }

  /** Whether a peak's drops fill its window (a spread cut's fragment) rather than a bin or two (a sharp cut). */
  function spread(p: Peak): boolean {
    const first = lowerBound(starts, p.lowMs);
    const last = lowerBound(starts, p.highMs) - 1;
    if (last <= first) return false;
    return grid.next(starts[last]!) - starts[first]! >= 0.4 * (p.highMs - p.lowMs);
  }

  const strongestFirst = (a: Peak, b: Peak) => a.logP - b.logP || b.count - a.count || a.centerMs - b.centerMs;
  const overlaps = (a: Peak, b: Peak) => a.lowMs < b.highMs && a.highMs > b.lowMs;
  // Narrow windows first, strongest first: a sharp cut is found on its own, however large
  // the cuts beside it (a window overlapping one already taken belongs to it).
  let taken: Peak[] = [];
  for (const c of byWidth[0]!.sort(strongestFirst)) if (!taken.some((t) => overlaps(t, c))) taken.push(c);
  taken = joinAdjacent(taken, binMs).map((run) => (run.length === 1 ? run[0]! : joined(run)));
  // Then wider ones: a coarse timer's cuts (a whole-second clock, a sweep) spread over more
  // than a narrow window. A wider window takes the place of the narrow ones it holds when
  // it explains them better and they are one run (fragments of one spread cut), never when
  // it would swallow two separate cuts.
  for (let i = 1; i < WIDENS.length; i++) {
    for (const c of byWidth[i]!.sort(strongestFirst)) {
      const hit = taken.filter((t) => overlaps(t, c));
      if (hit.length === 0) {
        taken.push(c);
        continue;
      }
      const inside = hit.every((t) => t.lowMs >= c.lowMs && t.highMs <= c.highMs);
      // Fragments of a spread cut that stick out of the window a little (it was centred on
      // their median) are taken with it when they fill their own windows.
      const mostly = hit.every((t) => count(Math.max(t.lowMs, c.lowMs), Math.min(t.highMs, c.highMs)) >= 0.8 * t.count && spread(t));
      // Better: clearly more drops explained, at least as far above the background. A wider
      // window over the same drops (and a stray one) is no better, however its background
      // estimate came out.
      const held = hit.reduce((n, t) => n + t.count, 0);
      // Over several fragments, joining them is the point (the valley test said they are one).
      const more = hit.length > 1 ? c.count > held : c.count >= held + Math.max(2, 0.1 * held);
      const better = more && c.logP <= Math.min(...hit.map((t) => t.logP));
      if ((inside || mostly) && oneRun(hit) && better) {
        taken = [...taken.filter((t) => !hit.includes(t)), inside ? c : joined([...hit, c])];
      }
    }
  }
  // Fragments of one spread cut that no single window held (two touching windows over a
  // timer's ±1 s) become one peak.
  const merged: Peak[] = [];
  for (const p of [...taken].sort((a, b) => a.lowMs - b.lowMs)) {
    const last = merged.at(-1);
    if (last && p.lowMs - last.highMs <= Math.max(binMs, windowHalfWidthMs(p.centerMs)) && spread(last) && spread(p) && oneRun([last, p])) merged[merged.length - 1] = joined([last, p]);
    else merged.push(p);
  }
  return merged
    .sort(strongestFirst)
    .slice(0, maxPeaks)
    .sort((a, b) => a.centerMs - b.centerMs);
}

/** Whether the bins are filled and in strictly ascending order already (the readers' are): then they are used as given. */
function inOrder(bins: readonly Bin[]): boolean {
  for (let i = 0; i < bins.length; i++) if (!(bins[i]!.count > 0) || (i > 0 && !(bins[i]!.startMs > bins[i - 1]!.startMs))) return false;
  return true;
}

/** Peaks in runs whose gaps are at most `gapMs` (each run in order of position). */
function joinAdjacent(peaks: readonly Peak[], gapMs: number): Peak[][] {
  const byPosition = [...peaks].sort((a, b) => a.lowMs - b.lowMs);
  const runs: Peak[][] = [];
  for (const p of byPosition) {
    const run = runs.at(-1);
    if (run && p.lowMs - run.at(-1)!.highMs <= gapMs) run.push(p);
    else runs.push([p]);
  }
  return runs;
}

/**
 * Expected drops in a window of half-width w at x from its neighbourhood: sub-windows of
 * the same width on each side, each side's mean taken without the sub-windows that are
 * spikes of their own (other layers' cuts next to this one), and the denser side wins.
 * Taking the denser side keeps the edge of a plateau (heartbeat canaries' idle time stops
 * at the interval) from passing for a spike: a real "exactly N" stands above both sides.
 * A plain or trimmed mean let large neighbours hide a sharp cut: thirty drops within
 * 130 ms of N were rejected next to three larger spikes a few seconds away.
 *
 * `k`, the window's own count, only lets it stop early: when it is under 3 times the left
 * side's mean the answer is that mean, enough for the caller to reject the window.
 */
function background(count: (lo: number, hi: number) => number, x: number, w: number, scratch: Float64Array, k: number): number {
  const reach = Math.max(10_000, 0.1 * x, 20 * w);
  const half = scratch.length >> 1;
  // Sub-windows of width 2w: the left ones from x - 3w down, the right ones from x + w up,
  // each side into its half of `scratch`. Offsets into one array, no views or closures per
  // call: this runs for every local maximum of every width (~0.6 s of a week at 1M sessions).
  const width = 2 * w;
  let nl = 0;
  for (let lo = x - w - 2 * w; lo >= x - reach && lo >= 0 && nl < half; lo += -2 * w) scratch[nl++] = count(lo, lo + width);
  const kl = withoutSpikes(scratch, 0, nl);
  // The estimate is the largest of three means, so one side's alone already decides a window
  // with fewer than 3 times it (k < 3 × estimate): the caller rejects it whatever the other
  // side holds. Nearly every window tried is such (258,380 of 258,576 over a week at 1M
  // sessions), and the right side is then never counted.
  const left = trimmedMean(scratch, 0, kl);
  if (k < 3 * left) return left;
  let nr = 0;
  for (let lo = x + w; lo + 2 * w <= x + reach && nr < half; lo += 2 * w) scratch[half + nr++] = count(lo, lo + width);
  const kr = withoutSpikes(scratch, half, nr);
  // Where drops are sparse the trimmed means fall to zero and a handful of coincidences
  // would look dense: the mean of both sides is the floor.
  const n = kl + kr;
  const plain = n ? (sum(scratch, 0, kl) + sum(scratch, half, kr)) / n : 0;
  return Math.max(left, trimmedMean(scratch, half, kr), plain);
}

/**
 * Sorts the `n` counts at `from` in place and returns how many are kept, from the lowest:
 * those that are not spikes of their own, above the median by more than a Poisson count
 * would stray (3 standard deviations, and one drop of slack).
 */
function withoutSpikes(xs: Float64Array, from: number, n: number): number {
  if (n === 0) return 0;
  // Insertion sort: a score of counts, many of them equal; TypedArray#sort's call costs more.
  for (let i = from + 1; i < from + n; i++) {
    const v = xs[i]!;
    let j = i - 1;
    while (j >= from && xs[j]! > v) {
      xs[j + 1] = xs[j]!;
      j--;
    }
    xs[j + 1] = v;
  }
  const median = xs[from + (n >> 1)]!;
  const limit = median + 3 * Math.sqrt(Math.max(median, 1)) + 1;
  let kept = n;
  while (kept > 0 && xs[from + kept - 1]! > limit) kept--;
  return kept;
}

function sum(xs: Float64Array, from: number, n: number): number {
  let t = 0;
  for (let i = from; i < from + n; i++) t += xs[i]!;
  return t;
}

/** The mean of the lower three quarters of `n` sorted counts at `from`. */
function trimmedMean(sorted: Float64Array, from: number, n: number): number {
  if (n === 0) return 0;
  const kept = Math.max(1, Math.ceil(n * 0.75));
  let t = 0;
  for (let i = from; i < from + kept; i++) t += sorted[i]!;
  return t / kept;
}
