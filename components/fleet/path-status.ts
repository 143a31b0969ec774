/**
 * Per server path, which probes run it and which could not, folded from every probe's
 * reported status (ProbePlanView). Pure: the fleet page builds it on the server from what
 * db/queries/probe-plan.ts reads, and the path table only renders it.
 */
import type { ProbePlanView } from '../../lib/plans/types';
import type { PathFleetStatus } from './types';

export function pathFleetStatus(reports: Iterable<{ probe: string; plan: ProbePlanView }>): Record<number, PathFleetStatus> {
  const byPath: Record<number, PathFleetStatus> = {};
  for (const { probe, plan } of reports) {
    for (const p of plan.paths) {
      if (p.source !== 'server' || p.id === null) continue;
      const entry = (byPath[p.id] ??= { running: [], unconfigured: [] });
      if (p.state === 'unconfigured') entry.unconfigured.push({ probe, reason: p.reason, field: p.field });
      else entry.running.push({ probe, open: p.open, canaries: p.canaries });
    }
  }
  for (const entry of Object.values(byPath)) {
    entry.running.sort((a, b) => a.probe.localeCompare(b.probe));
    entry.unconfigured.sort((a, b) => a.probe.localeCompare(b.probe));
  }
  return byPath;
}
