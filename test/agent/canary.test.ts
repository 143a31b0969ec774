/**
 * One canary against real servers on loopback: each way a WebSocket can end is told apart,
 * and the measured duration of a cut is within 20 ms of the moment the middle layer cut.
 */
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { runAttempt, type CanaryDeps } from '../../agent/canary';
import { BUILTIN_PROFILES, toProxyConfig, type PlannedCanary, type ProfileConfig } from '../../agent/config';
import type { IngestEvent, SessionEnded, TargetSessionEnded } from '../../lib/contracts/ingest';
import { attachCanaryTarget, createCanaryTarget } from '../../target/canary-target';
import { startConnectProxy } from '../../demo/connect-proxy';
import { startRelay, type CutMode } from '../helpers/relay';

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

function deps(stop = new AbortController().signal) {
  const events: IngestEvent[] = [];
  const d: CanaryDeps = { emit: (e) => events.push(e), clock: () => performance.now(), wall: () => new Date(), dialTimeoutMs: 3000, stop };
  const ended = () => events.find((e): e is SessionEnded => e.type === 'session.ended');
  return { d, events, ended };
}

const waitFor = async (cond: () => boolean, ms = 3000) => {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
};

describe('canary endings', () => {
  it.each([
    ['fin', 'tcp_fin'],
    ['reset', 'tcp_reset'],
  ] as [CutMode, string][])('an idle canary cut by a middle layer (%s) ends as %s, timed within 20 ms', async (mode, kind) => {
    const target = await startTarget();
    const relay = await startRelay(target.port, { idleMs: 700, mode });
    cleanups.push(() => relay.close());
    const { d, events, ended } = deps();
    const result = await runAttempt(canary(`ws://127.0.0.1:${relay.port}/canary`), d);
    expect(result.opened).toBe(true);
    const end = ended()!;
    expect(end.endKind).toBe(kind);
    expect(end.closeCode).toBe(1006);
    const conn = relay.connections[0]!;
    const truth = conn.cutAt! - conn.firstDownAt!;
    expect(Math.abs(end.durationMs - truth)).toBeLessThan(20);
    expect(end.durationMs).toBeGreaterThan(650);
    // Idle: nothing was sent or received after the upgrade.
    expect(Math.abs(end.sinceLastRecvMs! - end.durationMs)).toBeLessThan(20);
    expect(end.messagesOut).toBe(0);
    expect(events.map((e) => e.type)).toEqual(['session.opened', 'session.ended']);
    const opened = events[0] as Extract<IngestEvent, { type: 'session.opened' }>;
    expect(opened.egressAddress).toBe('127.0.0.1');
    expect(opened.responseHeaders).toMatchObject({ 'x-dropscope-target': 'test-target' });
    expect(opened.timings.tcpMs).toBeGreaterThanOrEqual(0);
    expect(opened.timings.upgradeMs).toBeGreaterThan(0);
    // The target saw the same cut from its side, keyed by the probe's session id.
    await waitFor(() => target.views.length > 0);
    expect(target.views[0]).toMatchObject({ sessionId: end.sessionId, closeFrameReceived: false, endKind: kind });
  });

  it('a close frame from the peer ends as close_frame with its code and reason', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => new Promise((r) => wss.close(r)));
    await new Promise((r) => wss.once('listening', r));
    wss.on('connection', (ws) => setTimeout(() => ws.close(4000, 'deploy'), 300));
    const { d, ended } = deps();
    await runAttempt(canary(`ws://127.0.0.1:${(wss.address() as { port: number }).port}/`), d);
    expect(ended()).toMatchObject({ endKind: 'close_frame', closeCode: 4000, closeReason: 'deploy' });
    // Not before the peer's 300 ms; late by event-loop lag on a loaded machine.
    expect(ended()!.durationMs).toBeGreaterThanOrEqual(290);
    expect(ended()!.durationMs).toBeLessThan(800);
  });

  it('a heartbeat canary notices a black hole by its pong deadline, dated by the last byte received', async () => {
    const target = await startTarget();
    const relay = await startRelay(target.port, { lifetimeMs: 600, mode: 'blackhole' });
    cleanups.push(() => relay.close());
    const { d, ended, events } = deps();
    const profile: ProfileConfig = { name: 'hb', kind: 'heartbeat', interval: 200, timeout: 300 };
    await runAttempt(canary(`ws://127.0.0.1:${relay.port}/canary`, profile), d);
    const end = ended()!;
    expect(end.endKind).toBe('pong_timeout');
    // Noticed within P+T of going dark...
    expect(end.durationMs).toBeLessThan(600 + 200 + 300 + 60);
    // ...and the last byte received dates the death: no later than the black hole.
    const lastByte = end.durationMs - end.sinceLastRecvMs!;
    expect(lastByte).toBeGreaterThan(350);
    expect(lastByte).toBeLessThan(620);
    expect(end.rtt!.count).toBeGreaterThanOrEqual(2);
    expect(events.filter((e) => e.type === 'rtt.samples').flatMap((e) => (e.type === 'rtt.samples' ? e.samples : []))).toHaveLength(end.rtt!.count);
  });

  it('an echo canary gets its messages back and times them', async () => {
    const target = await startTarget();
    const { d, ended } = deps(AbortSignal.timeout(700));
    const profile: ProfileConfig = { name: 'echo', kind: 'echo', interval: 100, timeout: 1000, messageBytes: 256 * 1024 };
    await runAttempt(canary(`ws://127.0.0.1:${target.port}/canary`, profile), d);
    const end = ended()!;
    expect(end.endKind).toBe('probe_closed');
    expect(end.closeCode).toBe(1001);
    // Measured at the decision to stop, not after the closing handshake's own bytes.
    expect(end.sinceLastSentMs).toBeGreaterThan(0);
    expect(end.sinceLastSentMs).toBeLessThan(110);
    expect(end.messagesOut).toBeGreaterThanOrEqual(4);
    expect(end.messagesIn).toBeGreaterThanOrEqual(end.messagesOut - 1);
    expect(end.bytesOut).toBeGreaterThan(4 * 256 * 1024);
    expect(end.rtt!.count).toBeGreaterThanOrEqual(4);
  });

  it.each([
    [400, 'probe_closed', 'ladder: survived 0.4s idle'],
    [1200, 'tcp_fin', undefined],
  ])('a ladder rung with a %i ms gap behind a 800 ms idle timeout ends as %s', async (gapMs, kind, reason) => {
    const target = await startTarget();
    const relay = await startRelay(target.port, { idleMs: 800, mode: 'fin' });
    cleanups.push(() => relay.close());
    const { d, ended } = deps();
    const profile: ProfileConfig = { name: 'ladder', kind: 'ladder', gaps: [gapMs], timeout: 500 };
    await runAttempt(canary(`ws://127.0.0.1:${relay.port}/canary`, profile, 'direct', gapMs), d);
    expect(ended()).toMatchObject({ endKind: kind, ...(reason && { closeReason: reason }) });
    if (kind === 'tcp_fin') expect(Math.abs(ended()!.durationMs - 800)).toBeLessThan(150);
  });
});

describe('failed attempts', () => {
  it('records a refused upgrade with its status and identifying headers', async () => {
    const raw = createNetServer((s) => s.once('data', () => s.end('HTTP/1.1 403 Forbidden\r\nServer: cloudflare\r\nContent-Length: 0\r\n\r\n')));
    const port = await listen(raw);
    const { d, events } = deps();
    const r = await runAttempt(canary(`ws://127.0.0.1:${port}/`), d);
    expect(r.opened).toBe(false);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'attempt.failed', outcome: 'upgrade_refused', httpStatus: 403, responseHeaders: { server: 'cloudflare' } });
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
    const proxy = await startConnectProxy({ idleTimeoutMs: 600 });
    cleanups.push(() => proxy.close());
    const { d, events, ended } = deps();
    await runAttempt(canary(`ws://127.0.0.1:${target.port}/canary`, undefined, `http://127.0.0.1:${proxy.port}`), d);
    const opened = events[0] as Extract<IngestEvent, { type: 'session.opened' }>;
    expect(opened.type).toBe('session.opened');
    expect(opened.timings.proxyMs).toBeGreaterThan(0);
    expect(opened.path.proxy).toEqual({ name: 'p', kind: 'http', url: `http://127.0.0.1:${proxy.port}` });
    expect(ended()!.endKind).toBe('tcp_fin');
    // The proxy's own idle timer (Node socket timeouts) is what wobbles under load, not our measurement.
    expect(Math.abs(ended()!.durationMs - 600)).toBeLessThan(150);
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
    });
    expect(JSON.stringify(events)).not.toContain('wrong');
    const ok = deps(AbortSignal.timeout(300));
    await runAttempt(canary(`ws://127.0.0.1:${target.port}/canary`, undefined, `http://alice:right@127.0.0.1:${proxy.port}`), ok.d);
    expect(ok.ended()).toMatchObject({ endKind: 'probe_closed' });
  });
});
