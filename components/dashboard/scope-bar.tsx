'use client';
/**
 * The time range, filters and time zone every dashboard page shares. Changing one navigates
 * to the same page with the new query string, so a link (or a reload) reproduces the view.
 * Native buttons and selects: usable from the keyboard, readable in both colour schemes.
 *
 * A control always shows what filters the page (issue 19): a filter value the data does not
 * have is still offered and selected, marked "(no data)"; the range pressed is the URL's, or
 * the default the server fitted to a fresh install's data (ScopeOptions.defaultRange).
 *
 * Earlier, zoom in, zoom out and later move the range shown (lib/dashboard/brush-zoom.ts):
 * what a drag across a time chart does, from the keyboard too.
 */
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { shiftRange, shownRange, zoomInRange, zoomOutRange, zoomQuery } from '../../lib/dashboard/brush-zoom';
import { RANGE_PRESETS, DEFAULT_RANGE, filterChoices, scopeQueryString, type ScopeOptions } from '../../lib/dashboard/scope';
import { TIME_ZONE_MODES, formatInstant, parseTimeZoneMode, zoneLabel, type TimeZoneMode } from '../../lib/dashboard/time';
import { Instant, useTimeZone } from './time-zone';

const FILTERS = [
  ['probe', 'probes', 'all probes'],
  ['label', 'labels', 'all labels'],
  ['proxy', 'proxies', 'all proxies'],
  ['target', 'targets', 'all targets'],
  ['profile', 'profiles', 'all profiles'],
] as const;

/**
 * `keep` names a page's own parameters (the drops page's bin width and scale) that a change
 * of scope carries over; everything else not in the scope is dropped.
 */
export function ScopeBar({ options, keep = [] }: { options: ScopeOptions; keep?: readonly string[] }) {
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const shownZone = useTimeZone();
  const current = Object.fromEntries(params.entries()) as Record<string, string | undefined>;
  const kept = new URLSearchParams(keep.flatMap((k) => (current[k] ? [[k, current[k]!]] : []))).toString();
  const hrefFor = (change: Record<string, string | undefined>) => {
    const scope = scopeQueryString({ ...current, ...change });
    return `${pathname}${scope}${kept ? `${scope ? '&' : '?'}${kept}` : ''}`;
  };
  const go = (change: Record<string, string | undefined>) => router.push(hrefFor(change));
  const range = current.from || current.to ? 'custom' : (current.range ?? options.defaultRange ?? DEFAULT_RANGE);
  const tz = parseTimeZoneMode(current.tz);
  const move = (how: 'earlier' | 'in' | 'out' | 'later') => {
    const now = Date.now();
    const r = shownRange(params, options.defaultRange ?? DEFAULT_RANGE, now);
    const next = r && (how === 'in' ? zoomInRange(r, now) : how === 'out' ? zoomOutRange(r, now) : shiftRange(r, how, now));
    if (next) router.push(`${pathname}${zoomQuery(params.toString(), next)}`);
  };
  // A range that runs to now has nothing later to show.
  const endsNow = !current.to;

  return (
    <div className="scope-bar" role="group" aria-label="Time range and filters" data-testid="scope-bar" data-range={range} data-tz={tz}>
      <div className="range-picker" role="group" aria-label="Time range">
        {RANGE_PRESETS.map((r) => (
          <button key={r} type="button" aria-pressed={range === r} onClick={() => go({ range: r, from: undefined, to: undefined })}>
            {r}
          </button>
        ))}
        {range === 'custom' && (
          <span className="custom-range" data-testid="custom-range">
            {current.from ? <Instant at={current.from} style="full" /> : '…'} → {current.to ? <Instant at={current.to} style={sameDay(current.from, current.to, shownZone) ? 'clock' : 'full'} /> : 'now'} {zoneLabel(shownZone)}
          </span>
        )}
      </div>
      <div className="range-picker range-moves" role="group" aria-label="Move the time range" data-testid="range-moves">
        <button type="button" onClick={() => move('earlier')} aria-label="Earlier" title="Earlier: move the range back by half its length" data-testid="range-earlier">
          ←
        </button>
        <button type="button" onClick={() => move('in')} aria-label="Zoom in" title="Zoom in: half the range, around its middle" data-testid="zoom-in">
          +
        </button>
        <button type="button" onClick={() => move('out')} aria-label="Zoom out" title="Zoom out: twice the range, around its middle" data-testid="zoom-out">
          −
        </button>
        <button type="button" onClick={() => move('later')} disabled={endsNow} aria-label="Later" title={endsNow ? 'Later: the range already ends now' : 'Later: move the range forward by half its length'} data-testid="range-later">
          →
        </button>
      </div>
      {FILTERS.map(([key, list, all]) => (
        <label key={key} className="filter">
          <span className="sr-only">{key}</span>
          <select aria-label={key} name={key} value={current[key] ?? ''} onChange={(e) => go({ [key]: e.target.value || undefined })}>
            <option value="">{all}</option>
            {filterChoices(options[list], current[key]).map((c) => (
              <option key={c.value} value={c.value} data-no-data={c.noData ? 'true' : undefined}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
      ))}
      <div className="range-picker tz-switch" role="group" aria-label="Time zone" data-testid="tz-switch">
        {TIME_ZONE_MODES.map((m) => (
          <button key={m} type="button" aria-pressed={tz === m} onClick={() => go({ tz: m })} title={m === 'utc' ? 'Times in UTC' : 'Times in this browser’s zone'}>
            {m === 'utc' ? 'UTC' : 'local'}
          </button>
        ))}
      </div>
    </div>
  );
}

/** Whether both ends of a custom range fall on one date in the zone shown: the end then drops its date. */
function sameDay(from: string | undefined, to: string, zone: TimeZoneMode): boolean {
  return from !== undefined && formatInstant(from, zone, 'datetime').slice(0, 10) === formatInstant(to, zone, 'datetime').slice(0, 10);
}
