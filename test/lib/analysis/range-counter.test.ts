/** findPeaks' counts from dense prefix sums equal counting the bins one by one. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Bin } from '../../../lib/analysis/bins';
import { rangeCounter } from '../../../lib/analysis/range-counter';
import { uniformGrid } from '../../../lib/analysis/relative-bins';

fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261122) });

const naive = (bins: readonly Bin[], lo: number, hi: number) => bins.filter((b) => b.startMs >= lo && b.startMs < hi).reduce((n, b) => n + b.count, 0);

function sortedBins(indices: readonly number[], counts: readonly number[], binMs: number, offset: number): Bin[] {
  return [...new Set(indices)].sort((a, b) => a - b).map((j, k) => ({ startMs: offset + j * binMs, count: counts[k % counts.length]! }));
}

describe('rangeCounter', () => {
  const query = fc.oneof(fc.integer({ min: -50, max: 3_000 }).map((j) => j * 100), fc.integer({ min: -5_000, max: 260_000 }), fc.integer({ min: -5_000, max: 260_000 }).map((v) => v + 0.5));

  it('counts bins on a grid (dense prefix) as a plain count would, at bin edges and between them', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 2_500 }), { minLength: 1, maxLength: 200 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 10 }),
        fc.constantFrom(0, 300, -700),
        fc.array(fc.tuple(query, query), { minLength: 1, maxLength: 20 }),
        (indices, counts, offset, ranges) => {
          const bins = sortedBins(indices, counts, 100, offset);
          const count = rangeCounter(bins, bins.map((b) => b.startMs), uniformGrid(100));
          for (const [a, b] of ranges) expect(count(Math.min(a, b), Math.max(a, b))).toBe(naive(bins, Math.min(a, b), Math.max(a, b)));
        },
      ),
    );
  });

  it('counts bins off the grid by binary search, the same way', () => {
    const bins: Bin[] = [{ startMs: 0, count: 2 }, { startMs: 130, count: 5 }, { startMs: 250, count: 1 }];
    const count = rangeCounter(bins, bins.map((b) => b.startMs), uniformGrid(100));
    expect(count(0, 250)).toBe(7);
    expect(count(130, 131)).toBe(5);
    expect(count(131, 1_000)).toBe(1);
  });
});
