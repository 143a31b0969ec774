import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatInstant, parseTimeZoneMode, timeAxisTick, zoneLabel } from '../../../lib/dashboard/time';

const t = Date.parse('2026-12-06T23:30:05Z');

describe('dashboard time zone', () => {
  it('reads tz=local, anything else is UTC', () => {
    expect(parseTimeZoneMode('local')).toBe('local');
    expect(parseTimeZoneMode('utc')).toBe('utc');
    expect(parseTimeZoneMode('Mars/Olympus')).toBe('utc');
    expect(parseTimeZoneMode(null)).toBe('utc');
  });

  it('writes UTC whatever the runtime zone', () => {
    expect(formatInstant(t, 'utc', 'full')).toBe('2026-12-06 23:30:05');
    expect(formatInstant(t, 'utc', 'minute')).toBe('23:30');
    expect(formatInstant(t, 'utc', 'day')).toBe('12-06');
    expect(zoneLabel('utc')).toBe('UTC');
  });

  it('writes local time in the given zone, across the date line', () => {
    expect(formatInstant(t, 'local', 'full', 'Asia/Tokyo')).toBe('2026-12-07 08:30:05');
    expect(formatInstant(t, 'local', 'clock', 'America/New_York')).toBe('18:30:05');
    expect(formatInstant(new Date(t), 'local', 'datetime', 'Asia/Kolkata')).toBe('2026-12-07 05:00');
    expect(zoneLabel('local', 'Asia/Tokyo')).toBe('Asia/Tokyo');
  });

  it('writes -- for an invalid instant', () => {
    expect(formatInstant('nope', 'utc', 'clock')).toBe('--');
  });
});

describe('timeAxisTick', () => {
  const at = (hms: string) => Date.parse(`2026-12-06T${hms}Z`);

  it('writes seconds only on ticks between whole minutes, so a two-minute axis reads 14:39:30, 14:40, 14:40:30', () => {
    expect(['14:39:30', '14:40:00', '14:40:30', '14:41:00'].map((hms) => timeAxisTick(at(hms), 'utc', false))).toEqual(['14:39:30', '14:40', '14:40:30', '14:41']);
    expect(timeAxisTick(at('23:30:00'), 'local', false, 'Asia/Kolkata')).toBe('05:00');
    expect(timeAxisTick(at('23:30:15'), 'local', false, 'Asia/Kolkata')).toBe('05:00:15');
  });

  it('writes the date on an axis that spans days', () => {
    expect(timeAxisTick(at('23:30:00'), 'utc', true)).toBe('12-06 23:30');
    expect(timeAxisTick(at('23:30:00'), 'local', true, 'Asia/Tokyo')).toBe('12-07 08:30');
  });

  it('never gives two whole-second ticks less than a day apart the same label', () => {
    const day = Date.parse('2026-12-06T00:00:00Z');
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 86_399 }), { minLength: 2, maxLength: 20 }), (seconds) => {
        const labels = seconds.map((s) => timeAxisTick(day + s * 1000, 'utc', false));
        expect(new Set(labels).size).toBe(seconds.length);
      }),
    );
  });
});
