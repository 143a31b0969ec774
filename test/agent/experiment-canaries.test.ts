/**
 * The experiment profiles of issue 18 as whole canaries against real `ws` servers on
 * loopback: a keepalive rung sets SO_KEEPALIVE on its socket, a held heartbeat ends itself at
 * its hold, and echo canaries report what came back of their messages from servers that
 * echo normally, hold messages and release them together, lose large ones, or refuse them
 * (1009). The profiles' timers run on the queue's fake clock, moved by the test at moments
 * fixed by the conversation, so what is asserted does not depend on the machine's speed.
 */
import { Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocketServer, type ServerOptions, type WebSocket } from 'ws';
import { runAttempt, type CanaryDeps } from '../../agent/canary';
import { toProxyConfig, type PlannedCanary, type ProfileConfig } from '../../agent/config';
import { DueQueue } from '../../agent/schedule/due-queue';
import { ingestEventSchema, type IngestEvent, type SessionEnded } from '../../lib/contracts/ingest';
import { fakeClock } from '../helpers/fake-clock';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Poll (on the real clock) until `cond` holds; a failure names what never happened. */
async function until(cond: () => boolean, what: string): Promise<void> {
  // A deadline in time, not in polls, generous for a loaded machine: dials and sockets are real.
  const deadline = Date.now() + 20_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function startServer(onConnection: (ws: WebSocket) => void, options: Partial<ServerOptions> = {}) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, ...options });
  await new Promise((r) => wss.once('listening', r));
  cleanups.push(() => new Promise((r) => wss.close(r)));
  wss.on('connection', onConnection);
  const port = (wss.address() as { port: number }).port;
  return { port, url: `ws://127.0.0.1:${port}/` };
}

function canary(url: string, profile: ProfileConfig, gapMs?: number): PlannedCanary {
  return { key: 'k', target: { name: 't', url, headers: {}, subprotocols: [], tls: { verify: true } }, proxy: toProxyConfig({ name: 'direct', url: 'direct' }), profile, gapMs, profileLabel: profile.name };
}

/** One canary whose profile runs on a fake clock (the queue's and the measuring one). */
async function open(plan: PlannedCanary) {
  const f = fakeClock();
  const queue = new DueQueue({ now: f.clock.now, timers: { setTimeout: (fn, ms) => f.clock.setTimeout(fn, ms), clearTimeout: (h) => f.clock.clearTimeout(h as number) } });
  const stop = new AbortController();
  const events: IngestEvent[] = [];
  let opened = false;
  const deps: CanaryDeps = { emit: (e) => events.push(e), clock: f.clock.now, wall: () => new Date(), dialTimeoutMs: 30_000, stop: stop.signal, queue, onOpen: () => (opened = true) };
  const run = runAttempt(plan, deps);
  await until(() => opened, 'the session to open');
  /** Let `ms` pass on the fake clock, stopping at each of the queue's 10 ms ticks. */
  const pass = (ms: number) => {
    const to = f.clock.now() + ms;
    while (f.clock.now() < to) f.advance(Math.min(to, Math.floor(f.clock.now() / 10) * 10 + 10) - f.clock.now());
  };
  const ended = async (): Promise<SessionEnded> => {
    await run;
    // Every event the canary emitted passes the ingest contract.
    for (const e of events) expect(ingestEventSchema.safeParse(e).error).toBeUndefined();
    return events.find((e): e is SessionEnded => e.type === 'session.ended')!;
  };
  return { pass, stop, ended, events };
}

describe('rungs over a real socket', () => {
  it('a keepalive rung sets SO_KEEPALIVE on its TCP socket, stays silent and survives its gap', async () => {
    const setKeepAlive = vi.spyOn(Socket.prototype, 'setKeepAlive');
    let received = 0;
    const srv = await startServer((ws) => ws.on('message', () => (received += 1)));
    const c = await open(canary(srv.url, { name: 'keepalive-25s', kind: 'keepalive', gap: 90_000, keepalive: 25_000, timeout: 10_000 }));
    expect(setKeepAlive).toHaveBeenCalledWith(true, 25_000);
    // On the socket to the first hop: here the target itself.
    const socket = setKeepAlive.mock.contexts.find((s) => (s as Socket).remotePort === srv.port) as Socket | undefined;
    expect(socket).toBeDefined();
    c.pass(90_000);
    const end = await c.ended();
    expect(end).toMatchObject({ endKind: 'probe_closed', closeCode: 1000, closeReason: 'keepalive: survived 90s idle with TCP keepalive every 25s', messagesOut: 0 });
    expect(end.path).toMatchObject({ profile: 'keepalive-25s', profileKind: 'keepalive', gapMs: 90_000, keepaliveMs: 25_000 });
    expect(received).toBe(0);
  });

  it('a bisect rung reports its gap and survives with its own reason', async () => {
    const srv = await startServer(() => {});
    const c = await open(canary(srv.url, { name: 'bisect', kind: 'bisect', from: 15_000, max: 1_800_000, timeout: 10_000 }, 42_500));
    c.pass(42_500);
    const end = await c.ended();
    expect(end).toMatchObject({ endKind: 'probe_closed', closeReason: 'bisect: survived 42.5s idle' });
    expect(end.path).toMatchObject({ profileKind: 'bisect', gapMs: 42_500 });
  });

  it('a held heartbeat ends itself politely at its hold, and says its interval and hold', async () => {
    let pings = 0;
    const srv = await startServer((ws) => ws.on('ping', () => (pings += 1)));
    const c = await open(canary(srv.url, { name: 'verify-hb-0.1s', kind: 'heartbeat', interval: 100, timeout: 1000, hold: 350 }));
    for (let k = 1; k <= 3; k++) {
      c.pass(100);
      await until(() => pings === k, `ping ${k}`);
    }
    c.pass(50);
    const end = await c.ended();
    expect(end).toMatchObject({ endKind: 'probe_closed', closeCode: 1000, closeReason: 'hold: held 0.35s with a 0.1s heartbeat', durationMs: 350 });
    expect(end.path).toMatchObject({ profileKind: 'heartbeat', intervalMs: 100, holdMs: 350 });
    expect(end.echo).toBeUndefined();
  });
});

describe('echo statistics', () => {
  const echoProfile = (extra: Partial<Extract<ProfileConfig, { kind: 'echo' }>> = {}): ProfileConfig => ({ name: 'echo', kind: 'echo', interval: 100, timeout: 1000, messageBytes: 64, ...extra });

  /**
   * A server that echoes what `decide` says for the k-th message (1-based): `now`, `hold`
   * (kept until a `now` comes: then everything held goes first, in one write each, at once),
   * or `drop`. After echoing it pings, and the canary's pong says it has read the echoes.
   */
  async function echoServer(decide: (k: number, size: number) => 'now' | 'hold' | 'drop', options: Partial<ServerOptions> = {}) {
    const seen = { messages: 0, pongs: 0 };
    const srv = await startServer((ws) => {
      const held: Buffer[] = [];
      // A message over maxPayload: ws closes with 1009 and reports the error here too.
      ws.on('error', () => {});
      ws.on('message', (data: Buffer) => {
        seen.messages += 1;
        const what = decide(seen.messages, data.length);
        if (what === 'drop') return;
        held.push(data);
        if (what === 'hold') return;
        for (const m of held.splice(0)) ws.send(m, { binary: true });
        ws.ping('read');
      });
      ws.on('pong', () => (seen.pongs += 1));
    }, options);
    return { ...srv, seen };
  }

  it('from a server that echoes normally: every message back, no bunch', async () => {
    const srv = await echoServer(() => 'now');
    const c = await open(canary(srv.url, echoProfile()));
    for (let k = 1; k <= 5; k++) {
      c.pass(100);
      await until(() => srv.seen.pongs === k, `echo ${k} read`);
    }
    c.stop.abort();
    const end = await c.ended();
    expect(end.path).toMatchObject({ profileKind: 'echo', intervalMs: 100 });
    expect(end.echo).toEqual({ sent: 5, returned: 5, largestSentBytes: 64, largestReturnedBytes: 64, lastSentBytes: 64, bunches: 0, bunchedMessages: 0, maxHoldMs: 0, minRttMs: 0 });
  });

  it('from a server that holds three messages and releases them together: one bunch, held as long as its first', async () => {
    const srv = await echoServer((k) => (k >= 3 && k <= 4 ? 'hold' : 'now'));
    const c = await open(canary(srv.url, echoProfile()));
    for (let k = 1; k <= 6; k++) {
      c.pass(100);
      if (k === 3 || k === 4) await until(() => srv.seen.messages === k, `message ${k} held`);
      else await until(() => srv.seen.pongs === (k < 3 ? k : k - 2), `echo ${k} read`);
    }
    c.stop.abort();
    const end = await c.ended();
    // Messages 3, 4 and 5 (sent at 300, 400, 500) all came back at 500: message 3 was held 200 ms.
    expect(end.echo).toEqual({ sent: 6, returned: 6, largestSentBytes: 64, largestReturnedBytes: 64, lastSentBytes: 64, bunches: 1, bunchedMessages: 3, maxHoldMs: 200, minRttMs: 0 });
  });

  it('from a server that loses messages over 1 KiB: the deadline names the size, and what came back stops below it', async () => {
    const srv = await echoServer((_k, size) => (size > 1024 ? 'drop' : 'now'));
    const c = await open(canary(srv.url, echoProfile({ timeout: 250, messageBytes: 256, growTo: 8192 })));
    for (let k = 1; k <= 6; k++) {
      c.pass(100);
      if (k <= 3) await until(() => srv.seen.pongs === k, `echo ${k} read`);
      else await until(() => srv.seen.messages === k, `message ${k} lost`);
    }
    c.pass(50);
    const end = await c.ended();
    expect(end).toMatchObject({ endKind: 'pong_timeout', closeReason: 'echo of a 2048-byte message not back within 250 ms' });
    expect(end.echo).toEqual({ sent: 6, returned: 3, largestSentBytes: 8192, largestReturnedBytes: 1024, lastSentBytes: 8192, bunches: 0, bunchedMessages: 0, maxHoldMs: 0, minRttMs: 0 });
  });

  it('from a server that refuses messages over 1000 bytes (1009): the refused size is the last sent', async () => {
    const srv = await echoServer(() => 'now', { maxPayload: 1000 });
    const c = await open(canary(srv.url, echoProfile({ messageBytes: 256, growTo: 8192 })));
    for (let k = 1; k <= 2; k++) {
      c.pass(100);
      await until(() => srv.seen.pongs === k, `echo ${k} read`);
    }
    c.pass(100);
    const end = await c.ended();
    expect(end).toMatchObject({ endKind: 'close_frame', closeCode: 1009 });
    expect(end.echo).toEqual({ sent: 3, returned: 2, largestSentBytes: 1024, largestReturnedBytes: 512, lastSentBytes: 1024, bunches: 0, bunchedMessages: 0, maxHoldMs: 0, minRttMs: 0 });
  });
});
