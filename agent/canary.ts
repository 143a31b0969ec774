/**
 * One canary connection attempt, from dial to ending, turned into ingest events:
 * `attempt.failed` when the dial or upgrade fails, else `session.opened`, `rtt.samples`
 * and finally `session.ended` with the close code, who ended it and the duration on the
 * monotonic clock. Network failures never throw out of here: they become events.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import type { EndKind, IngestEvent, PathDescriptor } from '../lib/contracts/ingest';
import type { PlannedCanary } from './config';
import { dial, type DialTimings, type MonotonicClock } from './dial/dial';
import { asDialError, DialError } from './dial/errors';
import { bodyExcerpt, IDENTIFYING_HEADERS, pickHeaders, readBody, REFUSAL_HEADERS, scrubber, secretsOf } from './dial/refusal';
import { startProfile } from './profiles';
import { RttBuffer } from './rtt-buffer';
import { SessionMeter } from './session-meter';
import { AGENT_VERSION } from './version';

export interface CanaryDeps {
  emit(event: IngestEvent): void;
  /** Monotonic milliseconds (performance.now in production). */
  clock: MonotonicClock;
  /** Wall-clock time for timestamps in events. */
  wall(): Date;
  dialTimeoutMs: number;
  /** Aborted when the probe stops: the canary closes politely and reports probe_closed. */
  stop: AbortSignal;
  /** Called when the socket opens (for the probe's canary-state counts). */
  onOpen?(): void;
}

export interface AttemptResult {
  sessionId: string;
  opened: boolean;
  /** Open lifetime in ms (0 when it never opened). */
  lifetimeMs: number;
  endKind?: EndKind;
}

export const SESSION_HEADER = 'x-dropscope-session';
export const PEER_HEADER = 'x-dropscope-peer';

export function pathOf(c: PlannedCanary): PathDescriptor {
  return {
    target: { name: c.target.name, url: c.target.url },
    proxy: { name: c.proxy.name, kind: c.proxy.kind, ...(c.proxy.redactedUrl && { url: c.proxy.redactedUrl }) },
    profile: c.profileLabel,
    profileKind: c.profile.kind,
    ...(c.gapMs !== undefined && { gapMs: c.gapMs }),
  };
}

export async function runAttempt(canary: PlannedCanary, deps: CanaryDeps): Promise<AttemptResult> {
  const sessionId = randomUUID();
  const path = pathOf(canary);
  const attemptedAt = deps.wall().toISOString();
  const timings: DialTimings & { upgradeMs?: number } = {};
  // What the event carries of an answer is the answer's, but a layer that echoes our
  // request could hand back a credential of ours: none leaves in any field.
  const scrub = scrubber(secretsOf(canary));
  const scrubHeaders = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k, scrub(v).slice(0, 512)]));
  const failed = (err: DialError, extra: { httpStatus?: number } = {}): AttemptResult => {
    const responseHeaders = err.responseHeaders && scrubHeaders(err.responseHeaders);
    const excerpt = err.bodyExcerpt && scrub(err.bodyExcerpt).slice(0, 256);
    deps.emit({
      type: 'attempt.failed',
      id: randomUUID(),
      sessionId,
      path,
      attemptedAt,
      failedAt: deps.wall().toISOString(),
      outcome: extra.httpStatus ? 'upgrade_refused' : err.outcome,
      timings,
      ...(extra.httpStatus && { httpStatus: extra.httpStatus }),
      ...(err.proxyReply && { proxyReply: scrub(err.proxyReply).slice(0, 256) }),
      errorCode: err.code.slice(0, 64),
      errorMessage: scrub(err.message).slice(0, 512),
      ...(responseHeaders && { responseHeaders }),
      ...(excerpt && { bodyExcerpt: excerpt }),
    });
    return { sessionId, opened: false, lifetimeMs: 0 };
  };

  if (deps.stop.aborted) return { sessionId, opened: false, lifetimeMs: 0 };
  const dialSignal = AbortSignal.any([AbortSignal.timeout(deps.dialTimeoutMs), deps.stop]);
  let dialed;
  try {
    dialed = await dial(canary.target, canary.proxy, { signal: dialSignal, clock: deps.clock, timings });
  } catch (err) {
    // Our own stop cut the dial: no failure of the path to report (a refused port answers
    // in a millisecond, but on a busy machine the stop can come first).
    if (deps.stop.aborted) return { sessionId, opened: false, lifetimeMs: 0 };
    return failed(asDialError(err, 'tcp'));
  }
  // A handshake that completed just after the deadline must not open a session: listeners
  // added to an already-aborted signal never fire.
  if (dialSignal.aborted) {
    dialed.socket.destroy();
    dialed.tcp.destroy();
    if (deps.stop.aborted) return { sessionId, opened: false, lifetimeMs: 0 };
    return failed(new DialError('dial_failed', 'proxy', 'ETIMEDOUT', `dial: not done within the dial timeout of ${deps.dialTimeoutMs} ms`));
  }

  const upgradeStart = deps.clock();
  const profile = canary.profile;
  const ws = new WebSocket(canary.target.url, canary.target.subprotocols, {
    createConnection: () => dialed.socket,
    headers: { ...canary.target.headers, [SESSION_HEADER]: sessionId, 'user-agent': `dropscope-agent/${AGENT_VERSION}` },
    ...(canary.target.origin && { origin: canary.target.origin }),
    // Compression would change frame sizes and hide what a middlebox does to large frames.
    perMessageDeflate: false,
    maxPayload: 64 * 1024 * 1024,
    // An idle canary must not answer even the target's pings: any traffic resets idle timers.
    autoPong: profile.kind === 'heartbeat' || profile.kind === 'echo',
    followRedirects: false,
  });

  // http.request attaches its reader to the socket on the next tick; only then may a
  // tunnel paused by the proxy handshake flow again.
  setImmediate(() => dialed.socket.resume());

  // ---- the upgrade
  type Upgrade = { ok: true; res: IncomingMessage } | { ok: false; result: AttemptResult };
  const opened = await new Promise<Upgrade>((resolve) => {
    let settled = false;
    // Set once an HTTP answer refused the upgrade: its report is on its way (after a bounded
    // read of its body), and the errors of tearing the connection down are not news.
    let refused = false;
    // The thunk runs only for the first outcome: ws may report a refusal and then an error.
    const settle = (outcome: () => Upgrade) => {
      if (settled) return;
      settled = true;
      deps.stop.removeEventListener('abort', onStop);
      dialSignal.removeEventListener('abort', onDialTimeout);
      const result = outcome();
      // ws's terminate() while CONNECTING does not always reach a socket we handed it.
      if (!result.ok) {
        dialed.socket.destroy();
        dialed.tcp.destroy();
      }
      resolve(result);
    };
    const onStop = () => {
      ws.terminate();
      settle(() => ({ ok: false, result: { sessionId, opened: false, lifetimeMs: 0 } }));
    };
    deps.stop.addEventListener('abort', onStop, { once: true });
  // A stop that came while the session opened (its onOpen, the last of the upgrade) fires no event now.
  if (deps.stop.aborted) onStop();
    // ws's handshakeTimeout never fires on a socket handed over already connected, so the
    // dial deadline covers the upgrade too.
    const onDialTimeout = () => {
      // An answer that refused in time is reported as such once its body is read (bounded).
      if (deps.stop.aborted || refused) return;
      ws.terminate();
      timings.upgradeMs = round(deps.clock() - upgradeStart);
      settle(() => ({ ok: false, result: failed(new DialError('dial_failed', 'upgrade', 'ETIMEDOUT', `upgrade: no response within the dial timeout of ${deps.dialTimeoutMs} ms`)) }));
    };
    dialSignal.addEventListener('abort', onDialTimeout, { once: true });
    ws.once('upgrade', (res) => {
      timings.upgradeMs = round(deps.clock() - upgradeStart);
      ws.once('open', () => settle(() => ({ ok: true, res })));
    });
    ws.once('unexpected-response', (_req, res) => {
      timings.upgradeMs = round(deps.clock() - upgradeStart);
      refused = true;
      const status = res.statusCode ?? 0;
      const responseHeaders = pickHeaders(res.headers, REFUSAL_HEADERS);
      // A few KiB of the body for a short while: its words tell a proxy's 503 from the
      // origin's. The probe's stop still cuts this short (it settles first).
      void readBody(res).then((body) => {
        // With this listener ws does not abort by itself, and destroying the request would
        // leave it CONNECTING forever: terminate() is the documented way out.
        ws.terminate();
        const excerpt = bodyExcerpt(body, res.headers['content-type']);
        const err = new DialError('dial_failed', 'upgrade', `HTTP_${status}`, `upgrade refused: HTTP ${status} ${res.statusMessage ?? ''}`.trim(), undefined, { responseHeaders, ...(excerpt && { bodyExcerpt: excerpt }) });
        settle(() => ({ ok: false, result: failed(err, { httpStatus: status }) }));
      });
    });
    ws.on('error', (err) => {
      if (refused) return;
      timings.upgradeMs ??= round(deps.clock() - upgradeStart);
      ws.terminate();
      settle(() => ({ ok: false, result: failed(asDialError(err, 'upgrade')) }));
    });
  });
  if (!opened.ok) return opened.result;

  // ---- open
  const openAt = deps.clock();
  const meter = new SessionMeter(deps.clock, dialed.tcp, dialed.socket, openAt);
  const responseHeaders = pickHeaders(opened.res.headers, IDENTIFYING_HEADERS);
  const proxyHeaders = scrubHeaders(dialed.proxyHeaders);
  const egress = responseHeaders[PEER_HEADER];
  deps.emit({
    type: 'session.opened',
    id: randomUUID(),
    sessionId,
    path,
    attemptedAt,
    openedAt: deps.wall().toISOString(),
    timings,
    httpStatus: 101,
    responseHeaders,
    ...(Object.keys(proxyHeaders).length > 0 && { proxyHeaders }),
    ...(egress && { egressAddress: egress.slice(0, 64) }),
  });
  deps.onOpen?.();

  const rtt = new RttBuffer(sessionId, path, (e) => deps.emit(e));
  let messagesIn = 0;
  let messagesOut = 0;
  // Snapshot of the wire at the moment the probe decided to end: bytes of the closing
  // handshake that follow must not count as "last received before the end".
  type Ending = { kind: 'pong_timeout' | 'probe_closed'; at: number; reason?: string; lastRecvAt: number; lastSentAt: number };
  let ending: Ending | null = null;
  const decide = (kind: Ending['kind'], reason: string): Ending => ({ kind, at: deps.clock(), reason, lastRecvAt: meter.lastRecvAt, lastSentAt: meter.lastSentAt });
  // The same for a close frame from the peer, which is the end: its own bytes are not the
  // last thing received before it, and ws's close reply is not the last thing sent. The
  // silence before it is what a layer that closes idle sessions with a frame (Cloudflare,
  // API Gateway's 1001) waited for.
  let closeFrame: { at: number; lastRecvAt: number; lastSentAt: number } | null = null;
  // When the chunk carrying the latest message, ping or pong arrived: a frame that came in
  // the same chunk as the close frame was received at that instant, not before it.
  let lastFrameAt = openAt;
  const beforeLastChunk = () => {
    const chunk = meter.lastChunk;
    return { at: chunk.at, lastRecvAt: Math.max(chunk.recvBefore, lastFrameAt), lastSentAt: chunk.sentBefore };
  };

  // ws turns readyState to CLOSING inside its own 'data' handler (attached before ours) when
  // a close frame arrives; look right after the handlers, while the meter's snapshot of the
  // chunk that carried it is still the latest, to date the close frame by its bytes.
  dialed.socket.on('data', () => {
    queueMicrotask(() => {
      if (closeFrame === null && ending === null && ws.readyState === WebSocket.CLOSING) closeFrame = beforeLastChunk();
    });
  });
  // ws emits these synchronously from its 'data' handler, after the meter has dated the chunk.
  const frameArrived = () => {
    lastFrameAt = meter.lastRecvAt;
  };
  ws.on('message', () => {
    messagesIn += 1;
    frameArrived();
  });
  ws.on('ping', frameArrived);
  ws.on('pong', frameArrived);

  const session = {
    ws,
    clock: deps.clock,
    wall: deps.wall,
    gapMs: canary.gapMs,
    addRtt: (rttMs: number) => rtt.add(deps.wall(), rttMs, deps.clock()),
    countSent: () => {
      messagesOut += 1;
    },
    /** The profile's deadline passed: a silent death. */
    deadline: (reason: string) => {
      if (ending) return;
      ending = decide('pong_timeout', reason);
      ws.terminate();
    },
    /** The profile is done with this session (a ladder rung that survived). */
    finish: (reason: string) => {
      if (ending) return;
      ending = decide('probe_closed', reason);
      closePolitely(ws, 1000, reason);
    },
  };
  const stopProfile = startProfile(profile, session);
  const onStop = () => {
    if (ending) return;
    ending = decide('probe_closed', 'probe stopping');
    closePolitely(ws, 1001, 'probe stopping');
  };
  deps.stop.addEventListener('abort', onStop, { once: true });
  // A stop that came while the session opened (its onOpen, the last of the upgrade) fires no event now.
  if (deps.stop.aborted) onStop();

  const { code, reason } = await new Promise<{ code: number; reason: string }>((resolve) => {
    ws.once('close', (c, r) => resolve({ code: c, reason: r.toString('utf8') }));
  });
  stopProfile();
  deps.stop.removeEventListener('abort', onStop);
  dialed.socket.destroy();
  dialed.tcp.destroy();
  rtt.flush();

  // Who ended it, and when: the earliest sign on the wire, not when ws got round to 'close'.
  const closedAt = deps.clock();
  let endKind: EndKind;
  let endAt: number;
  let lastRecvAt = meter.lastRecvAt;
  let lastSentAt = meter.lastSentAt;
  const end = ending as Ending | null;
  const frame = closeFrame as { at: number; lastRecvAt: number; lastSentAt: number } | null;
  if (end && (end.kind === 'pong_timeout' || frame === null || frame.at > end.at)) {
    endKind = end.kind;
    endAt = end.at;
    lastRecvAt = end.lastRecvAt;
    lastSentAt = end.lastSentAt;
  } else if (code !== 1006) {
    // Not seen arriving (ws parsed it later than its chunk): the last chunk carried it.
    const f = frame ?? beforeLastChunk();
    endKind = 'close_frame';
    endAt = f.at;
    lastRecvAt = f.lastRecvAt;
    lastSentAt = f.lastSentAt;
  } else if (meter.resetAt !== null) {
    endKind = 'tcp_reset';
    endAt = meter.resetAt;
  } else if (meter.finAt !== null) {
    endKind = 'tcp_fin';
    endAt = meter.finAt;
  } else {
    endKind = 'error';
    endAt = closedAt;
  }
  const summary = rtt.summary();
  deps.emit({
    type: 'session.ended',
    id: randomUUID(),
    sessionId,
    path,
    attemptedAt,
    endedAt: new Date(deps.wall().getTime() - (closedAt - endAt)).toISOString(),
    durationMs: round(Math.max(0, endAt - openAt)),
    sinceLastRecvMs: round(Math.max(0, endAt - lastRecvAt)),
    sinceLastSentMs: round(Math.max(0, endAt - lastSentAt)),
    closeCode: code,
    ...(reason || end?.reason ? { closeReason: (reason || end?.reason || '').slice(0, 123) } : {}),
    endKind,
    ...(meter.socketErrorCode && { errorCode: meter.socketErrorCode }),
    bytesIn: meter.bytesIn,
    bytesOut: meter.bytesOut,
    messagesIn,
    messagesOut,
    ...(summary && { rtt: summary }),
  });
  return { sessionId, opened: true, lifetimeMs: endAt - openAt, endKind };
}

function closePolitely(ws: WebSocket, code: number, reason: string): void {
  ws.close(code, reason);
  // A peer that never answers our close frame must not hold the canary for ws's 30 s.
  setTimeout(() => ws.terminate(), 2000).unref();
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;
