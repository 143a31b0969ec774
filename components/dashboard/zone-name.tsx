'use client';
/** The name of the zone times are written in (`UTC`, or the browser's zone), for server components that show <Instant>s. */
import { zoneLabel } from '../../lib/dashboard/time';
import { useTimeZone } from './time-zone';

export function ZoneName() {
  return <>{zoneLabel(useTimeZone())}</>;
}
