/**
 * What a batch's events amount to, row by row, before anything touches the database: the
 * canary_sessions rows (events of one session merged in batch order), the RTT minutes, the
 * latest heartbeat and the target's views. Pure and synchronous; db/queries/ingest.ts sends
 * the result in one statement (db/queries/ingest-merge.ts).
 */
import {
  instantMs,
  type AttemptFailed,
  type IngestEvent,
  type ProbeHeartbeat,
  type RttMinute,
  type RttSamples,
  type SessionEnded,
  type SessionOpened,
  type TargetSessionEnded,
} from '../../lib/contracts/ingest';
import { emptyRttBuckets, rttBucketIndex } from '../../lib/rtt/buckets';
import type { canarySessions, rttMinutes, targetSessionViews } from '../schema';

/**
 * Instants stay the ISO strings the contract validated (PostgreSQL parses them and cuts
 * them to whole milliseconds, as `new Date` would): creating and serializing a Date per
 * timestamp cost more than the rest of building the rows.
 */
type Timestamps<T, K extends keyof T> = Omit<T, K> & { [P in K]: string | (null extends T[P] ? null : never) | (undefined extends T[P] ? undefined : never) };
export type SessionRow = Timestamps<typeof canarySessions.$inferInsert, 'attemptedAt' | 'openedAt' | 'endedAt' | 'updatedAt'>;
export type RttRow = typeof rttMinutes.$inferInsert & { buckets: number[] };
export type TargetViewRow = Timestamps<typeof targetSessionViews.$inferInsert, 'openedAt' | 'endedAt' | 'receivedAt'>;
export type TargetView = Omit<TargetSessionEnded, 'type' | 'id'>;

/** Everything one batch writes besides the idempotency ledger. */
export interface BatchRows {
  sessions: SessionRow[];
  rtt: RttRow[];
  heartbeat: ProbeHeartbeat | undefined;
  views: TargetViewRow[];
}

export function batchRows(probeId: number, events: readonly IngestEvent[], now: Date): BatchRows {
  let heartbeat: ProbeHeartbeat | undefined;
  const views: TargetView[] = [];
  for (const e of events) {
    if (e.type === 'probe.heartbeat' && (!heartbeat || e.at > heartbeat.at)) heartbeat = e;
    else if (e.type === 'target.session_ended') views.push(e);
  }
  return { sessions: sessionRows(probeId, events, now), rtt: rttRows(probeId, events), heartbeat, views: targetViewRows(probeId, views, now) };
}

// ---------------------------------------------------------------- sessions

/**
 * The canary_sessions rows `events` amount to, one per session id (events merged in order).
 * Exported for the ingest bench, whose baseline inserts exactly these rows.
 */
export function sessionRows(probeId: number, events: readonly IngestEvent[], now: Date): SessionRow[] {
  const updatedAt = now.toISOString();
  // Several events of one session in one batch must become one row: PostgreSQL refuses
  // to update the same row twice in one INSERT ... ON CONFLICT.
  const rows = new Map<string, SessionRow>();
  for (const e of events) {
    if (e.type !== 'session.opened' && e.type !== 'session.ended' && e.type !== 'attempt.failed') continue;
    let row = rows.get(e.sessionId);
    if (!row) rows.set(e.sessionId, (row = pathColumns(probeId, e, updatedAt)));
    applyEvent(row, e);
  }
  return [...rows.values()];
}

function pathColumns(probeId: number, e: SessionOpened | SessionEnded | AttemptFailed, updatedAt: string): SessionRow {
  return {
    id: e.sessionId,
    probeId,
    targetName: e.path.target.name,
    targetUrl: e.path.target.url,
    proxyName: e.path.proxy.name,
    proxyKind: e.path.proxy.kind,
    proxyUrl: e.path.proxy.url ?? null,
    profile: e.path.profile,
    profileKind: e.path.profileKind ?? null,
    gapMs: e.path.gapMs ?? null,
    keepaliveMs: e.path.keepaliveMs ?? null,
    intervalMs: e.path.intervalMs ?? null,
    holdMs: e.path.holdMs ?? null,
    attemptedAt: e.attemptedAt,
    updatedAt,
  };
}

/**
 * Fill in what `e` knows; a later event overwrites an earlier one's value but never blanks
 * it out with an absent field. Field by field rather than by spreading partial objects:
 * this runs for every event, and the spreads cost more than the rest of the row building.
 */
function applyEvent(row: SessionRow, e: SessionOpened | SessionEnded | AttemptFailed): void {
  switch (e.type) {
    case 'session.opened':
      putTimings(row, e.timings);
      row.outcome = 'opened';
      row.httpStatus = e.httpStatus;
      put(row, 'responseHeaders', e.responseHeaders);
      put(row, 'proxyHeaders', e.proxyHeaders);
      put(row, 'egressAddress', e.egressAddress);
      row.openedAt = e.openedAt;
      return;
    case 'session.ended':
      row.endedAt = e.endedAt;
      row.durationMs = e.durationMs;
      put(row, 'sinceLastRecvMs', e.sinceLastRecvMs);
      put(row, 'sinceLastSentMs', e.sinceLastSentMs);
      put(row, 'closeCode', e.closeCode);
      put(row, 'closeReason', e.closeReason);
      row.endKind = e.endKind;
      put(row, 'errorCode', e.errorCode);
      row.bytesIn = e.bytesIn;
      row.bytesOut = e.bytesOut;
      row.messagesIn = e.messagesIn;
      row.messagesOut = e.messagesOut;
      if (e.rtt) {
        row.rttCount = e.rtt.count;
        row.rttMinMs = e.rtt.minMs;
        row.rttMedianMs = e.rtt.medianMs;
        row.rttMaxMs = e.rtt.maxMs;
      }
      put(row, 'egressAddress', e.egressAddress);
      put(row, 'echo', e.echo);
      return;
    case 'attempt.failed':
      putTimings(row, e.timings);
      row.outcome = e.outcome;
      put(row, 'httpStatus', e.httpStatus);
      put(row, 'proxyReply', e.proxyReply);
      put(row, 'errorCode', e.errorCode);
      put(row, 'errorMessage', e.errorMessage);
      put(row, 'responseHeaders', e.responseHeaders);
      put(row, 'bodyExcerpt', e.bodyExcerpt);
      row.endedAt = e.failedAt;
      return;
  }
}

function putTimings(row: SessionRow, t: SessionOpened['timings']): void {
  put(row, 'dnsMs', t.dnsMs);
  put(row, 'tcpMs', t.tcpMs);
  put(row, 'proxyMs', t.proxyMs);
  put(row, 'tlsMs', t.tlsMs);
  put(row, 'upgradeMs', t.upgradeMs);
}

function put<K extends keyof SessionRow>(row: SessionRow, key: K, value: SessionRow[K] | undefined): void {
  if (value !== undefined) row[key] = value;
}

// ---------------------------------------------------------------- RTT rollup

/**
 * rtt_minutes rows: per minute and path, the batch's `rtt.minute` sums (added up) and its
 * `rtt.samples` (bucketed here, from probes older than `rtt.minute`).
 */
export function rttRows(probeId: number, events: readonly IngestEvent[]): RttRow[] {
  const rows = new Map<string, RttRow>();
  const rowOf = (minute: number, target: string, proxy: string): RttRow => {
    const key = `${minute}\u0000${target}\u0000${proxy}`;
    let row = rows.get(key);
    if (!row) {
      row = { minute: new Date(minute), probeId, targetName: target, proxyName: proxy, count: 0, sumMs: 0, minMs: Number.POSITIVE_INFINITY, maxMs: 0, buckets: emptyRttBuckets() };
      rows.set(key, row);
    }
    return row;
  };
  for (const e of events as readonly (IngestEvent | RttSamples | RttMinute)[]) {
    if (e.type === 'rtt.minute') {
      const row = rowOf(instantMs(e.minute), e.path.target.name, e.path.proxy.name);
      row.count += e.count;
      row.sumMs += e.sumMs;
      row.minMs = Math.min(row.minMs, e.minMs);
      row.maxMs = Math.max(row.maxMs, e.maxMs);
      e.buckets.forEach((c, i) => (row.buckets[i] = (row.buckets[i] ?? 0) + c));
    } else if (e.type === 'rtt.samples') {
      for (const s of e.samples) {
        // A Date only per row, not per sample: inside the server, Next wraps the Date
        // constructor, and a Date per sample was the costliest part of building a batch's
        // rows there (CPU profile of bench:ingest, session 11).
        // instantMs: parsed once already by the contract's checks.
        const row = rowOf(Math.floor(instantMs(s.at) / 60_000) * 60_000, e.path.target.name, e.path.proxy.name);
        row.count += 1;
        row.sumMs += s.rttMs;
        row.minMs = Math.min(row.minMs, s.rttMs);
        row.maxMs = Math.max(row.maxMs, s.rttMs);
        const i = rttBucketIndex(s.rttMs);
        row.buckets[i] = (row.buckets[i] ?? 0) + 1;
      }
    }
  }
  return [...rows.values()];
}

// ---------------------------------------------------------------- the target's view

/**
 * target_session_views rows, one per session id (a later report replaces an earlier one).
 * `reporterId` is null for the target built into the server.
 */
export function targetViewRows(reporterId: number | null, views: readonly TargetView[], now: Date = new Date()): TargetViewRow[] {
  const rows = new Map<string, TargetViewRow>();
  // Every column is written explicitly, so the column default does not apply.
  const receivedAt = now.toISOString();
  for (const v of views) {
    rows.set(v.sessionId, {
      sessionId: v.sessionId,
      reporterId,
      targetName: v.target,
      peerAddress: v.peerAddress,
      openedAt: v.openedAt,
      endedAt: v.endedAt,
      durationMs: v.durationMs,
      closeFrameReceived: v.closeFrameReceived,
      closeCode: v.closeCode ?? null,
      closeReason: v.closeReason ?? null,
      endKind: v.endKind,
      sinceLastRecvMs: v.sinceLastRecvMs,
      sinceLastSentMs: v.sinceLastSentMs,
      messagesIn: v.messagesIn,
      messagesOut: v.messagesOut,
      receivedAt,
    });
  }
  return [...rows.values()];
}
