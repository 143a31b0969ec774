import { describe, expect, it } from 'vitest';
import { NULL_BIN } from '../../../lib/rollups/ending-pack';
import { firstCellAtOrAbove, memberHorizons, packExposures } from '../../../lib/rollups/pack-windows';
import { chat, feed, pack, packs } from './pack-fixtures';

// test/lib/rollups/ending-pack.test.ts checks these readers against a cell-by-cell oracle on random packs.

describe('firstCellAtOrAbove', () => {
  it('finds the first cell of a path at or above a bin, the null cell below every bin', () => {
    const cells = Int32Array.from([0, 0, 0, 0, NULL_BIN, 1, 1, 1, 5, 1, 1, 1, 7, 1, 1, 1, 7, 2, 2, 2, 0, 0, 0, 0]);
    expect(firstCellAtOrAbove(cells, 4, 20, -2_147_483_647)).toBe(8);
    expect(firstCellAtOrAbove(cells, 4, 20, 5)).toBe(8);
    expect(firstCellAtOrAbove(cells, 4, 20, 6)).toBe(12);
    expect(firstCellAtOrAbove(cells, 4, 20, 7)).toBe(12);
    expect(firstCellAtOrAbove(cells, 4, 20, 8)).toBe(20);
    expect(firstCellAtOrAbove(cells, 4, 4, 0)).toBe(4);
  });
});

describe('packExposures', () => {
  it('counts per probe and path: sessions, drops, reached, outlived and hits per window', () => {
    const out = packExposures(packs, { target: 'chat' }, [
      { dimension: 'age', lo: 600, hi: 601 },
      { dimension: 'idle', lo: -5, hi: 0 },
    ]);
    expect(out.map((e) => ({ probe: e.probeId, target: e.target, sessions: e.sessions, drops: e.drops, reached: e.reached, outlived: e.outlived, hits: e.hits }))).toEqual([
      // Probe 1's two packs add up; the null bin counts in the totals only.
      { probe: 1, target: 'chat', sessions: 9, drops: 7, reached: [6, 7], outlived: [1, 7], hits: [4, 1] },
      { probe: 2, target: 'chat', sessions: 3, drops: 3, reached: [3, 3], outlived: [0, 3], hits: [3, 0] },
    ]);
  });
});

describe('memberHorizons', () => {
  const HOUR = 3_600_000;
  const at = (h: number) => Date.parse('2026-11-20T00:00:00Z') + h * HOUR;
  // Hits of the age window [600, 601) by hour: 3 at hour 0, 2 at hour 1 (two probes), 4 at hour 2.
  const hourly = [
    pack(1, [{ path: chat, cells: [[600, 3, 3, 0]] }], at(0)),
    pack(1, [{ path: chat, cells: [[600, 1, 1, 0], [700, 5, 5, 5]] }], at(1)),
    pack(2, [{ path: chat, cells: [[600, 1, 1, 2]] }], at(1)),
    pack(1, [{ path: chat, cells: [[NULL_BIN, 9, 9, 9], [600, 4, 4, 0]] }, { path: feed, cells: [[600, 50, 50, 0]] }], at(2)),
  ];
  const windows = [
    { dimension: 'age' as const, lo: 600, hi: 601 },
    { dimension: 'idle' as const, lo: 600, hi: 601 },
  ];

  it('gives the oldest hour from which the newer hours hold the sample', () => {
    expect(memberHorizons(hourly, { target: 'chat' }, windows, 4)).toEqual([at(2), null]);
    expect(memberHorizons(hourly, { target: 'chat' }, windows, 5)).toEqual([at(1), null]);
    expect(memberHorizons(hourly, { target: 'chat' }, windows, 9)).toEqual([at(0), null]);
    expect(memberHorizons(hourly, { target: 'chat' }, windows, 2)).toEqual([at(2), at(1)]);
  });

  it('is null when all the packs hold fewer, and counts only admitted paths', () => {
    expect(memberHorizons(hourly, { target: 'chat' }, windows, 10)).toEqual([null, null]);
    expect(memberHorizons(hourly, {}, windows, 54)).toEqual([at(2), null]);
  });
});

