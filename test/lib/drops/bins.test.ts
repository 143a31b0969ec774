/** Rebinning the 50 ms pass gives exactly the histograms a direct binning of the values gives. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rebin, rebinCentred } from '../../../lib/drops/bins';
import { BIN_WIDTHS } from '../../../lib/drops/query';
import { NICE_BIN_WIDTHS_MS } from '../../../lib/overview/histogram-bins';

fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261122) });

function direct(values: readonly number[], width: number, centred = false): { bin: number; count: number }[] {
  const m = new Map<number, number>();
  const binOf = (v: number) => Math.floor(v / width + (centred ? 0.5 : 0));
  for (const v of values) m.set(binOf(v), (m.get(binOf(v)) ?? 0) + 1);
  return [...m].map(([bin, count]) => ({ bin, count })).sort((a, b) => a.bin - b.bin);
}

describe('rebin', () => {
  const values = fc.array(fc.double({ min: -5_000, max: 10_000_000, noNaN: true }), { maxLength: 300 });

  it('gives the centred bins of every width a person can pick, as binning the values directly', () => {
    fc.assert(
      fc.property(values, fc.constantFrom(...Object.values(BIN_WIDTHS), ...NICE_BIN_WIDTHS_MS), (vs, width) => {
        expect(rebinCentred(direct(vs, 50), 50, width)).toEqual(direct(vs, width, true));
      }),
    );
  });

  it("gives the analysis' plain 100 ms bins", () => {
    fc.assert(
      fc.property(values, (vs) => {
        expect(rebin(direct(vs, 50), 50, 100)).toEqual(direct(vs, 100));
      }),
    );
  });

  it('gives the same bins from rows in any order (the pass sorts them; other callers may not)', () => {
    fc.assert(
      fc.property(values, fc.constantFrom(100, 500, 1_000, 60_000), (vs, width) => {
        const shuffled = [...direct(vs, 50)].reverse();
        expect(rebinCentred(shuffled, 50, width)).toEqual(direct(vs, width, true));
        expect(rebin(shuffled, 50, 100)).toEqual(direct(vs, 100));
      }),
    );
  });

  it('puts a cut at exactly N and one a few ms either side of it in one centred bin', () => {
    expect(rebinCentred(direct([19_996, 20_000, 20_004], 50), 50, 500)).toEqual([{ bin: 40, count: 3 }]);
  });

  it('refuses a width that is not an even multiple', () => {
    expect(() => rebinCentred([], 50, 150)).toThrow(RangeError);
    expect(() => rebin([], 100, 250)).toThrow(RangeError);
  });
});
