/**
 * One canary against real servers on loopback: each way a WebSocket can end is told apart,
 * and dated on the probe's injected clock. The tests move that clock themselves, at moments
 * fixed by the conversation (the session opened, the peer answered a ping), so what is
 * asserted is exact and does not depend on how fast a loaded machine runs. How promptly a
 * real cut is seen on the real clock is a lab figure: test/lab/canary-timing.test.ts.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { runAttempt, type CanaryDeps } from '../../agent/canary';
import { BUILTIN_PROFILES, toProxyConfig, type PlannedCanary, type ProfileConfig } from '../../agent/config';
import type { AttemptFailed, IngestEvent, SessionEnded, TargetSessionEnded } from '../../lib/contracts/ingest';
import { ingestEventSchema } from '../../lib/contracts/ingest';
import { attachCanaryTarget, createCanaryTarget } from '../../target/canary-target';
import { startConnectProxy } from '../../demo/connect-proxy';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function listen<T extends Server | NetServer>(server: T): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => server.close(r)));
  const a = server.address();
  return typeof a === 'object' && a ? a.port : 0;
}

/** The real canary target on its own HTTP server; its views are collected. */
async function startTarget() {
  const views: Omit<TargetSessionEnded, 'type' | 'id'>[] = [];
  const target = createCanaryTarget({ name: 'test-target', onSessionEnded: (v) => views.push(v) });
  const server = createServer();
  attachCanaryTarget(server, target);
  cleanups.push(() => target.close());
  const port = await listen(server);
  return { port, views };
}

/** A bare `ws` server on port 0 that the test scripts. */
async function startWsServer(options: { autoPong?: boolean } = {}): Promise<{ wss: WebSocketServer; url: string }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  cleanups.push(() => new Promise((r) => wss.close(r)));
  await new Promise((r) => wss.once('listening', r));
  return { wss, url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}/` };
}

/**
 * A middle layer that forwards bytes until the test cuts it: with a FIN both ways, or a
 * reset both ways.
 */
async function startCutter(upstreamPort: number) {
  const pairs: [Socket, Socket][] = [];
  const server = createNetServer((down) => {
    const up = connect(upstreamPort, '127.0.0.1');
    for (const s of [down, up]) s.on('error', () => {});
    down.pipe(up);
    up.pipe(down);
    pairs.push([down, up]);
  });
  const port = await listen(server);
  cleanups.push(() => pairs.flat().forEach((s) => s.destroy()));
  return {
    port,
    cut(mode: 'fin' | 'reset') {
      for (const [down, up] of pairs) {
        if (mode === 'fin') {
          down.end();
          up.end();
        } else {
          down.resetAndDestroy();
          up.resetAndDestroy();
        }
      }
    },
  };
}

function canary(url: string, profile: ProfileConfig = BUILTIN_PROFILES[0]!, proxy = 'direct', gapMs?: number): PlannedCanary {
  return {
    key: 'k',
    target: { name: 't', url, headers: {}, subprotocols: [], tls: { verify: true } },
    proxy: toProxyConfig({ name: proxy === 'direct' ? 'direct' : 'p', url: proxy }),
    profile,
    gapMs,
    profileLabel: profile.name,
  };
}

/** The probe's monotonic clock, moved only by the test: `set(ms)` is "now it is ms". */
function steppedClock() {
  let t = 0;
  return { now: () => t, set: (ms: number) => void (t = ms) };
}

function deps(stop = new AbortController().signal, clock: () => number = () => performance.now()) {
  const events: IngestEvent[] = [];
  let markOpen: () => void = () => {};
  const opened = new Promise<void>((r) => (markOpen = r));
  // A dial deadline only a hang reaches: a loaded machine may take seconds to upgrade on
  // loopback. The test of the dial timeout sets its own.
  const d: CanaryDeps = { emit: (e) => events.push(e), clock, wall: () => new Date(), dialTimeoutMs: 30_000, stop, onOpen: () => markOpen() };
  const ended = () => events.find((e): e is SessionEnded => e.type === 'session.ended');
  const failed = () => events.find((e): e is AttemptFailed => e.type === 'attempt.failed');
  /** Resolves when the canary's session has opened (its clock reads 0 from then on until moved). */
  return { d, events, ended, failed, opened };
}

const waitFor = async (cond: () => boolean, ms = 30_000) => {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
};

// A self-signed certificate for 127.0.0.1 and localhost, valid until 2126: the canary
// verifies it with the certificate itself as the CA.
const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);

async function startWssServer() {
  const server = createHttpsServer({ key: readFileSync(fixture('localhost-key.pem')), cert: readFileSync(fixture('localhost-cert.pem')) });
  const wss = new WebSocketServer({ server });
  cleanups.push(() => new Promise((r) => wss.close(r)));
  return { wss, port: await listen(server) };
}

function wssCanary(port: number): PlannedCanary {
  const c = canary(`wss://127.0.0.1:${port}/`);
  return { ...c, target: { ...c.target, tls: { verify: true, caFile: fixture('localhost-cert.pem').pathname } } };
}

describe('canary endings', () => {
  it.each([
    ['fin', 'tcp_fin'],
    ['reset', 'tcp_reset'],
  ] as const)('an idle canary cut by a middle layer (%s) ends as %s, dated by the cut', async (mode, kind) => {
    const target = await startTarget();
    const cutter = await startCutter(target.port);
    const clock = steppedClock();
    const { d, events, ended, opened } = deps(undefined, clock.now);
    const run = runAttempt(canary(`ws://127.0.0.1:${cutter.port}/canary`), d);
    await opened;
    clock.set(700);
    cutter.cut(mode);
    const result = await run;
    expect(result.opened).toBe(true);
    const end = ended()!;
    expect(end).toMatchObject({ endKind: kind, closeCode: 1006, durationMs: 700 });
    // Idle: nothing was sent or received after the upgrade.
    expect(end).toMatchObject({ sinceLastRecvMs: 700, sinceLastSentMs: 700, messagesOut: 0, messagesIn: 0 });
    expect(events.map((e) => e.type)).toEqual(['session.opened', 'session.ended']);
    const opening = events[0] as Extract<IngestEvent, { type: 'session.opened' }>;
    expect(opening.egressAddress).toBe('127.0.0.1');
    expect(opening.responseHeaders).toMatchObject({ 'x-dropscope-target': 'test-target' });
    // The target saw the same cut from its side, keyed by the probe's session id.
    await waitFor(() => target.views.length > 0);
    expect(target.views[0]).toMatchObject({ sessionId: end.sessionId, closeFrameReceived: false, endKind: kind });
  });

  it('a close frame from the peer ends as close_frame with its code and reason, dated by its arrival', async () => {
    const { wss, url } = await startWsServer();
    const clock = steppedClock();
    const { d, ended, opened } = deps(undefined, clock.now);
    wss.on('connection', async (ws) => {
      await opened;
      clock.set(300);
      ws.close(4000, 'deploy');
    });
    await runAttempt(canary(url), d);
    expect(ended()).toMatchObject({ endKind: 'close_frame', closeCode: 4000, closeReason: 'deploy', durationMs: 300 });
  });

  // A layer that closes idle sessions with a frame (Cloudflare, API Gateway's 1001) must show
  // the silence it waited for: the close frame's own bytes and ws's close reply are the end,
  // not traffic before it.
  // Over TLS the bytes are read on the TLS socket, not the TCP one under it: both must show it.
  it.each([
    ['ws', async () => ((srv) => ({ wss: srv.wss, plan: canary(srv.url) }))(await startWsServer())],
    ['wss', async () => ((srv) => ({ wss: srv.wss, plan: wssCanary(srv.port) }))(await startWssServer())],
  ] as const)('a close frame after silence (%s): the idle time is the silence before the frame, both ways', async (_scheme, start) => {
    const { wss, plan } = await start();
    const clock = steppedClock();
    const { d, ended, opened } = deps(undefined, clock.now);
    wss.on('connection', async (ws) => {
      await opened;
      clock.set(5000);
      ws.close(1001, 'going away');
    });
    await runAttempt(plan, d);
    expect(ended()).toMatchObject({ endKind: 'close_frame', closeCode: 1001, durationMs: 5000, sinceLastRecvMs: 5000, sinceLastSentMs: 5000 });
  });

  it('a close frame after a message and then silence: the idle time counts from the message', async () => {
    const { wss, url } = await startWsServer();
    const clock = steppedClock();
    // The heartbeat canary answers the server's pings (its own first ping is 25 s away): the
    // answer to a ping sent behind the message says the canary has read the message.
    const { d, ended, opened } = deps(undefined, clock.now);
    wss.on('connection', async (ws) => {
      await opened;
      clock.set(1000);
      ws.send('last words');
      ws.ping('read-it');
      ws.once('pong', () => {
        clock.set(5000);
        ws.close(1001, 'going away');
      });
    });
    await runAttempt(canary(url, BUILTIN_PROFILES.find((p) => p.kind === 'heartbeat')), d);
    // Received: the message and the ping at 1000. Sent: the pong, at 1000 too.
    expect(ended()).toMatchObject({ endKind: 'close_frame', closeCode: 1001, durationMs: 5000, sinceLastRecvMs: 4000, sinceLastSentMs: 4000, messagesIn: 1 });
  });

  it('a message right before the close frame (one burst, maybe one chunk): received just before the end', async () => {
    const { wss, url } = await startWsServer();
    const clock = steppedClock();
    const { d, ended, opened } = deps(undefined, clock.now);
    wss.on('connection', async (ws) => {
      await opened;
      clock.set(5000);
      ws.send('bye');
      ws.close(1001, 'going away');
    });
    await runAttempt(canary(url), d);
    expect(ended()).toMatchObject({ endKind: 'close_frame', durationMs: 5000, sinceLastRecvMs: 0, sinceLastSentMs: 5000, messagesIn: 1 });
  });

  it('a heartbeat canary notices a peer gone silent by its pong deadline, dated by the last byte received', async () => {
    // The peer answers two pings and then nothing (TCP stays up: a black hole). Each answer
    // is followed by a ping of the peer's; the canary's pong to it says the answer was read.
    const { wss, url } = await startWsServer({ autoPong: false });
    const clock = steppedClock();
    const { d, ended } = deps(undefined, clock.now);
    wss.on('connection', (ws) => {
      let pings = 0;
      ws.on('ping', (data) => {
        pings += 1;
        if (pings > 2) return;
        clock.set(pings === 1 ? 100 : 250);
        ws.pong(data);
        ws.ping(`read-${pings}`);
      });
      ws.on('pong', (data) => {
        if (data.toString() === 'read-2') clock.set(700);
      });
    });
    // The deadline runs on real time (the shared queue's): long enough that an answer delayed
    // by a loaded machine still beats it; only the third ping, never answered, reaches it.
    const profile: ProfileConfig = { name: 'hb', kind: 'heartbeat', interval: 100, timeout: 3000 };
    await runAttempt(canary(url, profile), d);
    const end = ended()!;
    expect(end.endKind).toBe('pong_timeout');
    // Decided at the deadline; the last byte received (the second answer) dates the death.
    expect(end).toMatchObject({ durationMs: 700, sinceLastRecvMs: 450 });
    expect(end.rtt!.count).toBe(2);
  });

  it('an echo canary gets its messages back and times them; its idle time is measured at the decision to stop', async () => {
    const { wss, url } = await startWsServer();
    const clock = steppedClock();
    const stop = new AbortController();
    const { d, ended } = deps(stop.signal, clock.now);
    wss.on('connection', (ws) => {
      let echoed = 0;
      ws.on('message', (data, isBinary) => {
        ws.send(data, { binary: isBinary });
        // The canary's pong to this ping says it has read the fourth echo.
        if (++echoed === 4) ws.ping('read-4');
      });
      ws.once('pong', () => {
        clock.set(1000);
        stop.abort();
      });
    });
    // The echo deadline runs on real time: far beyond any echo, the test ends by its stop.
    const profile: ProfileConfig = { name: 'echo', kind: 'echo', interval: 100, timeout: 30_000, messageBytes: 256 * 1024 };
    await runAttempt(canary(url, profile), d);
    const end = ended()!;
    expect(end).toMatchObject({ endKind: 'probe_closed', closeCode: 1001 });
    // Every message went out at 0 and the stop came at 1000: the close frame written after
    // the decision is not the last thing sent.
    expect(end.sinceLastSentMs).toBe(1000);
    expect(end.messagesIn).toBeGreaterThanOrEqual(4);
    expect(end.messagesOut).toBeGreaterThanOrEqual(end.messagesIn);
    expect(end.bytesOut).toBeGreaterThan(4 * 256 * 1024);
    expect(end.rtt!.count).toBeGreaterThanOrEqual(4);
  });

  it('a ladder rung that gets its pong after the gap ends as probe_closed, survived', async () => {
    const target = await startTarget();
    const { d, ended } = deps();
    // The pong deadline runs on real time: far beyond any pong, the rung ends when it comes.
    const profile: ProfileConfig = { name: 'ladder', kind: 'ladder', gaps: [100], timeout: 30_000 };
    await runAttempt(canary(`ws://127.0.0.1:${target.port}/canary`, profile, 'direct', 100), d);
    expect(ended()).toMatchObject({ endKind: 'probe_closed', closeCode: 1000, closeReason: 'ladder: survived 0.1s idle' });
  });

  it('a ladder rung cut during its gap ends as the cut, without a ping', async () => {
    const target = await startTarget();
    const cutter = await startCutter(target.port);
    const clock = steppedClock();
    const { d, ended, opened } = deps(undefined, clock.now);
    const profile: ProfileConfig = { name: 'ladder', kind: 'ladder', gaps: [60_000], timeout: 500 };
    const run = runAttempt(canary(`ws://127.0.0.1:${cutter.port}/canary`, profile, 'direct', 60_000), d);
    await opened;
    clock.set(800);
    cutter.cut('fin');
    await run;
    const end = ended()!;
    expect(end).toMatchObject({ endKind: 'tcp_fin', durationMs: 800, sinceLastSentMs: 800 });
    expect(end.closeReason).toBeUndefined();
  });
});

describe('over wss', () => {
  // TLS made over a connected TCP socket takes over its handle: the TCP socket then reports
  // no bytes, no FIN and no reset, and all three must be seen on the TLS socket instead.
  it.each([
    ['fin', 'tcp_fin'],
    ['reset', 'tcp_reset'],
  ] as const)('a cut (%s) after a message ends as %s, and the message counts as received', async (mode, kind) => {
    const { wss, port } = await startWssServer();
    const cutter = await startCutter(port);
    const clock = steppedClock();
    const { d, ended, opened } = deps(undefined, clock.now);
    wss.on('connection', async (ws) => {
      await opened;
      clock.set(200);
      ws.send('hello');
      // The canary answers the ping once it has read the message.
      ws.ping('read-it');
      ws.once('pong', () => {
        clock.set(700);
        cutter.cut(mode);
      });
    });
    await runAttempt({ ...wssCanary(cutter.port), profile: BUILTIN_PROFILES.find((p) => p.kind === 'heartbeat')! }, d);
    expect(ended()).toMatchObject({ endKind: kind, closeCode: 1006, durationMs: 700, sinceLastRecvMs: 500, messagesIn: 1 });
    expect(ended()!.bytesIn).toBeGreaterThan(0);
  });

});

describe('failed attempts', () => {
  it('records a refused upgrade with its status, identifying headers and the words of its body', async () => {
    const body = '<html><body><h1>403 Forbidden</h1>\nRequest forbidden by administrative rules.\n</body></html>\n';
    const raw = createNetServer((s) => s.once('data', () => s.end(`HTTP/1.1 403 Forbidden\r\nServer: cloudflare\r\nContent-Type: text/html\r\nContent-Length: ${body.length}\r\n\r\n${body}`)));
    const port = await listen(raw);
    const { d, events } = deps();
    const r = await runAttempt(canary(`ws://127.0.0.1:${port}/`), d);
    expect(r.opened).toBe(false);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'attempt.failed', outcome: 'upgrade_refused', httpStatus: 403, responseHeaders: { server: 'cloudflare' }, bodyExcerpt: '403 Forbidden - Request forbidden by administrative rules.' });
    expect(ingestEventSchema.safeParse(events[0]).success).toBe(true);
  });

  it('tells an upstream-less 503 of a proxy from the origin\'s own 503 by the words of the body', async () => {
    // The origin: a ws target on an http server, refusing upgrades with its own 503.
    const origin = createServer();
    const wss = new WebSocketServer({ server: origin, verifyClient: (_info, cb) => cb(false, 503, 'Maintenance: back at 14:00 UTC. Sorry.', { 'Retry-After': '30' }) });
    cleanups.push(() => new Promise((r) => wss.close(r)));
    const originPort = await listen(origin);
    // HAProxy's own 503 when no backend server is up (its errorfile, as HAProxy 2.6 ships it).
    const page = '<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n';
    const haproxy = createNetServer((s) =>
      s.once('data', () => s.end(`HTTP/1.1 503 Service Unavailable\r\ncontent-length: ${page.length}\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n${page}`)),
    );
    const haproxyPort = await listen(haproxy);

    const fromOrigin = deps();
    await runAttempt(canary(`ws://127.0.0.1:${originPort}/`), fromOrigin.d);
    expect(fromOrigin.failed()).toMatchObject({ outcome: 'upgrade_refused', httpStatus: 503, bodyExcerpt: 'Maintenance: back at 14:00 UTC.', responseHeaders: { 'retry-after': '30' } });
    const fromProxy = deps();
    await runAttempt(canary(`ws://127.0.0.1:${haproxyPort}/`), fromProxy.d);
    expect(fromProxy.failed()).toMatchObject({ outcome: 'upgrade_refused', httpStatus: 503, bodyExcerpt: '503 Service Unavailable - No server is available to handle this request.' });
  });

  it('does not wait for a refusal\'s body that never comes: the excerpt is what arrived', async () => {
    // Announces 10 000 bytes, sends a line, and holds the connection open.
    const raw = createNetServer((s) => s.once('data', () => s.write('HTTP/1.1 502 Bad Gateway\r\nServer: nginx\r\nContent-Length: 10000\r\n\r\nupstream is down\n')));
    const port = await listen(raw);
    const { d, failed } = deps();
    await runAttempt(canary(`ws://127.0.0.1:${port}/`), d);
    expect(failed()).toMatchObject({ outcome: 'upgrade_refused', httpStatus: 502, bodyExcerpt: 'upstream is down', responseHeaders: { server: 'nginx' } });
  });

  it('records a refused connection with its socket error code', async () => {
    // A freed port on 127.0.0.2, which no other test binds (on 127.0.0.1 a server of a test
    // running beside this one could take it and answer).
    const raw = createNetServer();
    await new Promise<void>((r) => raw.listen(0, '127.0.0.2', r));
    const port = (raw.address() as { port: number }).port;
    await new Promise((r) => raw.close(r));
    const { d, events } = deps();
    await runAttempt(canary(`ws://127.0.0.2:${port}/`), d);
    expect(events[0]).toMatchObject({ type: 'attempt.failed', outcome: 'dial_failed', errorCode: 'ECONNREFUSED' });
    expect((events[0] as { timings: { tcpMs?: number } }).timings.tcpMs).toBeGreaterThanOrEqual(0);
  });

  it('records a peer that accepts TCP and never answers as a dial timeout', async () => {
    // Reads (so it sees our FIN and can close) but never answers.
    const raw = createNetServer((s) => s.resume());
    const port = await listen(raw);
    const { d, events } = deps();
    d.dialTimeoutMs = 300;
    await runAttempt(canary(`ws://127.0.0.1:${port}/`), d);
    expect(events[0]).toMatchObject({ type: 'attempt.failed', outcome: 'dial_failed' });
    expect((events[0] as { errorCode: string }).errorCode).toMatch(/ETIMEDOUT|TIMEOUT/i);
  });
});

describe('through an HTTP CONNECT proxy', () => {
  it('times the proxy handshake and records the cut of its idle timeout', async () => {
    const target = await startTarget();
    // Long enough that the upgrade through the tunnel (its bytes reset the proxy's timer)
    // finishes first on a loaded machine.
    const proxy = await startConnectProxy({ idleTimeoutMs: 2000 });
    cleanups.push(() => proxy.close());
    const { d, events, ended } = deps();
    await runAttempt(canary(`ws://127.0.0.1:${target.port}/canary`, undefined, `http://127.0.0.1:${proxy.port}`), d);
    const opened = events[0] as Extract<IngestEvent, { type: 'session.opened' }>;
    expect(opened.type).toBe('session.opened');
    expect(opened.timings.tcpMs).toBeGreaterThanOrEqual(0);
    expect(opened.timings.proxyMs).toBeGreaterThan(0);
    expect(opened.timings.upgradeMs).toBeGreaterThan(0);
    expect(opened.path.proxy).toEqual({ name: 'p', kind: 'http', url: `http://127.0.0.1:${proxy.port}` });
    // The proxy's idle cut, and nothing received between the upgrade and it. (How close to
    // 2 s the demo proxy's own timer fires is not the probe's behaviour.)
    const end = ended()!;
    expect(end).toMatchObject({ endKind: 'tcp_fin', closeCode: 1006 });
    expect(end.sinceLastRecvMs).toBe(end.durationMs);
  });

  it('keeps what the proxy says of itself in its CONNECT reply (Proxy-agent), scrubbed of our credentials', async () => {
    const target = await startTarget();
    // tinyproxy's reply to a CONNECT it accepts; this one also echoes the user name.
    const proxy = createNetServer((client) => {
      client.once('data', (head) => {
        const [, host, port] = /^CONNECT ([^:\s]+):(\d+)/.exec(head.toString('latin1')) ?? [];
        const upstream = connect(Number(port), host!, () => {
          client.write('HTTP/1.0 200 Connection established\r\nProxy-agent: tinyproxy/1.11.1\r\nVia: 1.1 gw (alice)\r\n\r\n');
          client.pipe(upstream).pipe(client);
        });
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        cleanups.push(async () => void (upstream.destroy(), client.destroy()));
      });
    });
    const port = await listen(proxy);
    const stop = new AbortController();
    const { d, events } = deps(stop.signal);
    d.onOpen = () => stop.abort();
    await runAttempt(canary(`ws://127.0.0.1:${target.port}/canary`, undefined, `http://alice:right@127.0.0.1:${port}`), d);
    const opened = events.find((e): e is Extract<IngestEvent, { type: 'session.opened' }> => e.type === 'session.opened')!;
    expect(opened.proxyHeaders).toEqual({ 'proxy-agent': 'tinyproxy/1.11.1', via: expect.not.stringContaining('alice') });
    expect(opened.responseHeaders).not.toHaveProperty('proxy-agent');
    expect(ingestEventSchema.safeParse(opened).success).toBe(true);
  });

  it('keeps the proxy\'s refusal apart from the target\'s, without leaking credentials', async () => {
    const target = await startTarget();
    const proxy = await startConnectProxy({ credentials: 'alice:right' });
    cleanups.push(() => proxy.close());
    const { d, events } = deps();
    await runAttempt(canary(`ws://127.0.0.1:${target.port}/canary`, undefined, `http://alice:wrong@127.0.0.1:${proxy.port}`), d);
    expect(events[0]).toMatchObject({
      type: 'attempt.failed',
      outcome: 'proxy_refused',
      proxyReply: 'HTTP/1.1 407 Proxy Authentication Required (Server: dropscope-demo-proxy)',
      errorCode: 'PROXY_HTTP_407',
      // The scheme asked for, never the challenge's parameters.
      responseHeaders: { server: 'dropscope-demo-proxy', 'proxy-authenticate': 'Basic' },
    });
    expect(JSON.stringify(events)).not.toContain('wrong');
    // Stopped once open (not after a fixed time, which a slow upgrade could outlast).
    const stopOk = new AbortController();
    const ok = deps(stopOk.signal);
    ok.d.onOpen = () => stopOk.abort();
    await runAttempt(canary(`ws://127.0.0.1:${target.port}/canary`, undefined, `http://alice:right@127.0.0.1:${proxy.port}`), ok.d);
    expect(ok.ended()).toMatchObject({ endKind: 'probe_closed' });
  });

  it('keeps what tells squid\'s refusals apart: X-Squid-Error and the words of its error page', async () => {
    const page = [
      '<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01//EN" "http://www.w3.org/TR/html4/strict.dtd">',
      '<html><head>',
      '<meta http-equiv="Content-Type" CONTENT="text/html; charset=utf-8">',
      '<title>ERROR: The requested URL could not be retrieved</title>',
      '<style type="text/css"><!-- body { font-family: verdana, sans-serif; } --></style>',
      '</head><body id=ERR_CONNECT_FAIL>',
      '<div id="titles">',
      '<h1>ERROR</h1>',
      '<h2>The requested URL could not be retrieved</h2>',
      '</div>',
      '<hr>',
      '<div id="content">',
      '<p>The following error was encountered while trying to retrieve the URL: <a href="127.0.0.1:9">127.0.0.1:9</a></p>',
      '<blockquote id="error"><p><b>Connection to 127.0.0.1 failed.</b></p></blockquote>',
      '<p id="sysmsg">The system returned: <i>(111) Connection refused</i></p>',
      '</div></body></html>',
    ].join('\n');
    // Answers CONNECT as squid 5.7 does when the target port is closed.
    const squid = createNetServer((s) =>
      s.once('data', () =>
        s.end(
          `HTTP/1.1 503 Service Unavailable\r\nServer: squid/5.7\r\nMime-Version: 1.0\r\nDate: Sun, 06 Dec 2026 05:00:00 GMT\r\nContent-Type: text/html;charset=utf-8\r\nContent-Length: ${Buffer.byteLength(page)}\r\nX-Squid-Error: ERR_CONNECT_FAIL 111\r\nVary: Accept-Language\r\nContent-Language: en\r\nVia: 1.1 lab-squid (squid/5.7)\r\nConnection: close\r\n\r\n${page}`,
        ),
      ),
    );
    const port = await listen(squid);
    const { d, events, failed } = deps();
    await runAttempt(canary('ws://127.0.0.1:9/canary', undefined, `http://probe:s3cret-pw@127.0.0.1:${port}`), d);
    expect(events).toHaveLength(1);
    expect(failed()).toMatchObject({
      outcome: 'proxy_refused',
      errorCode: 'PROXY_HTTP_503',
      proxyReply: 'HTTP/1.1 503 Service Unavailable (Server: squid/5.7)',
      responseHeaders: { server: 'squid/5.7', via: '1.1 lab-squid (squid/5.7)', 'x-squid-error': 'ERR_CONNECT_FAIL 111' },
      bodyExcerpt: 'ERROR: The requested URL could not be retrieved - The following error was encountered while trying to retrieve the URL: 127.0.0.1:9',
    });
    expect(Object.keys(failed()!.responseHeaders!)).not.toContain('date');
    expect(ingestEventSchema.safeParse(events[0]).success).toBe(true);
    expect(JSON.stringify(events)).not.toContain('s3cret-pw');
  });

  it('never lets the proxy URL\'s credentials out, even when the proxy echoes our request', async () => {
    const password = 'hunter2-hunter2';
    const token = Buffer.from(`probe:${password}`).toString('base64');
    // A proxy that refuses and quotes our request back: its status text, a header and its body.
    const echo = createNetServer((s) =>
      s.once('data', (request) => {
        const auth = /Proxy-Authorization: (.*)\r\n/.exec(request.toString('latin1'))?.[1] ?? '';
        s.end(`HTTP/1.1 403 Forbidden for ${auth}\r\nServer: echo ${auth}\r\nX-Squid-Error: ERR_ACCESS_DENIED 0 ${password}\r\nProxy-Authenticate: Basic realm="${password}"\r\nContent-Type: text/plain\r\n\r\nYou sent ${auth} (probe:${password})\n`);
      }),
    );
    const port = await listen(echo);
    const { d, events, failed } = deps();
    await runAttempt(canary('ws://127.0.0.1:9/canary', undefined, `http://probe:${password}@127.0.0.1:${port}`), d);
    expect(failed()).toMatchObject({ outcome: 'proxy_refused', errorCode: 'PROXY_HTTP_403', responseHeaders: { 'x-squid-error': 'ERR_ACCESS_DENIED 0 [redacted]', 'proxy-authenticate': 'Basic' } });
    expect(failed()!.bodyExcerpt).toMatch(/^You sent Basic \[redacted\]/);
    const all = JSON.stringify(events);
    for (const secret of [password, token, encodeURIComponent(password)]) expect(all).not.toContain(secret);
  });
});
