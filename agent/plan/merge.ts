/**
 * The plan a probe holds: its own paths (probe.yaml) and the server's, as one list of canary
 * slots. A slot both name is held once, as the local one: probe.yaml is the operator's word
 * on this machine, and a server path cannot take over or change it.
 */
import type { PlannedCanary } from '../config';

/** The union of `local` and `server` by key, local first; on a shared key the local slot wins. */
export function mergePlans(local: readonly PlannedCanary[], server: readonly PlannedCanary[]): PlannedCanary[] {
  const keys = new Set(local.map((c) => c.key));
  return [...local, ...server.filter((c) => !keys.has(c.key))];
}
