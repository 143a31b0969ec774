/**
 * Dialing a canary's first hop and tunnel, phase by phase: DNS, TCP to the first hop, the
 * proxy handshake (HTTP CONNECT or SOCKS), TLS to the target. Each phase is timed on the
 * monotonic clock; the WebSocket upgrade then runs over the returned socket.
 *
 * We dial ourselves instead of using proxy agents because an agent reports one opaque
 * connect time and one opaque error; the SRE needs to know which hop answered what.
 */
import { lookup } from 'node:dns/promises';
import { isIP, Socket, connect as netConnect } from 'node:net';
import { readFileSync } from 'node:fs';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { SocksClient } from 'socks';
import type { ProxyConfig, TargetConfig } from '../config';
import { asDialError, DialError, type DialPhase } from './errors';
import { httpConnect } from './http-connect';
import { pickHeaders, PROXY_IDENTITY_HEADERS } from './refusal';

export interface DialTimings {
  dnsMs?: number;
  tcpMs?: number;
  proxyMs?: number;
  tlsMs?: number;
}

export interface Dialed {
  /**
   * The socket the WebSocket runs on (TLS to the target for wss://). It may be paused
   * (after a proxy handshake): resume it once its reader is attached.
   */
  socket: Socket | TLSSocket;
  /** The TCP socket to the first hop: where FIN and RST show up. */
  tcp: Socket;
  timings: DialTimings;
  /** A forward proxy's identifying headers from its CONNECT reply (none for SOCKS and direct). */
  proxyHeaders: Record<string, string>;
}

export type MonotonicClock = () => number;

/** Dial `target` through `proxy`. Rejects with a DialError; the timings so far are on `timings`. */
export async function dial(target: TargetConfig, proxy: ProxyConfig, options: { signal: AbortSignal; clock: MonotonicClock; timings: DialTimings }): Promise<Dialed> {
  const { signal, clock, timings } = options;
  const url = new URL(target.url);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || (url.protocol === 'wss:' ? 443 : 80));

  const phase = async <T>(name: DialPhase, key: keyof DialTimings | null, fn: () => Promise<T>): Promise<T> => {
    const t0 = clock();
    try {
      return await fn();
    } catch (err) {
      // A refusal that arrived in time stays a refusal even if the deadline passed while its
      // body was being read.
      const refused = err instanceof DialError && err.outcome === 'proxy_refused';
      throw asDialError(signal.aborted && !refused ? Object.assign(new Error(`no answer within the dial timeout`), { code: 'ETIMEDOUT' }) : err, name);
    } finally {
      if (key) timings[key] = round((timings[key] ?? 0) + clock() - t0);
    }
  };

  const firstHop = proxy.url ? { host: proxy.url.hostname.replace(/^\[|\]$/g, ''), port: Number(proxy.url.port || defaultProxyPort(proxy)) } : { host, port };
  const resolveLocally = proxy.kind === 'direct' || proxy.kind === 'http' || proxy.kind === 'https' ? false : !proxy.remoteDns;

  const hopAddress = await phase('dns', 'dnsMs', () => resolve(firstHop.host));
  // socks4 / socks5 without the h: the probe resolves the target's name, as a client would.
  const targetAddress = resolveLocally ? await phase('dns', 'dnsMs', () => resolve(host)) : host;

  const tcp = await phase('tcp', 'tcpMs', () => connectTcp(hopAddress, firstHop.port, signal));
  try {
    let tunnel: Socket | TLSSocket = tcp;
    let proxyHeaders: Record<string, string> = {};
    if (proxy.kind !== 'direct') {
      ({ tunnel, proxyHeaders } = await phase('proxy', 'proxyMs', () => proxyHandshake(proxy, tcp, { host: targetAddress, port }, signal)));
    }
    if (url.protocol === 'wss:') {
      // The proxy handshake leaves the tunnel paused so no byte is lost before its next
      // reader attaches; TLS is that reader here.
      tunnel.resume();
      tunnel = await phase('tls', 'tlsMs', () => tlsHandshake(tunnel, host, target, signal));
    }
    return { socket: tunnel, tcp, timings, proxyHeaders };
  } catch (err) {
    tcp.destroy();
    throw err;
  }
}

function defaultProxyPort(proxy: ProxyConfig): number {
  return proxy.kind === 'https' ? 443 : proxy.kind === 'http' ? 80 : 1080;
}

async function resolve(host: string): Promise<string> {
  if (isIP(host)) return host;
  return (await lookup(host)).address;
}

function connectTcp(host: string, port: number, signal: AbortSignal): Promise<Socket> {
  return new Promise((resolveSocket, reject) => {
    const socket = netConnect({ host, port, noDelay: true });
    const onAbort = () => {
      socket.destroy();
      reject(Object.assign(new Error(`connect to ${host}:${port} timed out`), { code: 'ETIMEDOUT' }));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const onError = (err: Error) => {
      signal.removeEventListener('abort', onAbort);
      reject(err);
    };
    socket.once('connect', () => {
      signal.removeEventListener('abort', onAbort);
      settledListener(socket, onError);
      resolveSocket(socket);
    });
    socket.once('error', onError);
  });
}

async function proxyHandshake(proxy: ProxyConfig, tcp: Socket, target: { host: string; port: number }, signal: AbortSignal): Promise<{ tunnel: Socket | TLSSocket; proxyHeaders: Record<string, string> }> {
  const url = proxy.url!;
  if (proxy.kind === 'http' || proxy.kind === 'https') {
    const hop = proxy.kind === 'https' ? await tlsHandshake(tcp, url.hostname.replace(/^\[|\]$/g, ''), { tls: { verify: true } }, signal) : tcp;
    const reply = await httpConnect(hop, target, url.username ? { username: url.username, password: url.password } : null, signal);
    return { tunnel: hop, proxyHeaders: pickHeaders(reply.headers, PROXY_IDENTITY_HEADERS) };
  }
  // The socks library has its own timeout but no abort signal: destroying the socket is
  // what makes it give up when the dial deadline passes or the probe stops.
  const onAbort = () => tcp.destroy(Object.assign(new Error('no SOCKS reply within the dial timeout'), { code: 'ETIMEDOUT' }));
  signal.addEventListener('abort', onAbort, { once: true });
  // The library reports a refusal only in words; the proxy's bytes say which step refused
  // and with which reply code. Watched beside the library, never consumed.
  const wire = new SocksWire(proxy.kind === 'socks4' ? 4 : 5);
  const watch = (chunk: Buffer) => wire.add(chunk);
  tcp.on('data', watch);
  try {
    if (signal.aborted) onAbort();
    await SocksClient.createConnection({
      proxy: {
        host: url.hostname,
        port: Number(url.port || 1080),
        type: proxy.kind === 'socks4' ? 4 : 5,
        ...(url.username && { userId: decodeURIComponent(url.username) }),
        ...(url.password && { password: decodeURIComponent(url.password) }),
      },
      destination: { host: target.host, port: target.port },
      command: 'connect',
      existing_socket: tcp,
      timeout: 60_000,
    });
    return { tunnel: tcp, proxyHeaders: {} };
  } catch (err) {
    const message = (err as Error).message;
    // The socks library reports refusals only in its message ("Socks5 proxy rejected
    // connection - NotAllowed"); a socket error carries a code.
    if ((err as NodeJS.ErrnoException).code) throw err;
    if (signal.aborted) throw Object.assign(new Error('no SOCKS reply within the dial timeout'), { code: 'ETIMEDOUT' });
    const refused = wire.refusal();
    // A refused login, told by the proxy's own RFC 1929 status byte: the library can report
    // it as an "internal error" when the proxy sends more than the two bytes of the status
    // (simple-socks echoes the whole request back).
    if (refused?.step === 'auth') {
      throw new DialError('proxy_refused', 'proxy', 'SOCKS_AUTH_FAILED', `proxy refused the credentials (SOCKS5 username/password status ${refused.code}): ${message}`, `Socks5 authentication failed (status ${refused.code})`);
    }
    // A proxy that hangs up mid-handshake (a refused login, typically) surfaces from the
    // library as an "internal error" or a closed socket: still the proxy's refusal.
    if (/internal error|socket closed|closed/i.test(message)) {
      throw new DialError('proxy_refused', 'proxy', 'SOCKS_CLOSED', `proxy closed the connection during the SOCKS handshake${url.password ? ' (credentials refused?)' : ''}: ${message}`, `connection closed during the SOCKS handshake: ${message}`.slice(0, 256));
    }
    // The reply's number goes into the message only: errorCode and proxyReply keep the
    // library's words, which name the same reply one to one and are what reports group by.
    const number = refused ? ` (${refused.step === 'method' ? 'method selection' : `SOCKS${wire.version} reply`} ${refused.code})` : '';
    const reply = /rejected|failed|NotAllowed|Refused|Unreachable|auth/i.test(message) ? message : undefined;
    if (reply) throw new DialError('proxy_refused', 'proxy', socksCode(message), `proxy refused: ${message}${number}`, reply.slice(0, 256));
    throw new DialError('dial_failed', 'proxy', 'PROBE_ERR_SOCKS', `proxy: ${message}${number}`);
  } finally {
    tcp.off('data', watch);
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * The proxy's side of a SOCKS handshake, as far as it went: which step refused, with which
 * code. SOCKS5: method selection [5, method], then for username/password [1, status], then
 * the reply [5, REP, ...]; SOCKS4: [0, CD, ...].
 */
class SocksWire {
  private bytes = Buffer.alloc(0);

  constructor(readonly version: 4 | 5) {}

  add(chunk: Buffer): void {
    // The handshake's answers are a few bytes; keep no more than it can need.
    if (this.bytes.length < 64) this.bytes = Buffer.concat([this.bytes, chunk]).subarray(0, 64);
  }

  refusal(): { step: 'method' | 'auth' | 'reply'; code: number } | undefined {
    const b = this.bytes;
    if (this.version === 4) return b.length >= 2 && b[1] !== 90 ? { step: 'reply', code: b[1]! } : undefined;
    if (b.length < 2) return undefined;
    const method = b[1]!;
    if (method === 0xff) return { step: 'method', code: method };
    let at = 2;
    if (method === 0x02) {
      if (b.length < 4) return undefined;
      if (b[3] !== 0) return { step: 'auth', code: b[3]! };
      at = 4;
    }
    return b.length >= at + 2 && b[at + 1] !== 0 ? { step: 'reply', code: b[at + 1]! } : undefined;
  }
}

function socksCode(message: string): string {
  // "Socks5 proxy rejected connection - NotAllowed", "Socks4 Proxy rejected connection - (Failed)"
  const reply = / - \(?(\w+)\)?$/.exec(message)?.[1];
  return reply ? `SOCKS_${reply.toUpperCase()}` : /auth/i.test(message) ? 'SOCKS_AUTH_FAILED' : 'SOCKS_REJECTED';
}

function tlsHandshake(socket: Socket | TLSSocket, host: string, target: Pick<TargetConfig, 'tls'>, signal: AbortSignal): Promise<TLSSocket> {
  return new Promise((resolveTls, reject) => {
    const servername = target.tls.servername ?? (isIP(host) ? undefined : host);
    const secure = tlsConnect({
      socket,
      servername,
      ALPNProtocols: ['http/1.1'],
      rejectUnauthorized: target.tls.verify,
      ...(target.tls.caFile && { ca: readFileSync(target.tls.caFile) }),
    });
    const onAbort = () => {
      secure.destroy();
      reject(Object.assign(new Error('TLS handshake timed out'), { code: 'ETIMEDOUT' }));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const onError = (err: Error) => {
      signal.removeEventListener('abort', onAbort);
      reject(err);
    };
    secure.once('secureConnect', () => {
      signal.removeEventListener('abort', onAbort);
      settledListener(secure, onError);
      resolveTls(secure);
    });
    secure.once('error', onError);
  });
}

/**
 * A phase's error listener, once the phase succeeded, would hold the whole dial (its
 * closures, the abort signal) for as long as the session lives: swap it for a shared one.
 * The socket keeps an error listener throughout: the next owner (the HTTP upgrade, then ws)
 * attaches its own a few ticks later, and an error in between must not crash the probe; it
 * shows as that owner's failure or close.
 */
function settledListener(socket: Socket | TLSSocket, phaseListener: (err: Error) => void): void {
  socket.off('error', phaseListener);
  socket.on('error', ignoreError);
}

export function ignoreError(): void {}

const round = (ms: number) => Math.round(ms * 1000) / 1000;
