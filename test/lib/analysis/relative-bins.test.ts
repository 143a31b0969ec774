/** Relative bins against their definition, and findPeaks on them against the base bins below 409.6 s. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Bin } from '../../../lib/analysis/bins';
import { findPeaks } from '../../../lib/analysis/peaks';
import { counters, rangeCounter } from '../../../lib/analysis/range-counter';
import { baseBinsIn, firstBaseBin, LINEAR_BINS, PER_OCTAVE, relativeBin, relativeGrid, toRelativeBins, uniformGrid } from '../../../lib/analysis/relative-bins';

fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261206) });

/** A base bin anywhere a stored bin can be (int32, negative idle times too) or far past it. */
const baseBin = fc.oneof(fc.integer({ min: -5_000, max: 3 * LINEAR_BINS }), fc.integer({ min: -(2 ** 31) + 1, max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 2 ** 40 }));

describe('relative bins', () => {
  it('are the base bins below LINEAR_BINS and PER_OCTAVE bins per doubling above', () => {
    expect([0, 1, LINEAR_BINS - 1, -7].map(relativeBin)).toEqual([0, 1, LINEAR_BINS - 1, -7]);
    expect(relativeBin(LINEAR_BINS)).toBe(LINEAR_BINS);
    expect(relativeBin(LINEAR_BINS + 1)).toBe(LINEAR_BINS);
    expect(relativeBin(LINEAR_BINS + 2)).toBe(LINEAR_BINS + 1);
    expect(relativeBin(2 * LINEAR_BINS)).toBe(LINEAR_BINS + PER_OCTAVE);
    expect(baseBinsIn(LINEAR_BINS + PER_OCTAVE)).toBe(4);
  });

  it('hold every base bin in exactly one bin, consecutive and in order, each at most 1/PER_OCTAVE of its start', () => {
    fc.assert(
      fc.property(baseBin, (b) => {
        const k = relativeBin(b);
        const first = firstBaseBin(k);
        expect(first).toBeLessThanOrEqual(b);
        expect(b).toBeLessThan(first + baseBinsIn(k));
        // The next bin starts where this one ends, and so does the one before.
        expect(firstBaseBin(k + 1)).toBe(first + baseBinsIn(k));
        expect(firstBaseBin(k - 1) + baseBinsIn(k - 1)).toBe(first);
        if (k >= LINEAR_BINS) expect(baseBinsIn(k) / first).toBeLessThanOrEqual(1 / PER_OCTAVE);
        // A bin's first base bin is in it: relative bins of relative bins are themselves.
        expect(relativeBin(first)).toBe(k);
      }),
      { numRuns: 2_000 },
    );
  });

  it('grid answers agree with the bins: floor, ceil, next, prev, width and index', () => {
    const grid = relativeGrid(100);
    fc.assert(
      // Values as durations are: ms with a fraction (the division by 100 of a subnormal is 0).
      fc.property(fc.oneof(fc.integer({ min: -50_000, max: 10 ** 9 }), fc.integer({ min: -5_000_000, max: 10 ** 11 }).map((x) => x / 100)), (v) => {
        // (+ 0: -0 and 0 are one edge.)
        const f = grid.floor(v) + 0;
        const k = relativeBin(Math.round(f / 100));
        expect(f).toBe(firstBaseBin(k) * 100);
        expect(f).toBeLessThanOrEqual(v);
        expect(grid.next(f)).toBeGreaterThan(v);
        expect(grid.next(f) - f).toBe(grid.width(v));
        expect(grid.prev(grid.next(f))).toBe(f);
        const c = grid.ceil(v);
        expect(c === f ? f === v : c === grid.next(f)).toBe(true);
        // index: bins numbered in order, v counted as "at or after" exactly.
        expect(grid.index(v) + 0).toBe(f === v ? k : k + 1);
      }),
      { numRuns: 2_000 },
    );
  });

  it('sum base bins into the relative bin of each, in order whatever the input order', () => {
    const bins: Bin[] = [
      { startMs: 409_700, count: 2 },
      { startMs: 100, count: 1 },
      { startMs: 409_600, count: 3 },
      { startMs: 409_800, count: 4 },
      { startMs: 0, count: 0 },
    ];
    expect(toRelativeBins(bins, 100)).toEqual([
      { startMs: 100, count: 1 },
      { startMs: 409_600, count: 5 },
      { startMs: 409_800, count: 4 },
    ]);
  });

  it('count bins in ranges as a plain count would', () => {
    const grid = relativeGrid(100);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: -100, max: 200_000 }), fc.integer({ min: 1, max: 9 })), { minLength: 1, maxLength: 200 }), fc.array(fc.tuple(fc.double({ min: -20_000, max: 3e7, noNaN: true }), fc.double({ min: -20_000, max: 3e7, noNaN: true })), { maxLength: 30 }), (raw, ranges) => {
        const bins = toRelativeBins(
          raw.map(([b, n]) => ({ startMs: b * 100, count: n })),
          100,
        );
        const count = rangeCounter(bins, bins.map((b) => b.startMs), grid);
        for (const [a, b] of ranges) {
          const lo = Math.min(a, b);
          const hi = Math.max(a, b);
          expect(count(lo, hi)).toBe(bins.filter((x) => x.startMs >= lo && x.startMs < hi).reduce((n, x) => n + x.count, 0));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('count the windows one bin either side of a window as the grid steps to them', () => {
    for (const grid of [relativeGrid(100), uniformGrid(100)]) {
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.integer({ min: -100, max: 200_000 }), fc.integer({ min: 1, max: 9 })), { minLength: 1, maxLength: 200 }), fc.array(fc.tuple(fc.double({ min: -20_000, max: 3e7, noNaN: true }), fc.double({ min: 0, max: 1e6, noNaN: true })), { maxLength: 30 }), (raw, windows) => {
          const base = raw.map(([b, n]) => ({ startMs: b * 100, count: n }));
          const bins = grid.uniform ? [...new Map(base.map((b) => [b.startMs, b])).values()].sort((a, b) => a.startMs - b.startMs) : toRelativeBins(base, 100);
          const { count, around } = counters(bins, bins.map((b) => b.startMs), grid);
          const out = new Float64Array(3);
          for (const [x, w] of windows) {
            const lo = grid.floor(x - w);
            const hi = grid.ceil(x + w);
            around(lo, hi, out);
            expect([...out]).toEqual([count(grid.prev(lo), grid.prev(hi)), count(lo, hi), count(grid.next(lo), grid.next(hi))]);
          }
        }),
        { numRuns: 200 },
      );
    }
  });
});

describe('findPeaks on relative bins', () => {
  /** Spikes at the given N (ms) over a spread background, in base bins of 100 ms. */
  function histogram(seed: number, spikes: readonly number[], maxMs: number, perSpike = 40): Bin[] {
    let x = seed >>> 0;
    const rnd = () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const counts = new Map<number, number>();
    const add = (ms: number) => counts.set(Math.floor(ms / 100), (counts.get(Math.floor(ms / 100)) ?? 0) + 1);
    for (let i = 0; i < 3_000; i++) add(1_000 + rnd() * maxMs);
    for (const n of spikes) for (let i = 0; i < perSpike; i++) add(n + (rnd() - 0.5) * 150);
    return [...counts].sort((a, b) => a[0] - b[0]).map(([b, count]) => ({ startMs: b * 100, count }));
  }

  it('finds exactly what the base bins find when the drops are all below LINEAR_BINS', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const bins = histogram(seed, [20_000, 60_000 + seed * 1_000, 350_000], 400_000);
      const base = findPeaks(bins, { binMs: 100, grid: uniformGrid(100) });
      expect(base.length).toBeGreaterThan(0);
      expect(findPeaks(toRelativeBins(bins, 100), { binMs: 100, grid: relativeGrid(100) })).toEqual(base);
    }
  });

  it('finds cuts far past LINEAR_BINS on 0.05 % bins, with edges on 100 ms bin edges', () => {
    const bins = histogram(3, [3_600_000, 14_400_000], 20_000_000, 120);
    const peaks = findPeaks(toRelativeBins(bins, 100), { binMs: 100, grid: relativeGrid(100) });
    expect(peaks.map((p) => Math.round(p.centerMs / 10_000) * 10)).toEqual([3_600, 14_400]);
    for (const p of peaks) {
      expect(p.lowMs % 100).toBe(0);
      expect(p.highMs % 100).toBe(0);
      expect(p.count).toBeGreaterThanOrEqual(120);
    }
  });
});
