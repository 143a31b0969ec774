/**
 * Closing canaries as lost (issue 19). A session is lost when its probe came back without
 * it (a heartbeat listing the probe's open sessions leaves it out: lib/ingest/open-sessions-report.ts)
 * or when its probe is revoked. It gets `lost_at` (when the server decided) and `ended_at`
 * = the last instant its probe was heard from before (never before it opened, never after
 * the heartbeat that told): the honest bound of when it ended. `end_kind` and `duration_ms`
 * stay null: a lost canary's life says nothing about any layer's timeout, so it must never
 * count as a drop or form a signature, and every ending read (drops, endings aggregates,
 * duration bins, the analysis) requires end_kind. A real end arriving later replaces all of
 * it (db/queries/ingest-merge.ts clears lost_at).
 *
 * Both statements walk the live canaries' partial index (opened, not ended), small however
 * long history grows; the update fires the aggregates' dirty marks like any other.
 */
import { sql } from 'drizzle-orm';
import type { OpenSessionsReport } from '../../lib/ingest/open-sessions-report';
import type { Executor } from '../client';
import { canarySessions as s, probes } from '../schema';
import { rowsOf } from './scope';

/**
 * Close as lost the probe's sessions open in the database, opened before `report.at`, that
 * the report does not list. `lastHeard` is when the probe was heard from before this batch
 * (null: never). Returns the ids closed.
 */
export async function closeLostSessions(db: Executor, probeId: number, report: OpenSessionsReport, options: { lastHeard: Date | null; now: Date }): Promise<string[]> {
  const at = report.at.toISOString();
  const heard = options.lastHeard?.toISOString() ?? null;
  const rows = rowsOf<{ id: string }>(
    await db.execute(sql`update ${s} set
        ended_at = least(${at}::timestamptz, greatest(${s.openedAt}, coalesce(${heard}::timestamptz, ${s.openedAt}))),
        lost_at = ${options.now.toISOString()}::timestamptz,
        updated_at = ${options.now.toISOString()}::timestamptz
      where ${s.probeId} = ${probeId}::integer and ${s.endedAt} is null and ${s.outcome} = 'opened'
        and ${s.openedAt} < ${at}::timestamptz
        and not (${s.id} = any(${`{${report.openSessions.map(quoteArrayItem).join(',')}}`}::text[]))
      returning ${s.id} as id`),
  );
  return rows.map((r) => r.id);
}

/**
 * Close as lost every open session of a revoked probe: it may not post their ends any
 * more. `ended_at` is when the probe was last heard from. Returns the ids closed.
 */
export async function closeSessionsOfRevokedProbe(db: Executor, probeId: number, now: Date): Promise<string[]> {
  const rows = rowsOf<{ id: string }>(
    await db.execute(sql`update ${s} set
        ended_at = least(${now.toISOString()}::timestamptz, greatest(${s.openedAt}, coalesce((select ${probes.lastSeenAt} from ${probes} where ${probes.id} = ${probeId}::integer), ${s.openedAt}))),
        lost_at = ${now.toISOString()}::timestamptz,
        updated_at = ${now.toISOString()}::timestamptz
      where ${s.probeId} = ${probeId}::integer and ${s.endedAt} is null and ${s.outcome} = 'opened'
      returning ${s.id} as id`),
  );
  return rows.map((r) => r.id);
}

/** One item of a PostgreSQL array literal: session ids are [A-Za-z0-9_-], quoted anyway. */
function quoteArrayItem(id: string): string {
  return `"${id.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}
