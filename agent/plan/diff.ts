/**
 * What makes two plans "the same" for a unit of canaries, so that applying a new plan keeps
 * the sessions of every unit it does not change. A unit is one target × proxy × profile (one
 * ladder rung): the canaries the runner starts, stops and counts together.
 *
 * The fingerprint is a hash, not the description itself: it covers the proxy URL with its
 * credentials (a changed password must restart the unit), and the runner keeps fingerprints
 * for as long as it runs.
 */
import { createHash } from 'node:crypto';
import type { PlannedCanary } from '../config';

/**
 * The unit a canary belongs to: `target|proxy|profileLabel` (its key without the index), and
 * `target|proxy|x<id>:profileLabel` for an experiment's (agent/plan/experiments.ts).
 */
export function unitKey(c: Pick<PlannedCanary, 'target' | 'proxy' | 'profileLabel' | 'experimentId'>): string {
  const label = c.experimentId === undefined ? c.profileLabel : `x${c.experimentId}:${c.profileLabel}`;
  return `${c.target.name}|${c.proxy.name}|${label}`;
}

/**
 * A hash of everything that shapes the unit's connections: the target's whole definition,
 * the proxy (kind, DNS side and full URL, credentials included), the profile and the ladder
 * gap. Equal fingerprints: the unit's sessions can stay open. How many canaries it holds is
 * not in it: a count that changes adds or ends canaries, it does not restart the others.
 */
export function fingerprint(c: PlannedCanary): string {
  const described = {
    target: c.target,
    proxy: { name: c.proxy.name, kind: c.proxy.kind, remoteDns: c.proxy.remoteDns, url: c.proxy.url?.href ?? null },
    profile: c.profile,
    gapMs: c.gapMs ?? null,
  };
  return createHash('sha256').update(canonicalJson(described)).digest('hex');
}

/** Units of a plan, in plan order: each unit's canaries, and its fingerprint. */
export function unitsOf(canaries: readonly PlannedCanary[]): Map<string, { canaries: PlannedCanary[]; fingerprint: string }> {
  const grouped = new Map<string, PlannedCanary[]>();
  for (const c of canaries) {
    const key = unitKey(c);
    const list = grouped.get(key);
    if (list) list.push(c);
    else grouped.set(key, [c]);
  }
  const units = new Map<string, { canaries: PlannedCanary[]; fingerprint: string }>();
  for (const [key, list] of grouped) units.set(key, { canaries: list, fingerprint: fingerprint(list[0]!) });
  return units;
}

/** JSON with object keys sorted, so equal values hash equally whatever order built them. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
