/**
 * The drain with real parts in this process: an HTTP server with socket.io attached as
 * server.ts attaches it, socket.io clients, keep-alive connections, a request in flight,
 * an upgraded socket that never closes. The exit is injected.
 */
import { Agent, createServer, request, type Server } from 'node:http';
import { connect as tcpConnect, type AddressInfo, type Socket } from 'node:net';
import { Server as SocketServer } from 'socket.io';
import { io as ioClient, type Socket as ClientSocket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { capturedLog, type LogLine } from '../helpers/log-capture';
import { createShutdown, type Shutdown, type ShutdownPlan } from '../../server/shutdown';


interface Rig {
  http: Server;
  io: SocketServer;
  url: string;
  port: number;
  shutdown: Shutdown;
  exits: number[];
  /** The drain's log, parsed. */
  lines: LogLine[];
  /** Release the in-flight /slow request's answer. */
  finishSlow: () => void;
}

/** The drain's summary line. */
const summary = (r: Rig) => r.lines.find((l) => l.msg === 'shut down');

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function rig(options: { graceMs?: number; stepTimeoutMs?: number } = {}): Promise<Rig> {
  let finishSlow = () => {};
  const http = createServer((req, res) => {
    if (req.url === '/slow') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('half ');
      finishSlow = () => res.end('done');
      return;
    }
    if (req.url === '/upload') {
      let n = 0;
      req.on('data', (c: Buffer) => (n += c.length));
      req.on('end', () => res.end(`got ${n}`));
      return;
    }
    res.end('ok');
  });
  // Upgrades nobody answers stay open, as a canary's or an unanswered WebSocket would.
  http.on('upgrade', (req, socket: Socket) => {
    if (req.url === '/raw') socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: raw\r\nConnection: Upgrade\r\n\r\n');
  });
  const io = new SocketServer(http, { path: '/socket.io', serveClient: false, destroyUpgrade: false });
  const exits: number[] = [];
  const { log, lines } = capturedLog();
  // Longer than a test: only the drain may end an idle keep-alive connection.
  http.keepAliveTimeout = 60_000;
  // A long default grace: a connection that is not closed by the drain itself would make the
  // test time out instead of being destroyed at the end of the grace.
  // Likewise a long default step timeout: a step that closes (socket.io's io.close()) may take
  // more than a second on a loaded machine, and would then be left behind. The test of a step
  // left behind sets its own.
  const shutdown = createShutdown({ servers: [http], log, graceMs: options.graceMs ?? 20_000, stepTimeoutMs: options.stepTimeoutMs ?? 20_000, exit: (code) => exits.push(code) });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  cleanups.push(() => {
    io.close();
    http.closeAllConnections();
    http.close();
  });
  return { http, io, url: `http://127.0.0.1:${port}`, port, shutdown, exits, lines, finishSlow: () => finishSlow() };
}

function planFor(r: Rig, order: string[], extra: Partial<ShutdownPlan> = {}): ShutdownPlan {
  return {
    disconnectClients: () => {
      r.io.local.disconnectSockets(true);
      r.io.engine.close();
    },
    loops: [{ name: 'alerts', close: async () => void order.push('alerts') }],
    last: [
      { name: 'live', close: () => new Promise<void>((resolve) => r.io.close(() => resolve())).then(() => void order.push('live')) },
      { name: 'database', close: async () => void order.push('database') },
    ],
    ...extra,
  };
}

async function connectClients(url: string, n: number, transports: ('polling' | 'websocket')[]): Promise<{ sockets: ClientSocket[]; told: Promise<string>[] }> {
  const sockets: ClientSocket[] = [];
  const told: Promise<string>[] = [];
  for (let i = 0; i < n; i++) {
    const s = ioClient(url, { transports, reconnection: true, reconnectionDelay: 50 });
    cleanups.push(() => s.close());
    told.push(new Promise<string>((resolve) => s.once('disconnect', (reason) => resolve(reason))));
    await new Promise<void>((resolve, reject) => {
      s.once('connect', () => resolve());
      s.once('connect_error', reject);
    });
    sockets.push(s);
  }
  return { sockets, told };
}

/** A keep-alive HTTP request whose answer is read up to its first chunk. */
function startSlow(r: Rig): Promise<{ status: number; body: Promise<string> }> {
  return new Promise((resolve, reject) => {
    // A browser's way: the connection stays open for the next request once this one ends.
    const agent = new Agent({ keepAlive: true });
    cleanups.push(() => agent.destroy());
    const req = request(`${r.url}/slow`, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      let gotFirst = () => {};
      const first = new Promise<void>((ok) => (gotFirst = ok));
      const all = new Promise<string>((ok, fail) => {
        res.on('data', (c: string) => {
          body += c;
          gotFirst();
        });
        res.on('end', () => ok(body));
        res.on('error', fail);
        res.on('aborted', () => fail(new Error('aborted')));
      });
      void first.then(() => resolve({ status: res.statusCode!, body: all }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the shutdown drain', () => {
  it('tells socket.io clients to go, lets a request in flight finish, closes in order and exits 0', async () => {
    const r = await rig();
    const polling = await connectClients(r.url, 1, ['polling']);
    const ws = await connectClients(r.url, 2, ['websocket']);
    const slow = await startSlow(r);
    const order: string[] = [];
    const done = r.shutdown.run('SIGTERM', planFor(r, order));
    expect(r.shutdown.shuttingDown()).toBe(true);
    // The server no longer accepts.
    await expect(fetch(`${r.url}/`)).rejects.toThrow();
    setTimeout(() => r.finishSlow(), 100);
    await expect(done).resolves.toBe(0);
    expect(slow.status).toBe(200);
    await expect(slow.body).resolves.toBe('half done');
    // Told by the server, so socket.io-client does not reconnect.
    for (const reason of await Promise.all([...polling.told, ...ws.told])) expect(reason).toBe('io server disconnect');
    expect(order).toEqual(['alerts', 'live', 'database']);
    expect(r.exits).toEqual([0]);
    expect(r.shutdown.openConnections()).toBe(0);
    // Everyone left by being told or by finishing: nothing had to be destroyed.
    expect(summary(r)).toMatchObject({ code: 0, connectionsDestroyed: 0, loopsLeftBehind: 0 });
  });

  it('ends a keep-alive connection that goes idle after the drain began', async () => {
    const r = await rig();
    const slow = await startSlow(r);
    const done = r.shutdown.run('SIGTERM', planFor(r, []));
    setTimeout(() => r.finishSlow(), 50);
    await expect(slow.body).resolves.toBe('half done');
    await expect(done).resolves.toBe(0);
    // Closed as soon as it went idle, not destroyed at the end of the grace.
    expect(r.shutdown.openConnections()).toBe(0);
    expect(summary(r)).toMatchObject({ connectionsDestroyed: 0 });
  });

  it('destroys what is still open after the grace: a dribbling body, an upgraded socket', async () => {
    const r = await rig({ graceMs: 200 });
    const upgraded = tcpConnect(r.port, '127.0.0.1');
    await new Promise<void>((resolve) => upgraded.once('connect', resolve));
    upgraded.write('GET /raw HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: raw\r\n\r\n');
    await new Promise<void>((resolve) => upgraded.once('data', () => resolve()));
    const dribble = tcpConnect(r.port, '127.0.0.1');
    await new Promise<void>((resolve) => dribble.once('connect', resolve));
    dribble.write('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc');
    const closed = [upgraded, dribble].map((s) => new Promise<void>((resolve) => s.once('close', () => resolve())));
    for (const s of [upgraded, dribble]) s.on('error', () => {});
    expect(r.shutdown.openConnections()).toBe(2);
    await expect(r.shutdown.run('SIGTERM', planFor(r, []))).resolves.toBe(0);
    await Promise.all(closed);
    expect(r.shutdown.openConnections()).toBe(0);
    expect(summary(r)).toMatchObject({ code: 0, connectionsDestroyed: 2 });
    expect(r.lines.find((l) => l.msg === 'connections still open after the grace were closed')).toMatchObject({ level: 40, connections: 2, graceMs: 200 });
  });

  it('leaves a loop that hangs behind and still closes the database', async () => {
    const r = await rig({ stepTimeoutMs: 100 });
    const order: string[] = [];
    const code = await r.shutdown.run('SIGTERM', planFor(r, order, { loops: [{ name: 'stuck delivery', close: () => new Promise<void>(() => {}) }] }));
    expect(code).toBe(0);
    expect(order).toEqual(['live', 'database']);
    expect(r.lines.find((l) => l.step === 'stuck delivery')).toMatchObject({ msg: 'did not close in time during shutdown; left behind', ms: 100 });
    expect(summary(r)).toMatchObject({ loopsLeftBehind: 1 });
  });

  it('exits 1 when a last step fails, after running the rest', async () => {
    const r = await rig();
    const order: string[] = [];
    const plan = planFor(r, order);
    const code = await r.shutdown.run('SIGTERM', {
      ...plan,
      last: [{ name: 'next', close: () => Promise.reject(new Error('boom')) }, ...plan.last],
    });
    expect(code).toBe(1);
    expect(order).toEqual(['alerts', 'live', 'database']);
    expect(r.exits).toEqual([1]);
  });

  it('runs once when signalled twice', async () => {
    const r = await rig();
    const order: string[] = [];
    const first = r.shutdown.run('SIGTERM', planFor(r, order));
    const second = r.shutdown.run('SIGINT', planFor(r, order));
    expect(second).toBe(first);
    await first;
    expect(r.exits).toEqual([0]);
    expect(order).toEqual(['alerts', 'live', 'database']);
  });
});
