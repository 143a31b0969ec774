import { describe, expect, it } from 'vitest';
import { bytesOf, splitWhole, WholeRangeMemo, type HourBlock } from '../../../lib/recent/whole-range';

const HOUR = 3_600_000;
const block = (hour: number): HourBlock & { version: number } => ({ hour, version: 0, wholeIn: (from, to) => hour * HOUR >= from && (hour + 1) * HOUR <= to });

describe('WholeRangeMemo', () => {
  it('computes once for the same unchanged blocks, again once one of them changes', () => {
    const memo = new WholeRangeMemo();
    const blocks = [block(1), block(2), block(3)];
    let computed = 0;
    const get = () => memo.get('k', blocks, () => ++computed);
    expect([get(), get()]).toEqual([1, 1]);
    blocks[1]!.version++;
    expect([get(), get()]).toEqual([2, 2]);
    // Another key, or another run of blocks, is another entry.
    expect(memo.get('other', blocks, () => 'o')).toBe('o');
    expect(memo.get('k', blocks.slice(1), () => 'shorter')).toBe('shorter');
    // A block replaced by a new one for the same hour (forgotten, then filled again) is a change.
    blocks[2] = block(3);
    expect(get()).toBe(3);
    expect(memo.hits).toBe(2);
  });

  it('evicts the least recently used beyond its budget, and always keeps the newest', () => {
    const memo = new WholeRangeMemo(3 * 1024);
    const blocks = [block(1)];
    const kb = () => new Float64Array(128);
    // Two fit, the third does not: the one not used since goes.
    memo.get('a', blocks, kb);
    memo.get('b', blocks, kb);
    expect(memo.get('a', blocks, () => 'recomputed')).toBeInstanceOf(Float64Array);
    memo.get('c', blocks, kb);
    expect(memo.size).toBeLessThanOrEqual(3 * 1024);
    expect(memo.get('a', blocks, () => 'again')).toBeInstanceOf(Float64Array);
    expect(memo.get('b', blocks, () => 'gone')).toBe('gone');
    const huge = new WholeRangeMemo(10);
    expect(huge.get('x', blocks, () => new Float64Array(1000))).toBe(huge.get('x', blocks, () => new Float64Array(1)));
  });

  it('estimates sizes from typed arrays, numbers, strings and what holds them', () => {
    expect(bytesOf(new Float64Array(1000))).toBeGreaterThanOrEqual(8000);
    expect(bytesOf({ a: [1, 2, 3], m: new Map([['k', new Uint8Array(100)]]) })).toBeGreaterThan(100 + 24);
    const shared = new Float64Array(1000);
    expect(bytesOf([shared, shared])).toBeLessThan(2 * 8000);
  });

  it('splits blocks into those wholly inside a range, in hour order, and the rest', () => {
    const blocks = [block(5), block(2), block(3), block(4)];
    const { whole, edges } = splitWhole(blocks, 2 * HOUR + 1, 5 * HOUR);
    expect(whole.map((b) => b.hour)).toEqual([3, 4]);
    expect(edges.map((b) => b.hour).sort()).toEqual([2, 5]);
  });
});
