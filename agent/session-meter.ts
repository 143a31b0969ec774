/**
 * What one open WebSocket did on the wire: last byte received and sent (monotonic), and
 * how the socket ended as seen below WebSocket. `ws` reports both a FIN and an RST from a
 * middle layer as close code 1006 (and emits no 'error' on RST), so we listen on the raw
 * TCP socket to the first hop, where they can be told apart.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { MonotonicClock } from './dial/dial';

export class SessionMeter {
  lastRecvAt: number;
  lastSentAt: number;
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
    tcp.on('data', () => {
      this.lastRecvAt = clock();
    });
    tcp.once('end', () => {
      this.finAt ??= clock();
    });
    tcp.on('error', (err: NodeJS.ErrnoException) => {
      this.socketErrorCode ??= err.code ?? 'PROBE_ERR_SOCKET';
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') this.resetAt ??= clock();
    });
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
