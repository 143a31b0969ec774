/**
 * Which sessions a probe says it holds open, from a batch (issue 19: a silent or revoked
 * probe's canaries stayed "live" forever). A heartbeat may list the ids of the sessions its
 * probe holds open when it was written (`openSessions`, from the agent's journal,
 * agent/open-sessions.ts). The probe emits events in order and its spool delivers them in
 * order, so every end the probe wrote before that heartbeat arrived no later than it: a
 * session still open in the database, opened before the heartbeat, and not in its list,
 * has been lost by the probe (restarted without its journal, moved, wiped). The server then
 * closes it as lost (db/queries/ingest-lost.ts); no probe can send that ending itself.
 *
 * Pure: picks the newest heartbeat of the applied events that carries a list.
 */
import type { IngestEvent } from '../contracts/ingest';

export interface OpenSessionsReport {
  /** The heartbeat's own instant (the probe's clock, as its sessions' opened_at). */
  at: Date;
  /** Ids of the sessions the probe held open at `at`. */
  openSessions: readonly string[];
}

/** A heartbeat's list, when it carries one (an older agent sends none). */
function listOf(e: IngestEvent): readonly string[] | null {
  if (e.type !== 'probe.heartbeat') return null;
  const list = (e as { openSessions?: unknown }).openSessions;
  return Array.isArray(list) && list.every((id) => typeof id === 'string') ? (list as string[]) : null;
}

/** The newest heartbeat among `events` that lists its open sessions, or null. */
export function openSessionsReport(events: readonly IngestEvent[]): OpenSessionsReport | null {
  let best: OpenSessionsReport | null = null;
  for (const e of events) {
    const list = listOf(e);
    if (!list || e.type !== 'probe.heartbeat') continue;
    const at = new Date(e.at);
    if (!best || at.getTime() > best.at.getTime()) best = { at, openSessions: list };
  }
  return best;
}
