/**
 * Every probe with its state for the probes page and GET /api/v1/probes. Online means
 * heard from (any accepted request, heartbeats every 30 s by default) within three
 * heartbeat intervals of `now`, decided in SQL against the injected instant. Each probe
 * carries its plan as it fetched and reported it (issue 17), read in one more query for
 * the probes listed, apart from the heartbeat columns the ingest merge writes.
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import type { DashboardScope } from '../../lib/dashboard/scope';
import type { ProbePlanView } from '../../lib/plans/types';
import type { ProbeStatus } from '../../lib/paths/types';
import type { Executor } from '../client';
import { probes as p } from '../schema';
import { probePlanStatuses } from './probe-plan';

export const HEARTBEAT_INTERVAL_MS = 30_000;
/** Three missed heartbeats and a probe counts as offline. */
export const ONLINE_WITHIN_MS = 3 * HEARTBEAT_INTERVAL_MS;

/** Every probe (or those the scope's probe and label filters pick), by name. */
export async function probesStatus(db: Executor, now: Date, filter: Pick<DashboardScope, 'probe' | 'label'> = {}): Promise<ProbeStatus[]> {
  const since = new Date(now.getTime() - ONLINE_WITHIN_MS);
  const rows = await db
    .select({
      row: p,
      online: sql<boolean>`(${p.revokedAt} is null and ${p.lastSeenAt} is not null and ${p.lastSeenAt} >= ${since.toISOString()}::timestamptz)`.mapWith(Boolean),
    })
    .from(p)
    .where(and(filter.probe ? eq(p.name, filter.probe) : undefined, filter.label ? sql`${p.labels} ->> ${filter.label.key} = ${filter.label.value}` : undefined))
    .orderBy(asc(p.name));
  const plans = rows.length ? await probePlanStatuses(db, rows.map(({ row }) => row.id)) : new Map<number, ProbePlanView>();
  return rows.map(({ row, online }): ProbeStatus => {
    const plan = plans.get(row.id);
    return {
      name: row.name,
      labels: row.labels,
      agentVersion: row.agentVersion,
      state: row.revokedAt ? 'revoked' : !row.lastSeenAt ? 'never-seen' : online ? 'online' : 'offline',
      online,
      createdAt: row.createdAt.toISOString(),
      firstSeenAt: row.firstSeenAt?.toISOString() ?? null,
      lastSeenAt: row.lastSeenAt?.toISOString() ?? null,
      silentForMs: row.lastSeenAt ? now.getTime() - row.lastSeenAt.getTime() : null,
      revokedAt: row.revokedAt?.toISOString() ?? null,
      spoolDepth: row.spoolDepth,
      canaries: { open: row.canariesOpen, connecting: row.canariesConnecting, backoff: row.canariesBackoff },
      plan: plan ? { ...plan, fetchedForMs: plan.fetchedAt ? now.getTime() - Date.parse(plan.fetchedAt) : null } : null,
    };
  });
}
