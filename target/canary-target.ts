/**
 * The canary target: a WebSocket endpoint that echoes messages, answers pings, tells the
 * probe which address it sees (the egress of the proxy chain, in a 101 response header:
 * no frame is sent, so idle canaries stay idle), and records its own view of each
 * session's end, keyed by the probe's session id. Seen from both ends, a drop says where
 * it happened: a close frame reached the target (something spoke WebSocket to it), its
 * socket ended at the same instant (a middle layer closed both sides), or nothing at all
 * (a black hole in between).
 */
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { TargetSessionEnded } from '../lib/contracts/ingest';

export const SESSION_HEADER = 'x-dropscope-session';
export const PEER_HEADER = 'x-dropscope-peer';
export const TARGET_HEADER = 'x-dropscope-target';

export interface CanaryTargetOptions {
  /** The name the target reports (and sends in a header), e.g. "builtin" or "eu-behind-cdn". */
  name: string;
  /** URL path served, default /canary. */
  path?: string;
  /** Receives the target's view when a session that carried a session id ends. */
  onSessionEnded(view: Omit<TargetSessionEnded, 'type' | 'id'>): void;
  clock?: () => number;
  wall?: () => Date;
  /** Largest message accepted (echo canaries test large frames). */
  maxPayload?: number;
}

export interface CanaryTarget {
  /** Handle an upgrade if it is ours; returns false to let another handler have it. */
  handleUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): boolean;
  /** Sessions open right now. */
  openSessions(): number;
  /**
   * Stop serving canaries for `forMs` (an outage on demand, for trying alerts): open
   * canaries get a close frame 1001, and each new one is closed right after its upgrade
   * with 1013 (try again later). Serving resumes by itself.
   */
  pause(forMs: number): { pausedUntil: Date };
  resume(): void;
  /** When a pause ends; null while serving. */
  pausedUntil(): Date | null;
  close(): Promise<void>;
}

const SESSION_ID = /^[A-Za-z0-9_-]{8,64}$/;

export function createCanaryTarget(options: CanaryTargetOptions): CanaryTarget {
  const clock = options.clock ?? (() => performance.now());
  const wall = options.wall ?? (() => new Date());
  const path = options.path ?? '/canary';
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: options.maxPayload ?? 64 * 1024 * 1024 });

  wss.on('headers', (headers, req) => {
    headers.push(`${PEER_HEADER}: ${peerOf(req)}`, `${TARGET_HEADER}: ${options.name}`);
  });

  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    const raw = req.headers[SESSION_HEADER];
    const sessionId = typeof raw === 'string' && SESSION_ID.test(raw) ? raw : null;
    const socket = req.socket;
    const openedAt = wall();
    const openAt = clock();
    let lastRecvAt = openAt;
    let lastSentAt = openAt;
    let finAt: number | null = null;
    let resetAt: number | null = null;
    let closeFrameAt: number | null = null;
    let messagesIn = 0;
    let messagesOut = 0;
    socket.on('data', () => {
      const at = clock();
      lastRecvAt = at;
      queueMicrotask(() => {
        if (closeFrameAt === null && ws.readyState === ws.CLOSING) closeFrameAt = at;
      });
    });
    socket.once('end', () => (finAt ??= clock()));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') resetAt ??= clock();
    });
    ws.on('message', (data, isBinary) => {
      messagesIn += 1;
      lastSentAt = clock();
      ws.send(data, { binary: isBinary });
      messagesOut += 1;
    });
    ws.on('error', () => {
      // A reset or a protocol error: the 'close' below records it.
    });
    ws.once('close', (code, reason) => {
      if (!sessionId) return;
      const closedAt = clock();
      const closeFrame = code !== 1006;
      const endAt = closeFrame ? (closeFrameAt ?? lastRecvAt) : (resetAt ?? finAt ?? closedAt);
      options.onSessionEnded({
        sessionId,
        target: options.name,
        peerAddress: peerOf(req),
        openedAt: openedAt.toISOString(),
        endedAt: new Date(wall().getTime() - (closedAt - endAt)).toISOString(),
        durationMs: round(endAt - openAt),
        closeFrameReceived: closeFrame,
        ...(closeFrame && { closeCode: code }),
        ...(closeFrame && reason.length > 0 && { closeReason: reason.toString('utf8').slice(0, 123) }),
        endKind: closeFrame ? 'close_frame' : resetAt !== null ? 'tcp_reset' : finAt !== null ? 'tcp_fin' : 'error',
        sinceLastRecvMs: round(Math.max(0, endAt - lastRecvAt)),
        sinceLastSentMs: round(Math.max(0, endAt - lastSentAt)),
        messagesIn,
        messagesOut,
      });
    });
  });

  let pausedUntil: Date | null = null;
  let resumeTimer: NodeJS.Timeout | null = null;
  const resume = () => {
    if (resumeTimer) clearTimeout(resumeTimer);
    resumeTimer = null;
    pausedUntil = null;
  };

  return {
    handleUpgrade(req, socket, head) {
      const url = new URL(req.url ?? '/', 'http://target');
      if (url.pathname !== path) return false;
      if (pausedUntil) {
        // Accepted, then closed at once: each reconnect of a canary is one more drop, so an
        // outage stays visible to drop-rate alerts for as long as it lasts.
        wss.handleUpgrade(req, socket, head, (ws) => ws.close(1013, 'target paused'));
        return true;
      }
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
      return true;
    },
    openSessions: () => wss.clients.size,
    pause(forMs) {
      resume();
      pausedUntil = new Date(wall().getTime() + forMs);
      resumeTimer = setTimeout(resume, forMs);
      resumeTimer.unref();
      for (const c of wss.clients) c.close(1001, 'target paused');
      return { pausedUntil };
    },
    resume,
    pausedUntil: () => pausedUntil,
    close: () =>
      new Promise((resolve) => {
        resume();
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}

/** Serve the target on an HTTP server of its own (standalone mode and tests). */
export function attachCanaryTarget(server: HttpServer, target: CanaryTarget): void {
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    if (!target.handleUpgrade(req, socket, head)) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    }
  });
}

function peerOf(req: IncomingMessage): string {
  const a = req.socket.remoteAddress ?? 'unknown';
  return (a.startsWith('::ffff:') ? a.slice(7) : a).slice(0, 64);
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;
