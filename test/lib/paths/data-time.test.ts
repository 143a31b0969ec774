/** How the path page words its rate and its median life (issue 19). */
import { describe, expect, it } from 'vitest';
import { dropsInData, formatDataTime, lifeSummary } from '../../../lib/paths/data-time';

describe('the rate says what it is computed from', () => {
  it('"54 drops in 6 min of data"', () => {
    expect(dropsInData(54, 6 * 60_000)).toBe('54 drops in 6 min of data');
    expect(dropsInData(1, 45_000)).toBe('1 drop in 45 s of data');
    expect(formatDataTime(90 * 60_000)).toBe('90 min');
    expect(formatDataTime(24 * 3_600_000)).toBe('24 h');
    expect(formatDataTime(150 * 60_000)).toBe('2 h 30 min');
  });
});

describe('the median life is the path\'s, not the probe\'s plan', () => {
  it('a healthy path whose canaries the probe closed: no median, and says why', () => {
    expect(lifeSummary({ drops: 0, probeClosed: 12, medianDropLifetimeMs: null })).toEqual({ medianMs: null, note: 'no drops: all 12 ended canaries lived their planned time' });
  });
  it('with drops: their median, and the probe-closed ones named as not counted', () => {
    expect(lifeSummary({ drops: 3, probeClosed: 40, medianDropLifetimeMs: 20_000 })).toEqual({ medianMs: 20_000, note: 'of 3 drops · 40 canaries closed by the probe at their planned age, not counted' });
    expect(lifeSummary({ drops: 1, probeClosed: 0, medianDropLifetimeMs: 5000 })).toEqual({ medianMs: 5000, note: 'of 1 drop' });
  });
  it('nothing ended', () => {
    expect(lifeSummary({ drops: 0, probeClosed: 0, medianDropLifetimeMs: null }).note).toBe('nothing ended yet');
  });
});
