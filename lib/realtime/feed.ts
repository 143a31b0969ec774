/**
 * The live feed: what dashboards receive over socket.io after each accepted batch.
 * Items are compact summaries of events, never whole payloads.
 */
import type { IngestEvent } from '../contracts/ingest';

export const LIVE_EVENT = 'ingest';
/**
 * Sent to each socket once it connects: the watermark of the newest push its server has
 * seen (null before any), so the page's catch-up refetch asks for that answer.
 */
export const LIVE_WATERMARK_EVENT = 'watermark';

/**
 * What was committed when a push left its server: `<origin>:<sequence>`, the pushing
 * process's random id and the number of its pushes so far. Assigned after the batches it
 * covers committed, so any server that reads after receiving it sees them. Opaque to
 * everyone else: only compared for equality (the answer memo's key), never ordered.
 */
export type Watermark = string;

/** The query parameter in which a live refetch names the watermark it wants the answer at. */
export const WATERMARK_PARAM = 'w';

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
  /** What was committed when it was sent; browsers ask for the answer at this watermark. */
  watermark: Watermark;
}

/** A push as the coalescer makes it, before the server stamps its watermark. */
export type CoalescedPush = Omit<LivePush, 'watermark'>;

/** The payload of {@link LIVE_WATERMARK_EVENT}. */
export interface LiveWatermark {
  watermark: Watermark | null;
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
    case 'rtt.minute':
      return { id: e.id, type: e.type, probe, at: e.minute, ...path(e.path), samples: e.count };
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
