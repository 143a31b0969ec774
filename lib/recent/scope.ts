/**
 * The dashboard scope's filters as masks over the store's path dictionaries: one lookup per
 * session instead of comparing names. Matches db/queries/scope.ts' pathFilters: a probe by
 * name, a label by `key=value` on the probe, proxy, target and profile by name.
 */
import type { DashboardScope } from '../dashboard/scope';
import type { RttPath } from './rtt';
import type { PathInfo } from './sessions';

export interface ProbeRef {
  id: number;
  name: string;
  labels: Readonly<Record<string, string>>;
}

/** The dashboard's scope: a time range and the filters. */
export type RecentScope = DashboardScope;

/** The probe ids the scope's probe and label filters allow; null when neither is set. */
function allowedProbes(scope: RecentScope, probes: readonly ProbeRef[]): Set<number> | null {
  if (!scope.probe && !scope.label) return null;
  const ids = new Set<number>();
  for (const p of probes) {
    if (scope.probe && p.name !== scope.probe) continue;
    if (scope.label && p.labels[scope.label.key] !== scope.label.value) continue;
    ids.add(p.id);
  }
  return ids;
}

/** 1 for each path of `paths` the scope's filters let through. */
export function pathMask(paths: readonly PathInfo[], scope: RecentScope, probes: readonly ProbeRef[]): Uint8Array {
  const allowed = allowedProbes(scope, probes);
  const mask = new Uint8Array(paths.length);
  paths.forEach((p, i) => {
    mask[i] = (!scope.proxy || p.proxy === scope.proxy) && (!scope.target || p.target === scope.target) && (!scope.profile || p.profile === scope.profile) && (!allowed || allowed.has(p.probeId)) ? 1 : 0;
  });
  return mask;
}

/** The same for RTT paths, which have no profile: a profile filter does not narrow them. */
export function rttPathMask(paths: readonly RttPath[], scope: RecentScope, probes: readonly ProbeRef[]): Uint8Array {
  const allowed = allowedProbes(scope, probes);
  const mask = new Uint8Array(paths.length);
  paths.forEach((p, i) => {
    mask[i] = (!scope.proxy || p.proxy === scope.proxy) && (!scope.target || p.target === scope.target) && (!allowed || allowed.has(p.probeId)) ? 1 : 0;
  });
  return mask;
}
