/**
 * What one open WebSocket did on the wire: last byte received and sent (monotonic), and
 * how the socket ended as seen below WebSocket. `ws` reports both a FIN and an RST from a
 * middle layer as close code 1006 (and emits no 'error' on RST), so we listen on the
 * sockets themselves, where they can be told apart: 'end' is a FIN, 'error' ECONNRESET an RST.
 *
 * Which socket: for ws:// through no proxy or a plain one, the TCP socket to the first hop
 * is the one ws reads. TLS made over a connected TCP socket (wss://, an https:// proxy)
 * takes over its handle, and the TCP socket then emits neither 'data' nor 'end' nor
 * 'error' (its byte counts still move): there the TLS socket ws reads reports the bytes,
 * the FIN and the reset.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { MonotonicClock } from './dial/dial';

/** The wire as it stood when the latest chunk arrived, before anything reacted to it. */
export interface ChunkSnapshot {
  /** When the chunk arrived. */
  at: number;
  /** `lastRecvAt` before this chunk: the silence the chunk broke. */
  recvBefore: number;
  /** `lastSentAt` when the chunk arrived: before any answer to it (ws's close reply) was written. */
  sentBefore: number;
}

export class SessionMeter {
  lastRecvAt: number;
  lastSentAt: number;
  /** The latest chunk received; equal to the opening instant until one arrives. */
  lastChunk: ChunkSnapshot;
  finAt: number | null = null;
  resetAt: number | null = null;
  socketErrorCode: string | null = null;

  constructor(
    private readonly clock: MonotonicClock,
    private readonly tcp: Socket,
    top: Socket | TLSSocket,
    since: number,
  ) {
    this.lastRecvAt = since;
    this.lastSentAt = since;
    this.lastChunk = { at: since, recvBefore: since, sentBefore: since };
    // Prepended: ws's own 'data' listener was attached at the upgrade, and on a close frame
    // it writes its close reply from inside that listener. Running first is how the chunk is
    // seen as it arrived, with the sent side not yet touched by the reply.
    top.prependListener('data', () => {
      const at = clock();
      this.lastChunk = { at, recvBefore: this.lastRecvAt, sentBefore: this.lastSentAt };
      this.lastRecvAt = at;
    });
    for (const socket of tcp === top ? [tcp] : [tcp, top]) {
      socket.once('end', () => {
        this.finAt ??= clock();
      });
      socket.on('error', (err: NodeJS.ErrnoException) => {
        this.socketErrorCode ??= err.code ?? 'PROBE_ERR_SOCKET';
        if (err.code === 'ECONNRESET' || err.code === 'EPIPE') this.resetAt ??= clock();
      });
    }
    // There is no 'write' event; wrap write on the socket ws writes to, so pings, pongs,
    // messages and close frames all count as sent at the moment they are handed over.
    const write = top.write.bind(top) as (...args: unknown[]) => boolean;
    (top as { write: (...args: unknown[]) => boolean }).write = (...args: unknown[]) => {
      this.lastSentAt = clock();
      return write(...args);
    };
  }

  get bytesIn(): number {
    return this.tcp.bytesRead;
  }

  get bytesOut(): number {
    return this.tcp.bytesWritten;
  }
}
