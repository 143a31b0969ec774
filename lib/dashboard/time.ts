/**
 * How the dashboard writes an instant: in UTC (the default, and what every server-rendered
 * page shows first) or in the browser's zone, as the `tz` query parameter says (issue 19).
 * Pure: the zone is passed in, so the server's HTML and the browser's first render agree
 * and only the browser, after it mounts, switches to `local` (components/dashboard/time-zone.tsx).
 */
export const TIME_ZONE_MODES = ['utc', 'local'] as const;
export type TimeZoneMode = (typeof TIME_ZONE_MODES)[number];
export const DEFAULT_TIME_ZONE: TimeZoneMode = 'utc';

/**
 * `clock` 14:03:07 · `minute` 14:03 · `day` 12-06 · `datetime` 2026-12-06 14:03 ·
 * `full` 2026-12-06 14:03:07.
 */
export type InstantStyle = 'clock' | 'minute' | 'day' | 'datetime' | 'full';

/** The `tz` parameter as read from a URL; anything else is the default. */
export function parseTimeZoneMode(value: string | null | undefined): TimeZoneMode {
  return value === 'local' ? 'local' : DEFAULT_TIME_ZONE;
}

/** `2026-12-06 14:03:07` style parts of `t` in UTC or in `zone` (an IANA name; the runtime's own by default). */
function parts(t: Date, mode: TimeZoneMode, zone?: string): { y: string; mo: string; d: string; h: string; mi: string; s: string } {
  if (mode === 'utc') {
    const iso = t.toISOString();
    return { y: iso.slice(0, 4), mo: iso.slice(5, 7), d: iso.slice(8, 10), h: iso.slice(11, 13), mi: iso.slice(14, 16), s: iso.slice(17, 19) };
  }
  const f = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
  const got = Object.fromEntries(f.formatToParts(t).map((p) => [p.type, p.value]));
  return { y: got.year!, mo: got.month!, d: got.day!, h: got.hour!, mi: got.minute!, s: got.second! };
}

/** `t` written in `style`; `--` for an invalid instant. `zone` only for tests (the runtime's zone otherwise). */
export function formatInstant(t: number | string | Date, mode: TimeZoneMode, style: InstantStyle, zone?: string): string {
  const date = t instanceof Date ? t : new Date(t);
  if (Number.isNaN(date.getTime())) return '--';
  const p = parts(date, mode, zone);
  switch (style) {
    case 'clock':
      return `${p.h}:${p.mi}:${p.s}`;
    case 'minute':
      return `${p.h}:${p.mi}`;
    case 'day':
      return `${p.mo}-${p.d}`;
    case 'datetime':
      return `${p.y}-${p.mo}-${p.d} ${p.h}:${p.mi}`;
    case 'full':
      return `${p.y}-${p.mo}-${p.d} ${p.h}:${p.mi}:${p.s}`;
  }
}

/**
 * A tick on a time axis: `MM-DD HH:MM` when the axis spans days, otherwise `HH:MM`, with the
 * seconds when the tick is not on a whole minute. An axis of two minutes ticks every 30 s,
 * and minute labels alone read "14:40, 14:40, 14:41".
 */
export function timeAxisTick(t: number, mode: TimeZoneMode, multiDay: boolean, zone?: string): string {
  if (multiDay) return formatInstant(t, mode, 'datetime', zone).slice(5);
  return formatInstant(t, mode, new Date(t).getUTCSeconds() === 0 ? 'minute' : 'clock', zone);
}

/** What to write after a time so nobody guesses: `UTC`, or the browser's zone (`Europe/Paris`). */
export function zoneLabel(mode: TimeZoneMode, zone?: string): string {
  if (mode === 'utc') return 'UTC';
  return zone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'local';
}
