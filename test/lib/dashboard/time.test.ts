import { describe, expect, it } from 'vitest';
import { formatInstant, parseTimeZoneMode, zoneLabel } from '../../../lib/dashboard/time';

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
