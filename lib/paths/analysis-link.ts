/**
 * The path page's link to the analysis of the same scope (issue 19): the page's range and
 * filters (range, from, to, probe, label, profile), this path's target and proxy, and the
 * viewer's time zone. Without them the analysis opened on its default range for every
 * probe, and its fix could differ from the one the page had just shown.
 */
import { SCOPE_KEYS, scopeQueryString, type ScopeKey } from '../dashboard/scope';
import type { TimeZoneMode } from '../dashboard/time';

/** `query`: the page's query string ("?range=6h&probe=edge-1", with or without the "?"). */
export function analysisHref(query: string, path: { target: string; proxy: string }, tz: TimeZoneMode): string {
  const params = new URLSearchParams(query.startsWith('?') ? query.slice(1) : query);
  const scope: Partial<Record<ScopeKey, string>> = {};
  for (const k of SCOPE_KEYS) {
    const v = params.get(k);
    if (v !== null) scope[k] = v;
  }
  return `/analysis${scopeQueryString({ ...scope, target: path.target, proxy: path.proxy, tz })}`;
}
