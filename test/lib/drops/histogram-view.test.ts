import { describe, expect, it } from 'vitest';
import { binBar, formatBinEdge, formatBinRange, histogramView, isSelected, overflowBar } from '../../../lib/drops/histogram-view';
import { formatBar, parseBar } from '../../../lib/drops/bin-sessions';

const w = 10_000;
/** Centred 10 s bins from the one on 0: 53 at 20 s and one at 9.7 min. */
const bins = Array.from({ length: 59 }, (_, i) => ({ startMs: (i - 0.5) * w, count: i === 2 ? 53 : i === 58 ? 1 : 0, drops: i === 2 ? 50 : i === 58 ? 1 : 0 }));

describe('histogramView', () => {
  it('draws the bars up to the bound, a gap, and one overflow bar past it', () => {
    const v = histogramView(bins, w);
    expect(v.shown.map((r) => r.midMs)).toEqual([0, 10_000, 20_000, 30_000]);
    expect(v.shown[2]).toMatchObject({ startMs: 15_000, count: 53, drops: 50 });
    expect(v.overflow).toMatchObject({ fromMs: 35_000, count: 1, maxMs: 585_000, midMs: 50_000 });
    // The overflow's own bins keep their other fields, for a stacked chart's sums.
    expect(v.overflow!.bins.reduce((n, b) => n + b.drops, 0)).toBe(1);
    expect([v.lo, v.hi]).toEqual([-5_000, 55_000]);
  });

  it('draws every bin when nothing is clipped', () => {
    const few = bins.slice(0, 5);
    const v = histogramView(few, w);
    expect(v.overflow).toBeNull();
    expect(v.shown).toHaveLength(5);
    expect([v.lo, v.hi]).toEqual([-5_000, 45_000]);
    expect(histogramView([], w)).toEqual({ shown: [], overflow: null, lo: 0, hi: w });
  });
});

describe('the bar a click selects', () => {
  it('is the bin\'s half-open interval, or the overflow with no upper end, and reads back from the URL', () => {
    expect(binBar('age', 15_000, w)).toEqual({ measure: 'age', minMs: 15_000, maxMs: 25_000 });
    expect(overflowBar('duration', 35_000)).toEqual({ measure: 'duration', minMs: 35_000, maxMs: null });
    const back = parseBar(formatBar(binBar('idle', -500, 1000)));
    expect(isSelected(back, 'idle', -500, 500)).toBe(true);
    expect(isSelected(back, 'age', -500, 500)).toBe(false);
    expect(isSelected(back, 'idle', 500, 1500)).toBe(false);
    expect(isSelected(parseBar(formatBar(overflowBar('age', 35_000))), 'age', 35_000, null)).toBe(true);
    expect(isSelected(null, 'age', 0, 1)).toBe(false);
  });
});

describe('formatBinEdge', () => {
  it('keeps the half second of a bar centred on a round value', () => {
    // A 1 s bar around 20 s is 19.5 s – 20.5 s, not "20s – 21s".
    expect(formatBinRange(19_500, 20_500)).toBe('19.5s – 20.5s');
    expect(formatBinRange(25_500, null)).toBe('longer than 25.5s');
    expect(formatBinEdge(1_250)).toBe('1.25s');
  });

  it('writes whole edges as the axis does', () => {
    expect(formatBinRange(15_000, 25_000)).toBe('15s – 25s');
    expect(formatBinRange(-250, 250)).toBe('0 – 250ms');
    expect(formatBinEdge(120_000)).toBe('2m');
  });
});
