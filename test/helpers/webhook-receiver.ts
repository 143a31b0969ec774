/**
 * A real webhook receiver on 127.0.0.1 for the tests: it records every request, checks
 * each signature by recomputing the HMAC with the endpoint's secret, and can be down on
 * demand, answering 503 or not listening at all (connection refused), then back on the
 * same port. It can also listen elsewhere on loopback (127.0.0.2, ::1), speak TLS, and
 * answer every request with a redirect; it counts connections, so a test can assert that
 * nothing even connected.
 *
 * The server refuses internal addresses unless DROPSCOPE_OUTBOUND_ALLOW lets them: a test
 * that delivers here sets it (RECEIVER_ALLOW), or passes the allow list in process.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

/** DROPSCOPE_OUTBOUND_ALLOW for a server that delivers to a receiver on 127.0.0.1. */
export const RECEIVER_ALLOW = '127.0.0.1/32';

export interface ReceivedWebhook {
  path: string;
  id: string;
  timestamp: number;
  signature: string;
  body: string;
  /** What the receiver answered. */
  answered: number;
  receivedAt: number;
  /** The Host header. */
  host: string;
  /** The TLS server name the client sent (SNI), for a TLS receiver. */
  servername: string | null;
}

export type ReceiverMode = 'up' | '503' | 'closed';

export interface ReceiverOptions {
  /** The address to listen on (default 127.0.0.1). */
  host?: string;
  /** The port (default: a free one). */
  port?: number;
  /** Serve HTTPS with this key and certificate. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Answer every request 302 with this Location. */
  redirectTo?: string;
}

export interface WebhookReceiver {
  url: string;
  port: number;
  received: ReceivedWebhook[];
  /** TCP connections accepted so far. */
  connections: number;
  /** Secrets by URL path, to verify signatures with. */
  secrets: Map<string, string>;
  setMode(mode: ReceiverMode): Promise<void>;
  close(): Promise<void>;
}

/** Standard Webhooks: v1,base64(HMAC-SHA256(base64-decoded secret, id.timestamp.body)). */
export function expectedSignature(secret: string, id: string, timestamp: number, body: string): string {
  return 'v1,' + createHmac('sha256', Buffer.from(secret.replace(/^whsec_/, ''), 'base64')).update(`${id}.${timestamp}.${body}`).digest('base64');
}

export async function startWebhookReceiver(options: ReceiverOptions = {}): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const secrets = new Map<string, string>();
  const sockets = new Set<Socket>();
  const listenHost = options.host ?? '127.0.0.1';
  let mode: ReceiverMode = 'up';
  let port = options.port ?? 0;
  let connections = 0;

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answered = options.redirectTo ? 302 : mode === 'up' ? 200 : 503;
      received.push({
        path: req.url ?? '/',
        id: String(req.headers['webhook-id'] ?? ''),
        timestamp: Number(req.headers['webhook-timestamp']),
        signature: String(req.headers['webhook-signature'] ?? ''),
        body: Buffer.concat(chunks).toString('utf8'),
        answered,
        receivedAt: Date.now(),
        host: String(req.headers.host ?? ''),
        servername: (req.socket as TLSSocket).servername || null,
      });
      if (options.redirectTo) res.writeHead(302, { location: options.redirectTo, 'content-type': 'text/plain' }).end(`moved to ${options.redirectTo}`);
      else res.writeHead(answered, { 'content-type': 'text/plain' }).end(answered === 200 ? 'ok' : 'receiver down for maintenance');
    });
  };
  let server: Server | null = null;
  const listen = async () => {
    server = options.tls ? createTlsServer({ key: options.tls.key, cert: options.tls.cert }, handler) : createServer(handler);
    // Counted at TCP accept, before any TLS handshake: "nothing connected" means nothing.
    server.on('connection', (s: Socket) => {
      connections++;
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(port, listenHost, resolve);
    });
    const a = server.address();
    port = typeof a === 'object' && a ? a.port : port;
  };
  const shut = async () => {
    if (!server) return;
    const s = server;
    server = null;
    for (const sock of sockets) sock.destroy();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await listen();

  const urlHost = listenHost.includes(':') ? `[${listenHost}]` : listenHost;
  return {
    get url() {
      return `${options.tls ? 'https' : 'http'}://${urlHost}:${port}`;
    },
    get port() {
      return port;
    },
    get connections() {
      return connections;
    },
    received,
    secrets,
    async setMode(next) {
      if (next === 'closed') await shut();
      else if (!server) await listen();
      mode = next;
    },
    close: shut,
  };
}

/** Poll `check` every 100 ms until it returns true; fail after `timeoutMs` with `what`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
