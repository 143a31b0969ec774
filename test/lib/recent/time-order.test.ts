import { describe, expect, it } from 'vitest';
import { timeOrder } from '../../../lib/recent/findings';
import { rng } from '../analysis/synthetic';

/** The order a plain sort gives: by instant, ties by index. */
function plainOrder(at: Float64Array): number[] {
  return Array.from(at, (_, i) => i).sort((a, b) => at[a]! - at[b]! || a - b);
}

describe('timeOrder', () => {
  const random = rng(20261203);
  const cases: [string, (n: number) => Float64Array][] = [
    ['in order', (n) => Float64Array.from({ length: n }, (_, i) => 1e12 + i * 1000)],
    ['in any order', (n) => Float64Array.from({ length: n }, () => 1e12 + Math.floor(random() * 3_600_000))],
    // What finish sees: the memo's ordered run, then a few openings of the edge hours and live canaries.
    ['ordered, then a few in any order', (n) => Float64Array.from({ length: n }, (_, i) => (i < n - Math.floor(n / 20) ? 1e12 + i * 1000 : 1e12 + Math.floor(random() * n * 1000)))],
    ['bursts of one instant', (n) => Float64Array.from({ length: n }, () => 1e12 + Math.floor(random() * 20) * 60_000)],
  ];
  it.each(cases)('orders openings %s', (_name, make) => {
    for (const n of [0, 1, 2, 7, 100, 5000]) {
      const at = make(n);
      const order = Array.from(timeOrder(at, n));
      expect(order.map((i) => at[i])).toEqual(plainOrder(at).map((i) => at[i]));
      expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    }
  });
});
