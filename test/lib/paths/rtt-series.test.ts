import { describe, expect, it } from 'vitest';
import { isolated, rttRows } from '../../../lib/paths/rtt-series';
import type { RttPoint } from '../../../lib/paths/types';

const M = 60_000;
const T0 = Date.parse('2026-12-07T11:50:00Z');
const point = (minute: number, p50: number | null = 1, p95: number | null = 2): RttPoint => ({ at: new Date(T0 + minute * M).toISOString(), count: 3, p50Ms: p50, p95Ms: p95, maxMs: 5 });

describe('rttRows', () => {
  it('keeps consecutive buckets as they are, in time order', () => {
    expect(rttRows([point(1), point(0), point(2)], M).map((r) => (r.t - T0) / M)).toEqual([0, 1, 2]);
  });

  it('breaks the line one bucket after a reading when the next comes later', () => {
    const rows = rttRows([point(0), point(1), point(5, 3, 4)], M);
    expect(rows.map((r) => [(r.t - T0) / M, r.p50])).toEqual([
      [0, 1],
      [1, 1],
      [2, null],
      [5, 3],
    ]);
  });

  it('finds the readings a line cannot show: no neighbour with a value', () => {
    const rows = rttRows([point(0), point(1), point(5), point(9), point(10)], M);
    expect(rows.map((_, i) => isolated(rows, i))).toEqual([false, false, false, true, false, false, false]);
    expect(rttRows([], M)).toEqual([]);
  });
});
