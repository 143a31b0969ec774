/**
 * The real server, built and booted on a free port: a batch posted over HTTP is pushed to
 * a socket.io client and read back through the API; the data survives a restart; bad
 * starts fail fast with a message a person can act on.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIVE_EVENT, type LivePush } from '../../lib/realtime/feed';
import { addProbeToken, adminHeaders, runCli, startFailure, startServer, type RunningServer } from '../helpers/server';
import { ended, opened, rtt } from '../helpers/events';

describe('dropscope server', () => {
  let server: RunningServer;
  let token: string;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'dropscope-e2e-'));

  // Pushes coalesce per interval: 1 s, so that twenty batches land in few pushes however
  // slowly a loaded machine stores them one after another (at the helper's 100 ms, batches
  // stored 100 ms apart would each get a push of their own).
  const env = { DROPSCOPE_LIVE_INTERVAL_MS: '1000' };

  beforeAll(async () => {
    server = await startServer({ dataDir, env });
    // The CLI runs while the server holds the PGlite directory: it goes through the admin socket.
    token = addProbeToken('edge-e2e-1', { DROPSCOPE_DATA_DIR: dataDir }, ['region=eu', 'isp=loopback']);
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const ingest = (events: unknown[], t = token) =>
    fetch(`${server.url}/api/v1/ingest`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events }),
    });

  it('pushes an accepted batch to socket.io clients and serves the session back', async () => {
    const socket: Socket = connect(server.url, { transports: ['websocket'], reconnection: false, extraHeaders: await adminHeaders(server) });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', reject);
      });
      const pushed = new Promise<LivePush>((resolve) => socket.once(LIVE_EVENT, resolve));
      const res = await ingest([opened('s-e2e00001'), ended('s-e2e00001', 60_004), rtt('s-e2e00001', [3])]);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ accepted: 3, duplicates: 0 });

      const push = await pushed;
      expect(push.items.map((i) => [i.type, i.sessionId, i.probe])).toEqual([
        ['session.opened', 's-e2e00001', 'edge-e2e-1'],
        ['session.ended', 's-e2e00001', 'edge-e2e-1'],
        ['rtt.samples', 's-e2e00001', 'edge-e2e-1'],
      ]);
      expect(push.items[1]).toMatchObject({ durationMs: 60_004, endKind: 'tcp_fin', target: 'canary', proxy: 'direct' });

      const session = await server.api('/api/v1/sessions/s-e2e00001');
      expect(session.status).toBe(200);
      expect(await session.json()).toMatchObject({ id: 's-e2e00001', probeName: 'edge-e2e-1', durationMs: 60_004, outcome: 'opened', live: false });
    } finally {
      socket.disconnect();
    }
  });

  it('coalesces a flood of batches into few pushes that still count every event', async () => {
    const socket: Socket = connect(server.url, { transports: ['websocket'], reconnection: false, extraHeaders: await adminHeaders(server) });
    try {
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      const pushes: LivePush[] = [];
      socket.on(LIVE_EVENT, (p: LivePush) => pushes.push(p));
      const batches = 20;
      await Promise.all(Array.from({ length: batches }, (_, i) => ingest([opened(`s-flood${String(i).padStart(3, '0')}`)])));
      const deadline = Date.now() + 20_000;
      const total = () => pushes.reduce((n, p) => n + (p.counts['session.opened'] ?? 0), 0);
      while (total() < batches && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(total()).toBe(batches);
      expect(pushes.length).toBeLessThan(batches);
    } finally {
      socket.disconnect();
    }
  });

  it('answers 404 for an unknown session and 400 for a malformed id', async () => {
    expect((await server.api('/api/v1/sessions/s-none0000')).status).toBe(404);
    expect((await server.api(`/api/v1/sessions/${'x'.repeat(80)}`)).status).toBe(400);
  });

  it('answers 401 over HTTP to a revoked probe', async () => {
    const other = addProbeToken('edge-e2e-revoked', { DROPSCOPE_DATA_DIR: dataDir });
    expect((await ingest([opened('s-rev00001')], other)).status).toBe(200);
    const r = runCli(['probe', 'revoke', 'edge-e2e-revoked'], { DROPSCOPE_DATA_DIR: dataDir });
    expect(r.status).toBe(0);
    expect((await ingest([opened('s-rev00002')], other)).status).toBe(401);
  });

  it('keeps an idle keep-alive connection open past 5 s, as a load balancer in front expects', async () => {
    // Node's default keepAliveTimeout (5 s) is shorter than an ALB's or nginx's 60 s idle
    // timeout: the balancer would reuse a connection the server had closed, and answer 502.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise<{ status: number; reused: boolean }>((resolve, reject) => {
        const req = request(`${server.url}/healthz`, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode!, reused: req.reusedSocket }));
        });
        req.on('error', reject);
        req.end();
      });
    try {
      expect(await get()).toEqual({ status: 200, reused: false });
      await new Promise((r) => setTimeout(r, 6_000));
      expect(await get()).toEqual({ status: 200, reused: true });
    } finally {
      agent.destroy();
    }
  });

  it('refuses a second server on the same data directory', async () => {
    const err = await startFailure({ dataDir });
    expect(err.exitCode).toBe(1);
    expect(err.output).toMatch(/dropscope could not start: data directory .* is in use by process \d+/);
  });

  it('keeps every session across a restart on the same data directory', async () => {
    expect(await server.stop()).toBe(0);
    server = await startServer({ dataDir, env });
    const session = await server.api('/api/v1/sessions/s-e2e00001');
    expect(await session.json()).toMatchObject({ durationMs: 60_004 });
    const list = runCli(['probe', 'list'], { DROPSCOPE_DATA_DIR: dataDir });
    expect(list.stdout).toMatch(/edge-e2e-1\s+active\s+isp=loopback,region=eu|edge-e2e-1\s+active\s+region=eu,isp=loopback/);
    expect(list.stdout).toMatch(/edge-e2e-revoked\s+revoked/);
    // A stop and a start of the built server inside the test: more than the default 30 s on a loaded machine.
  }, 120_000);
});

describe('refusing to start', () => {
  const expectStartFailure = async (env: Record<string, string>, dataDir?: string) => {
    const err = await startFailure({ env, dataDir });
    expect(err.exitCode).toBe(1);
    return err.output;
  };

  it('when PostgreSQL is unreachable, without printing the password', async () => {
    // It keeps trying for DROPSCOPE_DATABASE_WAIT_MS first (a database restarting with it).
    const out = await expectStartFailure({ DATABASE_URL: 'postgres://app:hunter2@127.0.0.1:1/dropscope', DROPSCOPE_DATABASE_WAIT_MS: '600' });
    expect(out).toContain('cannot reach PostgreSQL yet; trying again');
    expect(out).toContain('dropscope could not start: cannot reach PostgreSQL at postgres://app:***@127.0.0.1:1/dropscope');
    expect(out).not.toContain('hunter2');
  });

  it('when the data directory is unusable', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dropscope-bad-'));
    try {
      const file = path.join(dir, 'file');
      writeFileSync(file, '');
      const out = await expectStartFailure({}, file);
      expect(out).toMatch(/dropscope could not start: data directory .*file is unusable/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('when a setting is invalid, naming it', async () => {
    const out = await expectStartFailure({ DROPSCOPE_INGEST_MAX_BYTES: 'lots' });
    expect(out).toMatch(/dropscope could not start: invalid configuration: DROPSCOPE_INGEST_MAX_BYTES/);
  });
});
