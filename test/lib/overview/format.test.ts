import { describe, expect, it } from 'vitest';
import { formatClockUtc, formatDurationPrecise, formatDurationShort, formatPercent, formatWindow } from '../../../lib/overview/format';

describe('overview formatting', () => {
  it.each([
    [0, '0'], [500, '500ms'], [10_000, '10s'], [60_000, '1m'], [90_000, '1m30s'], [3_600_000, '1h'],
    [5_400_000, '1h30m'], [86_400_000 + 6 * 3_600_000, '1d6h'],
  ])('short %d → %s', (ms, text) => expect(formatDurationShort(ms)).toBe(text));

  it.each([
    [850, '850 ms'], [60_020, '60.02 s'], [599_994, '599.99 s'], [600_000, '10m 00s'],
    [3_600_000, '1h 00m 00s'], [90_061_000, '1d 01h 01m'],
  ])('precise %d → %s', (ms, text) => expect(formatDurationPrecise(ms)).toBe(text));

  it('shows clock times in UTC', () => {
    expect(formatClockUtc('2026-11-01T13:04:05.678+01:00')).toBe('12:04:05');
    expect(formatClockUtc('nonsense')).toBe('--:--:--');
  });

  it('shows ratios as percentages, and no ratio as a dash', () => {
    expect(formatPercent(7 / 9)).toBe('77.8%');
    expect(formatPercent(1)).toBe('100%');
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(null)).toBe('—');
  });

  it('names windows', () => {
    expect(formatWindow(3_600_000)).toBe('1h');
    expect(formatWindow(900_000)).toBe('15m');
    expect(formatWindow(7 * 86_400_000)).toBe('7d');
    expect(formatWindow(86_400_000)).toBe('24h');
  });
});
