import { describe, expect, it } from 'vitest';
import { MAX_BINS, NICE_BIN_WIDTHS_MS, binWidthFor, edgeTicks } from '../../../lib/overview/histogram-bins';

describe('binWidthFor', () => {
  it.each([
    [0, 100],
    [5_999, 100],
    [6_000, 200],
    [59_000, 1_000],
    [60_000, 2_000],
    [100_000, 2_000],
    [300_000, 10_000],
    [350_000, 10_000],
    [3_600_000, 120_000],
    [86_400_000, 30 * 60_000],
  ])('%d ms → %d ms bins', (maxMs, width) => {
    expect(binWidthFor(maxMs)).toBe(width);
  });

  it('covers the longest duration in at most MAX_BINS bins, with the smallest nice width that does', () => {
    for (const maxMs of [0, 1, 999, 60_000, 61_234, 7_200_000, 1e9, 1e11, 1e12]) {
      const w = binWidthFor(maxMs);
      expect(Math.floor(maxMs / w) + 1).toBeLessThanOrEqual(MAX_BINS);
      const smaller = NICE_BIN_WIDTHS_MS.filter((n) => n < w);
      for (const n of smaller) expect(Math.floor(maxMs / n) + 1).toBeGreaterThan(MAX_BINS);
    }
  });

  it('throws RangeError for a negative or non-finite duration', () => {
    expect(() => binWidthFor(-1)).toThrow(RangeError);
    expect(() => binWidthFor(Number.NaN)).toThrow(RangeError);
  });
});

describe('edgeTicks (on the centres of the bins)', () => {
  it.each([
    // 10 s bins up to 5 min: whole minutes.
    [10_000, 31, [0, 60_000, 120_000, 180_000, 240_000, 300_000]],
    // 5 s bins centred on 0 ... 2 min: quarter minutes.
    [5_000, 25, [0, 15_000, 30_000, 45_000, 60_000, 75_000, 90_000, 105_000, 120_000]],
    [100, 3, [0, 100, 200]],
  ])('%d ms × %d bins', (width, count, ticks) => {
    expect(edgeTicks(width, count)).toEqual(ticks);
  });

  it('puts every tick on a bin edge, at most eight or nine of them', () => {
    for (const width of NICE_BIN_WIDTHS_MS) {
      for (const count of [1, 7, 31, 60]) {
        const ticks = edgeTicks(width, count);
        expect(ticks[0]).toBe(0);
        expect(ticks.length).toBeLessThanOrEqual(9);
        for (const t of ticks) expect(t % width).toBe(0);
      }
    }
  });

  it('has no ticks for an empty histogram', () => {
    expect(edgeTicks(0, 0)).toEqual([]);
  });
});
