/** Rebinning the 100 ms pass gives exactly the histogram a direct floor(v / width) gives. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rebin } from '../../../lib/drops/bins';
import { BIN_WIDTHS } from '../../../lib/drops/query';

fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261122) });

function direct(values: readonly number[], width: number): { bin: number; count: number }[] {
  const m = new Map<number, number>();
  for (const v of values) m.set(Math.floor(v / width), (m.get(Math.floor(v / width)) ?? 0) + 1);
  return [...m].map(([bin, count]) => ({ bin, count })).sort((a, b) => a.bin - b.bin);
}

describe('rebin', () => {
  it('equals binning the values directly, for every width a person can pick', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -5_000, max: 10_000_000, noNaN: true }), { maxLength: 300 }), fc.constantFrom(...Object.values(BIN_WIDTHS)), (values, width) => {
        expect(rebin(direct(values, 100), 100, width)).toEqual(direct(values, width));
      }),
    );
  });

  it('refuses a width that is not a multiple', () => {
    expect(() => rebin([], 100, 250)).toThrow(RangeError);
  });
});
