import { describe, expect, it } from 'vitest';
import { centredBins, packDropBins, packDropBinsMapped, packDropBinsMappedAll, packMaxAgeMs, RELATIVE_BINS } from '../../../lib/rollups/pack-drop-bins';
import { chat, feed, pack, packs } from './pack-fixtures';

describe('packDropBins', () => {
  it('adds drops by age and idle bins across packs, the null bin apart, negative and far bins kept', () => {
    expect(packDropBins(packs, {})).toEqual({
      age: [
        { bin: 600, count: 7 },
        { bin: 601, count: 1 },
        { bin: 3_000_000, count: 1 },
      ],
      idle: [
        { bin: -3, count: 1 },
        { bin: 600, count: 5 },
        { bin: 3_000_000, count: 1 },
      ],
      unaged: 2,
      maxAgeMs: 1e12,
    });
  });

  it('applies the path filters', () => {
    const bins = packDropBins(packs, { target: 'chat', proxy: 'direct' });
    expect(bins.age).toEqual([
      { bin: 600, count: 7 },
      { bin: 601, count: 1 },
    ]);
    expect(bins.maxAgeMs).toBe(60_050);
    expect(packDropBins(packs, { profile: 'nope' })).toEqual({ age: [], idle: [], unaged: 0, maxAgeMs: null });
  });
});

describe('packDropBinsMapped', () => {
  it('sums into relative bins at their first base bin, through the base bins when the span is too wide for an array', () => {
    const far = [pack(1, [{ path: chat, cells: [[-3_000_000, 1, 0, 2], [5_000, 2, 2, 0], [5_001, 1, 1, 1]] }])];
    // 5,000 and 5,001 are one relative bin of two base bins from 5,000 on.
    const expected = { age: [{ bin: 5_000, count: 3 }], idle: [{ bin: -3_000_000, count: 2 }, { bin: 5_000, count: 1 }], unaged: 0, maxAgeMs: 60_050 };
    expect(packDropBinsMapped(far, {}, RELATIVE_BINS)).toEqual(expected);
    const near = [pack(1, [{ path: chat, cells: [[-3, 1, 0, 2], [5_000, 2, 2, 0], [5_001, 1, 1, 1]] }])];
    expect(packDropBinsMapped(near, {}, RELATIVE_BINS)).toEqual({ ...expected, idle: [{ bin: -3, count: 2 }, { bin: 5_000, count: 1 }] });
    expect(() => centredBins(3)).toThrow(RangeError);
  });
});

describe('packDropBinsMappedAll', () => {
  it('gives in one pass what packDropBinsMapped gives for each map, when one span is too wide for an array too', () => {
    const far = [pack(1, [{ path: chat, cells: [[-3_000_000, 1, 0, 2], [5_000, 2, 2, 0], [5_001, 1, 1, 1]] }])];
    for (const read of [packs, far]) {
      const maps = [RELATIVE_BINS, centredBins(10), centredBins(2)];
      expect(packDropBinsMappedAll(read, {}, maps)).toEqual(maps.map((m) => packDropBinsMapped(read, {}, m)));
      expect(packDropBinsMappedAll(read, { target: 'chat' }, maps)).toEqual(maps.map((m) => packDropBinsMapped(read, { target: 'chat' }, m)));
    }
  });
});

describe('packMaxAgeMs', () => {
  it('is the longest age of the admitted paths, null when none has one', () => {
    expect(packMaxAgeMs(packs, {})).toBe(1e12);
    expect(packMaxAgeMs(packs, { target: 'chat' })).toBe(60_050);
    expect(packMaxAgeMs([pack(1, [{ path: { ...feed, maxAgeMs: null }, cells: [[1, 1, 0, 0]] }])], {})).toBeNull();
    expect(packMaxAgeMs(packs, { target: 'nope' })).toBeNull();
  });
});
