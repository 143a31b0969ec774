/**
 * One canary connection attempt, from dial to ending, turned into ingest events:
 * `attempt.failed` when the dial or upgrade fails, else `session.opened`, `rtt.minute`
 * and finally `session.ended` with the close code, who ended it and the duration on the
 * monotonic clock. Network failures never throw out of here: they become events.
 * This file dials and upgrades; agent/canary-session.ts holds the open session.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import type { EndKind, IngestEvent, PathDescriptor } from '../lib/contracts/ingest';
import type { PlannedCanary } from './config';
import { dial, type DialTimings, type MonotonicClock } from './dial/dial';
import { asDialError, DialError } from './dial/errors';
import { bodyExcerpt, IDENTIFYING_HEADERS, pickHeaders, readBody, REFUSAL_HEADERS, scrubber, secretsOf } from './dial/refusal';
import { CanarySession, onSessionError } from './canary-session';
import { DueQueue } from './schedule/due-queue';
import type { RttMinutes } from './rtt-minutes';
import { AGENT_VERSION } from './version';

/**
 * The probe's stop: an AbortSignal, or anything with its `aborted` flag and abort listeners
 * (the runner's holds thousands of listeners in a Set, not an EventTarget's list).
 */
export interface StopSignal {
  readonly aborted: boolean;
  /**
   * Why the canaries stop, as their sessions' close reason (`probe_closed`): a path removed
   * from the plan is not the probe stopping. Absent: "probe stopping". (Not `reason`: an
   * AbortSignal's reason is an exception, not a close reason.)
   */
  readonly closeReason?: string;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export interface CanaryDeps {
  emit(event: IngestEvent): void;
  /** Monotonic milliseconds (performance.now in production). */
  clock: MonotonicClock;
  /** Wall-clock time for timestamps in events. */
  wall(): Date;
  dialTimeoutMs: number;
  /** Aborted when the probe stops: the canary closes politely and reports probe_closed. */
  stop: StopSignal;
  /** Called when the socket opens (for the probe's canary-state counts). */
  onOpen?(canary: PlannedCanary): void;
  /** The timer queue the profiles' pings and deadlines run on; default one on real time. */
  queue?: DueQueue;
  /**
   * Where RTT samples are summed per path and minute (`rtt.minute`); the runner always
   * has one. Without it a session still reports its own summary in `session.ended`.
   */
  rttMinutes?: RttMinutes;
}

export interface AttemptResult {
  sessionId: string;
  opened: boolean;
  /** Open lifetime in ms (0 when it never opened). */
  lifetimeMs: number;
  endKind?: EndKind;
  /** As in `session.ended`: what a bisect rung's outcome is read from (lib/diagnosis/bisect.ts rungOutcome). */
  closeCode?: number;
  closeReason?: string;
}

export const SESSION_HEADER = 'x-dropscope-session';
export const PEER_HEADER = 'x-dropscope-peer';

/**
 * One descriptor per path, shared by all its canaries and their events: a probe holding
 * 10,000 canaries on a handful of paths keeps a handful. Bounded: past this many distinct
 * paths (a plan changed many times), descriptors are made per call again.
 */
const paths = new Map<string, PathDescriptor>();
const MAX_PATHS = 10_000;

export function pathOf(c: PlannedCanary): PathDescriptor {
  const path = describePath(c);
  // Bisect rungs each have a gap of their own, a few at a time: kept, they would fill the table.
  if (c.profile.kind === 'bisect') return path;
  const key = JSON.stringify(path);
  const known = paths.get(key);
  if (known) return known;
  if (paths.size < MAX_PATHS) paths.set(key, path);
  return path;
}

/**
 * What the events say of a canary's path and profile: the gap of a rung (ladder, bisect,
 * keepalive), the keepalive interval, the interval of a heartbeat or echo, and the hold of a
 * held heartbeat: what the diagnosis reads of an experiment (lib/diagnosis).
 */
export function describePath(c: PlannedCanary): PathDescriptor {
  const p = c.profile;
  const gapMs = p.kind === 'keepalive' ? p.gap : c.gapMs;
  return {
    target: { name: c.target.name, url: c.target.url },
    proxy: { name: c.proxy.name, kind: c.proxy.kind, ...(c.proxy.redactedUrl && { url: c.proxy.redactedUrl }) },
    profile: c.profileLabel,
    profileKind: p.kind,
    ...(gapMs !== undefined && { gapMs }),
    ...(p.kind === 'keepalive' && { keepaliveMs: p.keepalive }),
    ...((p.kind === 'heartbeat' || p.kind === 'echo') && { intervalMs: p.interval }),
    ...(p.kind === 'heartbeat' && p.hold !== undefined && { holdMs: p.hold }),
  };
}

/** One attempt, resolved once its session has ended (or the dial or upgrade failed). */
export function runAttempt(canary: PlannedCanary, deps: CanaryDeps): Promise<AttemptResult> {
  return new Promise((resolve, reject) => startAttempt(canary, deps, resolve, reject));
}

/**
 * One attempt, with callbacks: `done` once its session has ended (or the dial or upgrade
 * failed), `fail` only for a bug (network failures are results). What the runner holds while
 * a session is open is the session record, no promise chain.
 */
export function startAttempt(canary: PlannedCanary, deps: CanaryDeps, done: (result: AttemptResult) => void, fail: (err: unknown) => void): void {
  openSession(canary, deps).then((opened) => {
    if (opened instanceof CanarySession) opened.run(done);
    else done(opened);
  }, fail);
}

async function openSession(canary: PlannedCanary, deps: CanaryDeps): Promise<AttemptResult | CanarySession> {
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
  // The dial's deadline and the probe's stop, as one signal for this attempt only (listeners
  // on the probe's stop are removed once the upgrade is decided).
  const dialAbort = new AbortController();
  const dialSignal = dialAbort.signal;
  const abortDial = () => dialAbort.abort();
  const dialTimer = setTimeout(abortDial, deps.dialTimeoutMs);
  deps.stop.addEventListener('abort', abortDial, { once: true });
  const dialDone = () => {
    clearTimeout(dialTimer);
    deps.stop.removeEventListener('abort', abortDial);
  };
  let dialed;
  try {
    dialed = await dial(canary.target, canary.proxy, { signal: dialSignal, clock: deps.clock, timings });
  } catch (err) {
    dialDone();
    // Our own stop cut the dial: no failure of the path to report (a refused port answers
    // in a millisecond, but on a busy machine the stop can come first).
    if (deps.stop.aborted) return { sessionId, opened: false, lifetimeMs: 0 };
    return failed(asDialError(err, 'tcp'));
  }
  // A handshake that completed just after the deadline must not open a session: listeners
  // added to an already-aborted signal never fire.
  if (dialSignal.aborted) {
    dialDone();
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
  type Upgrade = { ok: true; responseHeaders: Record<string, string> } | { ok: false; result: AttemptResult };
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
      dialDone();
      const result = outcome();
      if (result.ok) {
        // The session's own listener takes over: these hold this whole upgrade (its
        // closures, the response) for as long as the session lives.
        ws.off('unexpected-response', onRefused);
        ws.off('error', onError);
        ws.on('error', onSessionError);
      } else {
        // ws's terminate() while CONNECTING does not always reach a socket we handed it.
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
      // Only the headers the event keeps: the response itself is not held past the upgrade.
      ws.once('open', () => settle(() => ({ ok: true, responseHeaders: pickHeaders(res.headers, IDENTIFYING_HEADERS) })));
    });
    const onRefused = (_req: unknown, res: IncomingMessage) => {
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
    };
    ws.once('unexpected-response', onRefused);
    const onError = (err: Error) => {
      if (refused) return;
      timings.upgradeMs ??= round(deps.clock() - upgradeStart);
      ws.terminate();
      settle(() => ({ ok: false, result: failed(asDialError(err, 'upgrade')) }));
    };
    ws.on('error', onError);
  });
  if (!opened.ok) return opened.result;

  // ---- open: what the event keeps of the answer, then the session on its own small record
  const { responseHeaders } = opened;
  const proxyHeaders = scrubHeaders(dialed.proxyHeaders);
  const egress = responseHeaders[PEER_HEADER];
  const session = new CanarySession({ canary, deps, queue: deps.queue ?? defaultQueue(), wire: { ws, socket: dialed.socket, tcp: dialed.tcp }, sessionId, path, attemptedAt });
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
  deps.onOpen?.(canary);
  return session;
}

let sharedQueue: DueQueue | undefined;
/** Canaries run without a runner (tests, one-off attempts) share one queue on real time. */
function defaultQueue(): DueQueue {
  return (sharedQueue ??= new DueQueue());
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;
