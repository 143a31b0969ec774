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

/** Response headers worth keeping: they name the layers in the path. */
const IDENTIFYING_HEADERS = ['server', 'via', 'x-served-by', 'x-cache', 'cf-ray', 'x-amz-cf-id', 'x-amzn-trace-id', 'x-azure-ref', 'x-powered-by', 'x-dropscope-peer', 'x-dropscope-target', 'sec-websocket-protocol', 'sec-websocket-extensions', 'alt-svc'];

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
  const failed = (err: DialError, extra: { httpStatus?: number; responseHeaders?: Record<string, string> } = {}): AttemptResult => {
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
      ...(err.proxyReply && { proxyReply: err.proxyReply }),
      errorCode: err.code.slice(0, 64),
      errorMessage: err.message.slice(0, 512),
      ...(extra.responseHeaders && { responseHeaders: extra.responseHeaders }),
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
    // ws's handshakeTimeout never fires on a socket handed over already connected, so the
    // dial deadline covers the upgrade too.
    const onDialTimeout = () => {
      if (deps.stop.aborted) return;
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
      const headers = pickHeaders(res);
      res.resume();
      // With this listener ws does not abort by itself, and destroying the request would
      // leave it CONNECTING forever: terminate() is the documented way out.
      ws.terminate();
      const status = res.statusCode ?? 0;
      const err = new DialError('dial_failed', 'upgrade', `HTTP_${status}`, `upgrade refused: HTTP ${status} ${res.statusMessage ?? ''}`.trim());
      settle(() => ({ ok: false, result: failed(err, { httpStatus: status, responseHeaders: headers }) }));
    });
    ws.on('error', (err) => {
      timings.upgradeMs ??= round(deps.clock() - upgradeStart);
      ws.terminate();
      settle(() => ({ ok: false, result: failed(asDialError(err, 'upgrade')) }));
    });
  });
  if (!opened.ok) return opened.result;

  // ---- open
  const openAt = deps.clock();
  const meter = new SessionMeter(deps.clock, dialed.tcp, dialed.socket, openAt);
  const responseHeaders = pickHeaders(opened.res);
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
    ...(egress && { egressAddress: egress.slice(0, 64) }),
  });
  deps.onOpen?.();

  const rtt = new RttBuffer(sessionId, path, (e) => deps.emit(e));
  let messagesIn = 0;
  let messagesOut = 0;
  let closeFrameAt: number | null = null;
  // Snapshot of the wire at the moment the probe decided to end: bytes of the closing
  // handshake that follow must not count as "last received before the end".
  type Ending = { kind: 'pong_timeout' | 'probe_closed'; at: number; reason?: string; lastRecvAt: number; lastSentAt: number };
  let ending: Ending | null = null;
  const decide = (kind: Ending['kind'], reason: string): Ending => ({ kind, at: deps.clock(), reason, lastRecvAt: meter.lastRecvAt, lastSentAt: meter.lastSentAt });

  // ws turns readyState to CLOSING inside its own 'data' handler when a close frame arrives;
  // our listener runs first, so look right after it, to date the close frame by its bytes.
  dialed.socket.on('data', () => {
    const at = deps.clock();
    queueMicrotask(() => {
      if (closeFrameAt === null && ending === null && ws.readyState === WebSocket.CLOSING) closeFrameAt = at;
    });
  });
  ws.on('message', () => {
    messagesIn += 1;
  });

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
  if (end && (end.kind === 'pong_timeout' || closeFrameAt === null || closeFrameAt > end.at)) {
    endKind = end.kind;
    endAt = end.at;
    lastRecvAt = end.lastRecvAt;
    lastSentAt = end.lastSentAt;
  } else if (code !== 1006 && closeFrameAt !== null) {
    endKind = 'close_frame';
    endAt = closeFrameAt;
  } else if (code !== 1006) {
    endKind = 'close_frame';
    endAt = meter.lastRecvAt;
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

function pickHeaders(res: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of IDENTIFYING_HEADERS) {
    const v = res.headers[h];
    if (v !== undefined) out[h] = (Array.isArray(v) ? v.join(', ') : v).slice(0, 512);
  }
  return out;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;
