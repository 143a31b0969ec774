import { describe, expect, it } from 'vitest';
import { MAX_BINS, NICE_BIN_WIDTHS_MS, binWidthFor } from '../../../lib/overview/histogram-bins';

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
