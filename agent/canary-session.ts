/**
 * One open canary session, from the 101 to its ending: what it did on the wire, how it
 * ended and when, as the `session.ended` event.
 *
 * A probe holds thousands of these for days, so a session is one small record: the ws and
 * socket listeners are functions shared by every session (they find theirs through a
 * symbol on the emitter), the profile is a record on the shared timer queue, and the
 * upgrade's response is not kept.
 *
 * What the wire says, and why it is read here: `ws` reports both a FIN and an RST from a
 * middle layer as close code 1006 (and emits no 'error' on RST), so we listen on the
 * sockets themselves, where they can be told apart: 'end' is a FIN, 'error' ECONNRESET an
 * RST. For ws:// through no proxy or a plain one, the TCP socket to the first hop is the
 * one ws reads. TLS made over a connected TCP socket (wss://, an https:// proxy) takes over
 * its handle, and the TCP socket then emits neither 'data' nor 'end' nor 'error' (its byte
 * counts still move): there the TLS socket ws reads reports the bytes, the FIN and the reset.
 */
import { randomUUID } from 'node:crypto';
import { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import WebSocket from 'ws';
import type { EndKind, PathDescriptor } from '../lib/contracts/ingest';
import type { AttemptResult, CanaryDeps } from './canary';
import type { PlannedCanary } from './config';
import { startProfile, type Profile, type ProfileSession } from './profiles';
import { rttMsOf, SessionRtt } from './rtt-summary';
import { ignoreError } from './dial/dial';
import type { DueQueue } from './schedule/due-queue';

const kSession = Symbol('dropscope.canarySession');
type Tagged = { [kSession]?: CanarySession };

/** The wire when the probe decided to end, or when the peer's close frame arrived. */
interface Snapshot {
  at: number;
  lastRecvAt: number;
  lastSentAt: number;
}
type Ending = Snapshot & { kind: 'pong_timeout' | 'probe_closed'; reason: string };

export interface OpenedWire {
  ws: WebSocket;
  /** The socket ws reads (TLS to the target for wss://). */
  socket: Socket | TLSSocket;
  /** The TCP socket to the first hop. */
  tcp: Socket;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;
const protoWrite = Socket.prototype.write;

export class CanarySession implements ProfileSession {
  readonly ws: WebSocket;
  readonly clock: () => number;
  readonly gapMs?: number;
  readonly #socket: Socket | TLSSocket;
  readonly #tcp: Socket;
  readonly #deps: CanaryDeps;
  readonly #sessionId: string;
  readonly #path: PathDescriptor;
  readonly #attemptedAt: string;
  readonly #openAt: number;
  /** Wall-clock ms at #openAt: RTT samples are dated from it on the measuring clock. */
  readonly #wallAtOpen: number;

  // The wire, on the measuring clock. Every number field starts as a number (0), not as the
  // `undefined` a bare class field holds until the constructor runs: V8 then keeps the field
  // as a double updated in place, instead of a new heap number (and a write barrier) on each
  // of the several stores a ping and its pong make.
  lastRecvAt = 0;
  lastSentAt = 0;
  /** The latest chunk received, and the wire as it stood before it (before anything reacted). */
  chunkAt = 0;
  chunkRecvBefore = 0;
  chunkSentBefore = 0;
  finAt: number | null = null;
  resetAt: number | null = null;
  socketErrorCode: string | null = null;
  /** When the chunk carrying the latest message, ping or pong arrived. */
  #lastFrameAt = 0;
  #messagesIn = 0;
  #messagesOut = 0;
  #ending: Ending | null = null;
  #closeFrame: Snapshot | null = null;
  #profile: Profile | null = null;
  #rtt: SessionRtt | null = null;
  #done: ((r: AttemptResult) => void) | null = null;

  constructor(init: { canary: PlannedCanary; deps: CanaryDeps; queue: DueQueue; wire: OpenedWire; sessionId: string; path: PathDescriptor; attemptedAt: string }) {
    const { deps, wire } = init;
    this.ws = wire.ws;
    this.clock = deps.clock;
    this.gapMs = init.canary.gapMs;
    this.#socket = wire.socket;
    this.#tcp = wire.tcp;
    this.#deps = deps;
    this.#sessionId = init.sessionId;
    this.#path = init.path;
    this.#attemptedAt = init.attemptedAt;
    const now = deps.clock();
    this.#openAt = now;
    this.#wallAtOpen = deps.wall().getTime();
    this.lastRecvAt = this.lastSentAt = this.chunkAt = this.chunkRecvBefore = this.chunkSentBefore = this.#lastFrameAt = now;
    this.#profile = startProfile(init.canary.profile, this, init.queue);
  }

  /**
   * Listen, and call `done` with the attempt's result once the session has ended and been
   * reported. A callback, not a promise: a probe holds thousands of sessions open for days,
   * and a pending promise chain per session was a few hundred bytes of each.
   */
  run(done: (result: AttemptResult) => void): void {
    const { ws } = this;
    const top = this.#socket as Socket & Tagged;
    const tcp = this.#tcp as Socket & Tagged;
    (ws as WebSocket & Tagged)[kSession] = this;
    top[kSession] = this;
    tcp[kSession] = this;
    // Prepended: ws's own 'data' listener was attached at the upgrade, and on a close frame
    // it writes its close reply from inside that listener. Running first is how the chunk
    // is seen as it arrived, with the sent side not yet touched by the reply.
    top.prependListener('data', onChunk);
    // 'on', not 'once': both fire once anyway, and once() wraps each listener in a state
    // object and a bound function per session. The dial's placeholder error listener goes
    // first, so ours and ws's make a two-element list rather than a grown one.
    for (const socket of tcp === top ? [tcp] : [tcp, top]) {
      socket.off('error', ignoreError);
      socket.on('error', onSocketError);
      socket.on('end', onFin);
    }
    // There is no 'write' event: pings, pongs, messages and close frames count as sent at
    // the moment they are handed to the socket ws writes to.
    if (top.write === protoWrite) top.write = meteredWrite as typeof top.write;
    else {
      const write = top.write.bind(top) as (...args: unknown[]) => boolean;
      (top as { write: (...args: unknown[]) => boolean }).write = (...args: unknown[]) => {
        this.lastSentAt = this.clock();
        return write(...args);
      };
    }
    ws.on('message', onMessage);
    ws.on('ping', onFrame);
    ws.on('pong', onPong);
    ws.on('close', onClose);
    this.#done = done;
    this.#deps.stop.addEventListener('abort', this.stop, { once: true });
    // A stop that came while the session opened (its onOpen, the last of the upgrade).
    if (this.#deps.stop.aborted) this.stop();
  }

  // ---- what profiles call (ProfileSession)

  addRtt(rttMs: number): void {
    const ms = rttMsOf(rttMs);
    (this.#rtt ??= new SessionRtt()).add(ms);
    this.#deps.rttMinutes?.add(this.#path, this.#wallAtOpen + (this.clock() - this.#openAt), ms);
  }

  countSent(): void {
    this.#messagesOut += 1;
  }

  /** A keepalive rung: TCP keepalive on the socket to the first hop (agent/profiles.ts says what Node sets). */
  setKeepAlive(ms: number): void {
    this.#tcp.setKeepAlive(true, ms);
  }

  /** The profile's deadline passed: a silent death. */
  deadline(reason: string): void {
    if (this.#ending) return;
    this.#ending = this.#decide('pong_timeout', reason);
    this.ws.terminate();
  }

  /** The profile is done with this session (a rung that survived, a heartbeat held to its end). */
  finish(reason: string): void {
    if (this.#ending) return;
    this.#ending = this.#decide('probe_closed', reason);
    closePolitely(this.ws, 1000, reason);
  }

  /** The probe stops, or the plan no longer holds this canary: close politely, reported as probe_closed. */
  readonly stop = (): void => {
    if (this.#ending) return;
    const reason = this.#deps.stop.closeReason ?? 'probe stopping';
    this.#ending = this.#decide('probe_closed', reason);
    closePolitely(this.ws, 1001, reason);
  };

  // ---- what the shared listeners call

  frameArrived(): void {
    this.#lastFrameAt = this.lastRecvAt;
  }

  messageArrived(data: WebSocket.RawData, isBinary: boolean): void {
    this.#messagesIn += 1;
    this.#lastFrameAt = this.lastRecvAt;
    this.#profile?.onMessage(data, isBinary);
  }

  pongArrived(data: Buffer): void {
    this.#lastFrameAt = this.lastRecvAt;
    this.#profile?.onPong(data);
  }

  /**
   * The probe decides to end the session. If the peer's close frame came first (ws is
   * closing and we never asked it to), that frame is the end: it arrived in the latest
   * chunk, since nothing follows a close frame, and is dated by it.
   */
  #decide(kind: Ending['kind'], reason: string): Ending {
    if (this.#closeFrame === null && this.ws.readyState === WebSocket.CLOSING) this.#closeFrame = this.#beforeLastChunk();
    return { kind, reason, at: this.clock(), lastRecvAt: this.lastRecvAt, lastSentAt: this.lastSentAt };
  }

  /** The wire before the latest chunk: a frame that came in it was received at that instant. */
  #beforeLastChunk(): Snapshot {
    return { at: this.chunkAt, lastRecvAt: Math.max(this.chunkRecvBefore, this.#lastFrameAt), lastSentAt: this.chunkSentBefore };
  }

  closed(code: number, reasonBuf: Buffer): void {
    const reason = reasonBuf.toString('utf8');
    const echo = this.#profile?.echoStats?.();
    this.#profile?.stop();
    this.#profile = null;
    this.#deps.stop.removeEventListener('abort', this.stop);
    this.#socket.destroy();
    this.#tcp.destroy();

    // Who ended it, and when: the earliest sign on the wire, not when ws got round to 'close'.
    const closedAt = this.clock();
    let endKind: EndKind;
    let endAt: number;
    let lastRecvAt = this.lastRecvAt;
    let lastSentAt = this.lastSentAt;
    const end = this.#ending;
    const frame = this.#closeFrame;
    if (end && (end.kind === 'pong_timeout' || frame === null || frame.at > end.at)) {
      endKind = end.kind;
      ({ at: endAt, lastRecvAt, lastSentAt } = end);
    } else if (code !== 1006) {
      // Not seen arriving (ws parsed it later than its chunk): the last chunk carried it.
      const f = frame ?? this.#beforeLastChunk();
      endKind = 'close_frame';
      ({ at: endAt, lastRecvAt, lastSentAt } = f);
    } else if (this.resetAt !== null) {
      endKind = 'tcp_reset';
      endAt = this.resetAt;
    } else if (this.finAt !== null) {
      endKind = 'tcp_fin';
      endAt = this.finAt;
    } else {
      endKind = 'error';
      endAt = closedAt;
    }
    const summary = this.#rtt?.summary();
    const openAt = this.#openAt;
    const closeReason = (reason || end?.reason || '').slice(0, 123);
    this.#deps.emit({
      type: 'session.ended',
      id: randomUUID(),
      sessionId: this.#sessionId,
      path: this.#path,
      attemptedAt: this.#attemptedAt,
      endedAt: new Date(this.#deps.wall().getTime() - (closedAt - endAt)).toISOString(),
      durationMs: round(Math.max(0, endAt - openAt)),
      sinceLastRecvMs: round(Math.max(0, endAt - lastRecvAt)),
      sinceLastSentMs: round(Math.max(0, endAt - lastSentAt)),
      closeCode: code,
      ...(closeReason && { closeReason }),
      endKind,
      ...(this.socketErrorCode && { errorCode: this.socketErrorCode }),
      bytesIn: this.#tcp.bytesRead,
      bytesOut: this.#tcp.bytesWritten,
      messagesIn: this.#messagesIn,
      messagesOut: this.#messagesOut,
      ...(summary && { rtt: summary }),
      ...(echo && { echo }),
    });
    const done = this.#done;
    this.#done = null;
    done?.({ sessionId: this.#sessionId, opened: true, lifetimeMs: endAt - openAt, endKind, closeCode: code, ...(closeReason && { closeReason }) });
  }
}

// ---- listeners shared by every session: `this` is the emitter, the session is on it.

function onChunk(this: Tagged): void {
  const s = this[kSession];
  if (!s) return;
  const at = s.clock();
  s.chunkAt = at;
  s.chunkRecvBefore = s.lastRecvAt;
  s.chunkSentBefore = s.lastSentAt;
  s.lastRecvAt = at;
}

function onFin(this: Tagged): void {
  const s = this[kSession];
  if (s) s.finAt ??= s.clock();
}

function onSocketError(this: Tagged, err: NodeJS.ErrnoException): void {
  const s = this[kSession];
  if (!s) return;
  s.socketErrorCode ??= err.code ?? 'PROBE_ERR_SOCKET';
  if (err.code === 'ECONNRESET' || err.code === 'EPIPE') s.resetAt ??= s.clock();
}

// Three named parameters, not a rest array: ws writes every frame through here.
function meteredWrite(this: Socket & Tagged, chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
  const s = this[kSession];
  if (s) s.lastSentAt = s.clock();
  return (protoWrite as (c: unknown, e?: unknown, cb?: unknown) => boolean).call(this, chunk, encoding, cb);
}

// ws emits these synchronously from its 'data' handler, after onChunk has dated the chunk.
function onMessage(this: WebSocket, data: WebSocket.RawData, isBinary: boolean): void {
  (this as Tagged)[kSession]?.messageArrived(data, isBinary);
}

function onFrame(this: WebSocket): void {
  (this as Tagged)[kSession]?.frameArrived();
}

function onPong(this: WebSocket, data: Buffer): void {
  (this as Tagged)[kSession]?.pongArrived(data);
}

function onClose(this: WebSocket, code: number, reason: Buffer): void {
  (this as Tagged)[kSession]?.closed(code, reason);
}

/** ws's 'error' after the upgrade (a protocol error): ws closes the socket itself; make sure. */
export function onSessionError(this: WebSocket): void {
  this.terminate();
}

function closePolitely(ws: WebSocket, code: number, reason: string): void {
  ws.close(code, reason);
  // A peer that never answers our close frame must not hold the canary for ws's 30 s.
  setTimeout(() => ws.terminate(), 2000).unref();
}
