/**
 * The live feed: what dashboards receive over socket.io after each accepted batch.
 * Items are compact summaries of events, never whole payloads.
 */
import type { IngestEvent } from '../contracts/ingest';

export const LIVE_EVENT = 'ingest';

export interface FeedItem {
  id: string;
  type: IngestEvent['type'];
  probe: string;
  /** ISO time the event describes. */
  at: string;
  sessionId?: string;
  target?: string;
  proxy?: string;
  profile?: string;
  durationMs?: number;
  endKind?: string;
  closeCode?: number;
  httpStatus?: number;
  outcome?: string;
  errorCode?: string;
  samples?: number;
}

/** One coalesced push: the newest items (bounded) and how many events of each type arrived. */
export interface LivePush {
  items: FeedItem[];
  counts: Partial<Record<IngestEvent['type'], number>>;
  /** Items left out of `items` because the push was capped. */
  dropped: number;
}

export function toFeedItem(probe: string, e: IngestEvent): FeedItem {
  switch (e.type) {
    case 'session.opened':
      return { id: e.id, type: e.type, probe, at: e.openedAt, sessionId: e.sessionId, ...path(e.path), httpStatus: e.httpStatus };
    case 'session.ended':
      return {
        id: e.id, type: e.type, probe, at: e.endedAt, sessionId: e.sessionId, ...path(e.path),
        durationMs: e.durationMs, endKind: e.endKind, closeCode: e.closeCode, errorCode: e.errorCode,
      };
    case 'attempt.failed':
      return {
        id: e.id, type: e.type, probe, at: e.failedAt, sessionId: e.sessionId, ...path(e.path),
        outcome: e.outcome, httpStatus: e.httpStatus, errorCode: e.errorCode,
      };
    case 'rtt.samples':
      return { id: e.id, type: e.type, probe, at: e.samples.at(-1)?.at ?? '', sessionId: e.sessionId, ...path(e.path), samples: e.samples.length };
    case 'probe.heartbeat':
      return { id: e.id, type: e.type, probe, at: e.at };
    case 'target.session_ended':
      return {
        id: e.id, type: e.type, probe, at: e.endedAt, sessionId: e.sessionId, target: e.target,
        durationMs: e.durationMs, endKind: e.endKind, ...(e.closeCode !== undefined && { closeCode: e.closeCode }),
      };
  }
}

function path(p: { target: { name: string }; proxy: { name: string }; profile: string }) {
  return { target: p.target.name, proxy: p.proxy.name, profile: p.profile };
}
