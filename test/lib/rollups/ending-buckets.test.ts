import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ENDING_BUCKET_MS, splitEndings } from '../../../lib/rollups/ending-buckets';

const H = ENDING_BUCKET_MS;
const at = (ms: number) => new Date(ms);

describe('splitEndings', () => {
  it('reads the partial hours at the edges and the dirty hours from the rows, merged', () => {
    const split = splitEndings(at(H / 2), at(5 * H + 10), [2 * H, 3 * H]);
    expect(split.sealed).toEqual([{ from: at(H), to: at(2 * H) }, { from: at(4 * H), to: at(5 * H) }]);
    expect(split.raw).toEqual([{ from: at(H / 2), to: at(H) }, { from: at(2 * H), to: at(4 * H) }, { from: at(5 * H), to: at(5 * H + 10) }]);
  });

  it('reads a range within one hour, or an empty one, without the aggregate', () => {
    expect(splitEndings(at(10), at(20), [])).toEqual({ sealed: [], raw: [{ from: at(10), to: at(20) }] });
    expect(splitEndings(at(20), at(20), [])).toEqual({ sealed: [], raw: [] });
  });

  it('covers the range exactly once, with sealed parts whole clean hours', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20 * H }), fc.integer({ min: 0, max: 20 * H }), fc.array(fc.integer({ min: 0, max: 21 }), { maxLength: 10 }), (a, len, dirtyHours) => {
        const dirty = dirtyHours.map((h) => h * H);
        const { sealed, raw } = splitEndings(at(a), at(a + len), dirty);
        const parts = [...sealed, ...raw].map((i) => [i.from.getTime(), i.to.getTime()] as const).sort((x, y) => x[0] - y[0]);
        let cursor = a;
        for (const [f, t] of parts) {
          expect(f).toBe(cursor);
          expect(t).toBeGreaterThan(f);
          cursor = t;
        }
        expect(cursor).toBe(len === 0 ? a : a + len);
        for (const i of sealed) {
          expect(i.from.getTime() % H).toBe(0);
          expect(i.to.getTime() % H).toBe(0);
          for (let h = i.from.getTime(); h < i.to.getTime(); h += H) expect(dirty).not.toContain(h);
        }
      }),
    );
  });
});
