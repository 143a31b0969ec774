/** Builders for ingest events with sensible defaults; tests override what they assert on. */
import { randomUUID } from 'node:crypto';
import type { AttemptFailed, IngestEvent, PathDescriptor, ProbeHeartbeat, RttMinute, RttSamples, SessionEnded, SessionOpened, TargetSessionEnded } from '../../lib/contracts/ingest';
import { emptyRttBuckets, rttBucketIndex } from '../../lib/rtt/buckets';

export const T0 = new Date('2026-11-01T12:00:00.000Z');
export const iso = (msAfterT0 = 0, base = T0) => new Date(base.getTime() + msAfterT0).toISOString();

export function path(over: { target?: string; proxy?: string; kind?: PathDescriptor['proxy']['kind']; profile?: string } = {}): PathDescriptor {
  const kind = over.kind ?? 'direct';
  return {
    target: { name: over.target ?? 'canary', url: `ws://127.0.0.1:9/${over.target ?? 'canary'}` },
    proxy: { name: over.proxy ?? 'direct', kind, ...(kind !== 'direct' && { url: `http://127.0.0.1:3128` }) },
    profile: over.profile ?? 'idle',
  };
}

const eid = () => randomUUID();

export function opened(sessionId: string, over: Partial<SessionOpened> = {}, base = T0): SessionOpened {
  return {
    type: 'session.opened',
    id: eid(),
    sessionId,
    path: path(),
    attemptedAt: iso(0, base),
    openedAt: iso(5, base),
    timings: { dnsMs: 0.5, tcpMs: 1, upgradeMs: 3.5 },
    httpStatus: 101,
    ...over,
  };
}

export function ended(sessionId: string, durationMs: number, over: Partial<SessionEnded> = {}, base = T0): SessionEnded {
  return {
    type: 'session.ended',
    id: eid(),
    sessionId,
    path: path(),
    attemptedAt: iso(0, base),
    endedAt: iso(5 + durationMs, base),
    durationMs,
    sinceLastRecvMs: durationMs,
    sinceLastSentMs: durationMs,
    endKind: 'tcp_fin',
    closeCode: 1006,
    bytesIn: 0,
    bytesOut: 0,
    messagesIn: 0,
    messagesOut: 0,
    ...over,
  };
}

/** An attempt that failed 30 ms after it began (after `over.attemptedAt` when one is given). */
export function failed(sessionId: string, over: Partial<AttemptFailed> = {}, base = T0): AttemptFailed {
  const begun = over.attemptedAt ? new Date(over.attemptedAt) : base;
  return {
    type: 'attempt.failed',
    id: eid(),
    sessionId,
    path: path(),
    attemptedAt: iso(0, base),
    failedAt: iso(30, begun),
    outcome: 'upgrade_refused',
    httpStatus: 403,
    timings: { tcpMs: 1 },
    ...over,
  };
}

export function rtt(sessionId: string, samplesMs: number[], over: Partial<RttSamples> = {}, base = T0): RttSamples {
  return {
    type: 'rtt.samples',
    id: eid(),
    sessionId,
    path: path(),
    samples: samplesMs.map((rttMs, i) => ({ at: iso(1000 * i, base), rttMs })),
    ...over,
  };
}

/** A path's minute of RTT samples as a probe sums them (`minuteMs` after T0, a whole minute). */
export function rttMinute(samplesMs: number[], over: Partial<RttMinute> = {}, minuteMs = 0, base = T0): RttMinute {
  const buckets = emptyRttBuckets();
  for (const ms of samplesMs) buckets[rttBucketIndex(ms)]! += 1;
  return {
    type: 'rtt.minute',
    id: eid(),
    path: path({ profile: 'heartbeat' }),
    minute: iso(minuteMs, base),
    count: samplesMs.length,
    sumMs: samplesMs.reduce((a, b) => a + b, 0),
    minMs: Math.min(...samplesMs),
    maxMs: Math.max(...samplesMs),
    buckets,
    ...over,
  };
}

export function heartbeat(over: Partial<ProbeHeartbeat> = {}, base = T0): ProbeHeartbeat {
  return { type: 'probe.heartbeat', id: eid(), at: iso(0, base), agentVersion: '0.1.0-test', spoolDepth: 0, ...over };
}

/** A canary target's view of a session's end, `durationMs` after its open (5 ms after T0, as `opened`'s). */
export function targetView(sessionId: string, durationMs: number, over: Partial<TargetSessionEnded> = {}, base = T0): TargetSessionEnded {
  return {
    type: 'target.session_ended',
    id: eid(),
    sessionId,
    target: 'canary',
    peerAddress: '203.0.113.7',
    openedAt: iso(5, base),
    endedAt: iso(5 + durationMs, base),
    durationMs,
    closeFrameReceived: false,
    endKind: 'tcp_fin',
    sinceLastRecvMs: durationMs,
    sinceLastSentMs: durationMs,
    messagesIn: 0,
    messagesOut: 0,
    ...over,
  };
}

/**
 * `events` shuffled in place and cut into batches of 1 to `maxBatch`, as a reporter whose
 * spool was replayed out of order would send them. `random` decides both (seeded in tests).
 */
export function shuffledBatches(random: () => number, events: IngestEvent[], maxBatch: number): IngestEvent[][] {
  for (let i = events.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [events[i], events[j]] = [events[j]!, events[i]!];
  }
  const batches: IngestEvent[][] = [];
  for (let i = 0; i < events.length; ) {
    const n = 1 + Math.floor(random() * maxBatch);
    batches.push(events.slice(i, i + n));
    i += n;
  }
  return batches;
}
