/**
 * Canaries whose probe has gone silent (issue 19: a silent or revoked probe's canaries stayed
 * "live" forever). A session is open in the database until its probe reports its end; when
 * the probe has not been heard from for three heartbeats (db/queries/probes-status.ts
 * ONLINE_WITHIN_MS, the same rule that shows it offline), nobody knows whether its canaries
 * still live: they read "unknown (probe silent)" and are counted apart from the live ones.
 * When the probe comes back without them they are closed as lost (db/queries/ingest-lost.ts).
 *
 * Decided in SQL against the injected `now`, as probes-status does. Every read walks the
 * live canaries' partial index (opened, not ended).
 */
import { and, eq, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import type { DashboardScope } from '../../lib/dashboard/scope';
import type { Executor } from '../client';
import { canarySessions as s, probes as p } from '../schema';
import { ONLINE_WITHIN_MS } from './probes-status';
import { sessionFilters } from './scope';

/** A probe silent this long has its open canaries shown as unknown: three missed heartbeats. */
export const PROBE_SILENT_AFTER_MS = ONLINE_WITHIN_MS;

/** Open in the database: opened, not ended (nor closed as lost). */
export const OPEN = and(eq(s.outcome, 'opened'), isNull(s.endedAt))!;

/**
 * True for a session row whose probe is silent at `now`: revoked, never heard from, or not
 * heard from within {@link PROBE_SILENT_AFTER_MS}. For a query over canary_sessions.
 */
export function probeSilentSql(now: Date): SQL<boolean> {
  const since = new Date(now.getTime() - PROBE_SILENT_AFTER_MS).toISOString();
  return sql<boolean>`exists (select 1 from ${p} where ${p.id} = ${s.probeId}
    and (${p.revokedAt} is not null or ${p.lastSeenAt} is null or ${p.lastSeenAt} < ${since}::timestamptz))`;
}

/**
 * Which of `sessionIds` are open canaries of a probe silent at `now`: the path page's
 * session rows read `probeSilent` from this (one query for the rows shown).
 */
export async function probeSilentSessions(db: Executor, sessionIds: readonly string[], now: Date): Promise<Set<string>> {
  if (sessionIds.length === 0) return new Set();
  const rows = await db
    .select({ id: s.id })
    .from(s)
    .where(and(OPEN, inArray(s.id, [...sessionIds]), probeSilentSql(now)));
  return new Set(rows.map((r) => r.id));
}

export interface OpenCanaries {
  /** Open canaries of probes heard from lately: live. */
  live: number;
  /** Open canaries of silent probes: unknown. */
  silent: number;
}

/** Open canaries in the scope's filters (its time range does not apply: open is now), split live / silent. */
export async function openCanaries(db: Executor, now: Date, scope: Omit<DashboardScope, 'from' | 'to'> = {}): Promise<OpenCanaries> {
  const [row] = await db
    .select({
      live: sql<number>`count(*) filter (where not ${probeSilentSql(now)})`.mapWith(Number),
      silent: sql<number>`count(*) filter (where ${probeSilentSql(now)})`.mapWith(Number),
    })
    .from(s)
    .where(and(OPEN, ...sessionFilters(scope as DashboardScope)));
  return { live: row?.live ?? 0, silent: row?.silent ?? 0 };
}

/** The same split per path (target × proxy), and per probe when `byProbe`: for the paths list. */
export async function openCanariesByPath(
  db: Executor,
  now: Date,
  scope: Omit<DashboardScope, 'from' | 'to'> = {},
): Promise<{ target: string; proxy: string; probe: string; live: number; silent: number }[]> {
  const silent = probeSilentSql(now);
  return db
    .select({
      target: s.targetName,
      proxy: s.proxyName,
      probe: p.name,
      live: sql<number>`count(*) filter (where not ${silent})`.mapWith(Number),
      silent: sql<number>`count(*) filter (where ${silent})`.mapWith(Number),
    })
    .from(s)
    .innerJoin(p, eq(p.id, s.probeId))
    .where(and(OPEN, ...sessionFilters(scope as DashboardScope)))
    .groupBy(s.targetName, s.proxyName, p.name)
    .orderBy(s.targetName, s.proxyName, p.name);
}
