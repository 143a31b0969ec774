'use client';
/**
 * The zone times are written in, from the URL's `tz` (lib/dashboard/time.ts). The server
 * renders UTC; a browser asked for `local` switches after it mounts, so hydration never
 * disagrees with the server's HTML.
 */
import { useSearchParams } from 'next/navigation';
import { useHydrated } from '../forms/hydration';
import { formatInstant, parseTimeZoneMode, zoneLabel, type InstantStyle, type TimeZoneMode } from '../../lib/dashboard/time';

/** The zone to write times in now: `utc` until mounted, then what the URL asks. */
export function useTimeZone(): TimeZoneMode {
  const asked = parseTimeZoneMode(useSearchParams().get('tz'));
  return useHydrated() ? asked : 'utc';
}

/** An instant as a `<time>` element, in the URL's zone; the zone's name in its title. */
export function Instant({ at, style = 'full' }: { at: number | string | Date; style?: InstantStyle }) {
  const tz = useTimeZone();
  const date = at instanceof Date ? at : new Date(at);
  const iso = Number.isNaN(date.getTime()) ? undefined : date.toISOString();
  return (
    <time dateTime={iso} title={`${formatInstant(date, tz, 'full')} ${zoneLabel(tz)}`}>
      {formatInstant(date, tz, style)}
    </time>
  );
}
