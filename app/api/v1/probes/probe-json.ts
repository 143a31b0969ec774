import type { ProbeAdminRecord } from '@/db/queries/probe-admin';
import { problem } from '@/lib/http/problem';

/** A probe as the API shows it and the audit log records it: never its token or hash. */
export function probeJson(p: ProbeAdminRecord) {
  return {
    id: p.id,
    name: p.name,
    kind: p.kind,
    labels: p.labels,
    createdAt: p.createdAt.toISOString(),
    lastSeenAt: p.lastSeenAt?.toISOString() ?? null,
    revokedAt: p.revokedAt?.toISOString() ?? null,
  };
}

export type ProbeJson = ReturnType<typeof probeJson>;

export function probeNotFound(id: number): Response {
  return problem(404, 'PROBE_ERR_NOT_FOUND', `no probe with id ${id}`);
}
