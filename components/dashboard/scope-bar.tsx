'use client';
/**
 * The time range and filters every dashboard page shares. Changing one navigates to the
 * same page with the new query string, so a link (or a reload) reproduces the view.
 * Native buttons and selects: usable from the keyboard, readable in both colour schemes.
 */
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { RANGE_PRESETS, DEFAULT_RANGE, scopeQueryString, type ScopeOptions } from '../../lib/dashboard/scope';

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
  const current = Object.fromEntries(params.entries()) as Record<string, string | undefined>;
  const kept = new URLSearchParams(keep.flatMap((k) => (current[k] ? [[k, current[k]!]] : []))).toString();
  const go = (change: Record<string, string | undefined>) => {
    const scope = scopeQueryString({ ...current, ...change });
    router.push(`${pathname}${scope}${kept ? `${scope ? '&' : '?'}${kept}` : ''}`);
  };
  const range = current.from || current.to ? 'custom' : (current.range ?? DEFAULT_RANGE);

  return (
    <div className="scope-bar" role="group" aria-label="Time range and filters" data-testid="scope-bar">
      <div className="range-picker" role="group" aria-label="Time range">
        {RANGE_PRESETS.map((r) => (
          <button key={r} type="button" aria-pressed={range === r} onClick={() => go({ range: r, from: undefined, to: undefined })}>
            {r}
          </button>
        ))}
        {range === 'custom' && <span className="custom-range">{`${current.from ?? '…'} → ${current.to ?? 'now'}`}</span>}
      </div>
      {FILTERS.map(([key, list, all]) => (
        <label key={key} className="filter">
          <span className="sr-only">{key}</span>
          <select aria-label={key} name={key} value={current[key] ?? ''} onChange={(e) => go({ [key]: e.target.value || undefined })}>
            <option value="">{all}</option>
            {options[list].map((v) => (
              <option key={v} value={v}>
                {v}
              </option>
            ))}
          </select>
        </label>
      ))}
    </div>
  );
}
