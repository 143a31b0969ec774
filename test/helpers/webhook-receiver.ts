/**
 * A real webhook receiver on 127.0.0.1 for the tests: it records every request, checks
 * each signature by recomputing the HMAC with the endpoint's secret, and can be down on
 * demand, answering 503 or not listening at all (connection refused), then back on the
 * same port.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface ReceivedWebhook {
  path: string;
  id: string;
  timestamp: number;
  signature: string;
  body: string;
  /** What the receiver answered. */
  answered: number;
  receivedAt: number;
}

export type ReceiverMode = 'up' | '503' | 'closed';

export interface WebhookReceiver {
  url: string;
  port: number;
  received: ReceivedWebhook[];
  /** Secrets by URL path, to verify signatures with. */
  secrets: Map<string, string>;
  setMode(mode: ReceiverMode): Promise<void>;
  close(): Promise<void>;
}

/** Standard Webhooks: v1,base64(HMAC-SHA256(base64-decoded secret, id.timestamp.body)). */
export function expectedSignature(secret: string, id: string, timestamp: number, body: string): string {
  return 'v1,' + createHmac('sha256', Buffer.from(secret.replace(/^whsec_/, ''), 'base64')).update(`${id}.${timestamp}.${body}`).digest('base64');
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const secrets = new Map<string, string>();
  const sockets = new Set<Socket>();
  let mode: ReceiverMode = 'up';
  let port = 0;

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answered = mode === 'up' ? 200 : 503;
      received.push({
        path: req.url ?? '/',
        id: String(req.headers['webhook-id'] ?? ''),
        timestamp: Number(req.headers['webhook-timestamp']),
        signature: String(req.headers['webhook-signature'] ?? ''),
        body: Buffer.concat(chunks).toString('utf8'),
        answered,
        receivedAt: Date.now(),
      });
      res.writeHead(answered, { 'content-type': 'text/plain' }).end(answered === 200 ? 'ok' : 'receiver down for maintenance');
    });
  };
  let server: Server | null = null;
  const listen = async () => {
    server = createServer(handler);
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(port, '127.0.0.1', resolve);
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

  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
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
