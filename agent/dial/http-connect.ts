/**
 * The HTTP CONNECT handshake on an already-connected socket. Written here rather than
 * taken from https-proxy-agent because we must time the handshake on its own and keep
 * the proxy's refusal (status line, identifying headers, the words of its body) apart from
 * the target's answer: the agent hides both.
 */
import type { Duplex } from 'node:stream';
import { DialError } from './errors';
import { bodyExcerpt, pickHeaders, readRawBody, REFUSAL_HEADERS } from './refusal';

const MAX_HEAD = 16 * 1024;

export interface ConnectReply {
  statusLine: string;
  headers: Record<string, string>;
}

export function httpConnect(socket: Duplex, target: { host: string; port: number }, auth: { username: string; password: string } | null, signal: AbortSignal): Promise<ConnectReply> {
  const authority = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
  const lines = [`CONNECT ${authority} HTTP/1.1`, `Host: ${authority}`];
  if (auth) lines.push(`Proxy-Authorization: Basic ${Buffer.from(`${decodeURIComponent(auth.username)}:${decodeURIComponent(auth.password)}`).toString('base64')}`);
  socket.write(lines.join('\r\n') + '\r\n\r\n');

  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onError);
      signal.removeEventListener('abort', onAbort);
    };
    const fail = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onAbort = () => fail(new DialError('dial_failed', 'proxy', 'ETIMEDOUT', 'proxy: no CONNECT reply before the dial timeout'));
    const onEnd = () => fail(new DialError('proxy_refused', 'proxy', 'PROBE_ERR_PROXY_CLOSED', 'proxy: closed the connection without a CONNECT reply', 'connection closed'));
    const onError = (err: NodeJS.ErrnoException) => fail(new DialError('dial_failed', 'proxy', err.code ?? 'PROBE_ERR_DIAL', `proxy: ${err.message}`));
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) {
        if (head.length > MAX_HEAD) fail(new DialError('proxy_refused', 'proxy', 'PROBE_ERR_PROXY_REPLY', 'proxy: CONNECT reply head too large', 'oversized reply'));
        return;
      }
      cleanup();
      const rest = head.subarray(end + 4);
      const [statusLine = '', ...headerLines] = head.subarray(0, end).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of headerLines) {
        const i = l.indexOf(':');
        if (i <= 0) continue;
        const name = l.slice(0, i).trim().toLowerCase();
        const value = l.slice(i + 1).trim();
        headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
      }
      const status = Number(/^HTTP\/\d(?:\.\d)?\s+(\d{3})/.exec(statusLine)?.[1] ?? NaN);
      if (status >= 200 && status < 300) {
        socket.pause();
        // Bytes after the head already belong to the tunnel (a server that speaks first).
        if (rest.length > 0) socket.unshift(rest);
        resolve({ statusLine, headers });
        return;
      }
      // A refusal: the bytes after the head are its body (squid's error page). Keep what
      // came with the head, and wait a moment only if the head says more is on its way.
      const server = headers.server ? ` (Server: ${headers.server})` : '';
      const refuse = (body: Buffer) => {
        const excerpt = bodyExcerpt(body, headers['content-type']);
        reject(
          new DialError(
            'proxy_refused',
            'proxy',
            Number.isFinite(status) ? `PROXY_HTTP_${status}` : 'PROBE_ERR_PROXY_REPLY',
            `proxy refused CONNECT: ${statusLine}${server}`,
            `${statusLine}${server}`.slice(0, 256),
            { responseHeaders: pickHeaders(headers, REFUSAL_HEADERS), ...(excerpt && { bodyExcerpt: excerpt }) },
          ),
        );
      };
      if (signal.aborted) return refuse(rest);
      const onAbortBody = () => refuse(rest);
      signal.addEventListener('abort', onAbortBody, { once: true });
      void readRawBody(socket, rest, headers).then((body) => {
        signal.removeEventListener('abort', onAbortBody);
        refuse(body);
      });
    };
    signal.addEventListener('abort', onAbort, { once: true });
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('error', onError);
  });
}
