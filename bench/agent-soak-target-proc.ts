/**
 * Child of bench/agent-soak.ts: everything the soaking probe talks to, on 127.0.0.1, in a
 * process of its own (its memory is not the probe's).
 *
 * One HTTP server, by path:
 *   /canary           the real canary target: steady sessions
 *   /503              answers the upgrade with HTTP 503 and a short body
 *   /cut              accepts the upgrade and cuts the session after 1 s, in turn by TCP
 *                     reset (socket.resetAndDestroy), by FIN (socket.end), by a 1001 close frame
 *   /silent           accepts the upgrade, then never sends a byte: no pong, so heartbeat
 *                     canaries end by their pong timeout
 *   POST /api/v1/ingest
 *                     the ingest sink: reads the (gzip) body, answers 200
 *                     {"accepted": n, "duplicates": 0}, so the probe's spool is acked
 * and two ports beside it:
 *   black hole        accepts TCP and never answers the upgrade (the probe's dial timeout ends it)
 *   refused           a port that was free a moment ago and that nothing listens on (ECONNREFUSED)
 *
 * Tells the parent the ports; answers `stats`.
 */
import { createServer, type IncomingMessage } from 'node:http';
import net from 'node:net';
import { promisify } from 'node:util';
import { gunzip as gunzipCallback } from 'node:zlib';
import { WebSocketServer } from 'ws';
import { createCanaryTarget } from '../target/canary-target';
import { serve, tell } from './child-ipc';

const gunzip = promisify(gunzipCallback);
const CUT_AFTER_MS = 1000;
const HOST = '127.0.0.1';

const counts = { ingestRequests: 0, ingestEvents: 0, ingestErrors: 0, refused503: 0, cuts: 0, cutReset: 0, cutFin: 0, cutFrame: 0, silent: 0, blackHoled: 0, steadyEnded: 0 };

const steady = createCanaryTarget({ name: 'steady', onSessionEnded: () => (counts.steadyEnded += 1) });
const cut = new WebSocketServer({ noServer: true, perMessageDeflate: false });
const silent = new WebSocketServer({ noServer: true, perMessageDeflate: false, autoPong: false });

cut.on('connection', (ws, req) => {
  const socket = req.socket;
  const how = counts.cuts++ % 3;
  const timer = setTimeout(() => {
    if (how === 0) {
      counts.cutReset += 1;
      socket.resetAndDestroy();
    } else if (how === 1) {
      counts.cutFin += 1;
      socket.end();
    } else {
      counts.cutFrame += 1;
      ws.close(1001, 'going away');
    }
  }, CUT_AFTER_MS);
  ws.on('error', () => {});
  ws.once('close', () => clearTimeout(timer));
});
silent.on('connection', (ws) => {
  counts.silent += 1;
  ws.on('error', () => {});
});

async function ingest(req: IncomingMessage): Promise<number> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  const body = req.headers['content-encoding'] === 'gzip' ? await gunzip(raw) : raw;
  const { events } = JSON.parse(body.toString('utf8')) as { events: unknown[] };
  if (!Array.isArray(events)) throw new TypeError('body without an events array');
  return events.length;
}

const server = createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/api/v1/ingest') {
    ingest(req).then(
      (n) => {
        counts.ingestRequests += 1;
        counts.ingestEvents += n;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: n, duplicates: 0 }));
      },
      (err: Error) => {
        counts.ingestErrors += 1;
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'BENCH_SINK', message: err.message } }));
      },
    );
    return;
  }
  res.writeHead(404).end();
});

server.on('upgrade', (req: IncomingMessage, socket: net.Socket, head: Buffer) => {
  socket.on('error', () => {});
  const path = new URL(req.url ?? '/', 'http://target').pathname;
  if (path === '/canary' && steady.handleUpgrade(req, socket, head)) return;
  if (path === '/cut') return cut.handleUpgrade(req, socket, head, (ws) => cut.emit('connection', ws, req));
  if (path === '/silent') return silent.handleUpgrade(req, socket, head, (ws) => silent.emit('connection', ws, req));
  if (path === '/503') {
    counts.refused503 += 1;
    const body = 'upstream unavailable (bench)\n';
    socket.end(`HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
    return;
  }
  socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
});

const blackHole = net.createServer((socket) => {
  counts.blackHoled += 1;
  // Read and drop what comes (the upgrade request); answer nothing; let go when the probe does.
  socket.resume();
  socket.on('error', () => socket.destroy());
  socket.on('end', () => socket.destroy());
});

const listen = (s: net.Server) => new Promise<number>((resolve) => s.listen(0, HOST, 1024, () => resolve((s.address() as net.AddressInfo).port)));

async function main(): Promise<void> {
  const port = await listen(server);
  const blackHolePort = await listen(blackHole);
  // A port that was free: bound, then released. Nothing listens there now.
  const probe = net.createServer();
  const refusedPort = await listen(probe);
  await new Promise((r) => probe.close(r));
  serve({
    stats: () => ({ ...counts, steadyOpen: steady.openSessions(), cutOpen: cut.clients.size, silentOpen: silent.clients.size }),
  });
  tell('ready', { port, blackHolePort, refusedPort });
}

main().catch((err: unknown) => {
  process.stderr.write(`agent-soak-target-proc: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
