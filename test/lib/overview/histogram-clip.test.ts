import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_VIEW_BINS, binWidthFor, clipBins, viewBinWidthFor } from '../../../lib/overview/histogram-bins';

/** Centred bins of `w` holding `values` (ms), dense from the bin on 0. */
function centred(values: number[], w: number): { startMs: number; count: number }[] {
  const last = Math.max(...values.map((v) => Math.floor(v / w + 0.5)));
  const bins = Array.from({ length: last + 1 }, (_, i) => ({ startMs: (i - 0.5) * w, count: 0 }));
  for (const v of values) bins[Math.floor(v / w + 0.5)]!.count++;
  return bins;
}

describe('clipBins', () => {
  // Issue 19: 53 drops at 20 s and one 9.7-minute outlier.
  const values = [...Array.from({ length: 53 }, (_, i) => 19_900 + i * 4), 582_000];

  it('clips one 9.7-minute outlier among fifty-three 20 s drops into an overflow bar', () => {
    const w = binWidthFor(Math.max(...values));
    expect(w).toBe(10_000);
    const { shown, overflow } = clipBins(centred(values, w), w);
    expect(overflow).toMatchObject({ count: 1, maxMs: 585_000 });
    // The axis ends a little past the 20 s bar, not at 9.7 min.
    expect(overflow!.fromMs).toBe(35_000);
    expect(shown.at(-1)!.startMs + w).toBe(35_000);
    expect(shown.reduce((n, b) => n + b.count, 0)).toBe(53);
  });

  it('keeps every session: shown plus overflow is the whole histogram', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 600_000 }), { minLength: 1, maxLength: 300 }), (vals) => {
        const w = binWidthFor(Math.max(...vals));
        const bins = centred(vals, w);
        const { shown, overflow } = clipBins(bins, w);
        expect(shown.reduce((n, b) => n + b.count, 0) + (overflow?.count ?? 0)).toBe(vals.length);
        expect([...shown, ...(overflow?.bins ?? [])]).toEqual(bins);
        if (overflow) {
          // Never more than 1% (at least one), never a tenth.
          expect(overflow.count).toBeLessThanOrEqual(Math.max(1, Math.floor(vals.length * 0.01)));
          expect(overflow.count * 10).toBeLessThanOrEqual(vals.length);
          // Only when the axis would be at least twice as long.
          expect(overflow.maxMs - bins[0]!.startMs).toBeGreaterThanOrEqual(2 * (overflow.fromMs - bins[0]!.startMs));
        }
      }),
    );
  });

  it('does not clip a second real mode (more than 1% of the sessions)', () => {
    const twoModes = [...Array.from({ length: 90 }, () => 20_000), ...Array.from({ length: 10 }, () => 580_000)];
    expect(clipBins(centred(twoModes, 10_000), 10_000).overflow).toBeNull();
  });

  it('does not clip when few sessions make the outlier a tenth of them', () => {
    expect(clipBins(centred([20_000, 20_100, 20_200, 582_000], 10_000), 10_000).overflow).toBeNull();
  });

  it('does not clip a histogram without a long tail', () => {
    const spread = Array.from({ length: 200 }, (_, i) => i * 1000);
    expect(clipBins(centred(spread, 5000), 5000).overflow).toBeNull();
  });

  it('keeps the values it is told to keep on the axis (a signature past the bound)', () => {
    const vals = [...Array.from({ length: 200 }, () => 20_000), 200_000, 582_000];
    const free = clipBins(centred(vals, 10_000), 10_000);
    expect(free.overflow!.count).toBe(2);
    const kept = clipBins(centred(vals, 10_000), 10_000, { keepMs: [200_000] });
    expect(kept.overflow).toMatchObject({ count: 1 });
    expect(kept.overflow!.fromMs).toBeGreaterThan(200_000);
    // A value so far out that keeping it leaves no squash: nothing clipped.
    expect(clipBins(centred(vals, 10_000), 10_000, { keepMs: [400_000] }).overflow).toBeNull();
  });

  it('answers nothing clipped for an empty histogram', () => {
    expect(clipBins([], 1000)).toEqual({ shown: [], overflow: null });
    expect(clipBins([{ startMs: -500, count: 0 }], 1000)).toEqual({ shown: [{ startMs: -500, count: 0 }], overflow: null });
  });
});

describe('viewBinWidthFor', () => {
  it('fits the clipped axis, not the outlier', () => {
    expect(viewBinWidthFor(35_000, 582_000)).toBe(binWidthFor(35_000));
    expect(viewBinWidthFor(35_000, 582_000)).toBeLessThan(binWidthFor(582_000));
  });

  it('never takes more than MAX_VIEW_BINS bins to reach the longest value', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3_600_000 }), fc.integer({ min: 0, max: 7 * 86_400_000 }), (bound, max) => {
        const w = viewBinWidthFor(bound, Math.max(bound, max));
        expect(Math.floor(Math.max(bound, max) / w) + 1).toBeLessThanOrEqual(MAX_VIEW_BINS);
        expect(w).toBeGreaterThanOrEqual(binWidthFor(bound));
      }),
    );
  });
});
