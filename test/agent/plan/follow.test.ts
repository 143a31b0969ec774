/**
 * The real probe (agent/probe.ts) following a server plan: a stand-in backend on 127.0.0.1
 * serves GET /api/v1/probe/plan (ETag, 304), takes plan status reports and ingest batches; a
 * real `ws` server is the target. The plan is polled every 50 ms through startProbe's seam.
 * Every wait is a bounded poll naming what it waited for.
 */
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { SESSION_HEADER } from '../../../agent/canary';
import { parseProbeConfig } from '../../../agent/config';
import { PLAN_CACHE_FILE } from '../../../agent/plan/cache';
import { startProbe, type RunningProbe } from '../../../agent/probe';
import type { IngestEvent, SessionEnded, SessionOpened } from '../../../lib/contracts/ingest';
import { PLAN_PATH, PLAN_STATUS_PATH, planStatusSchema, type PlanStatusReport, type ServerPlanWire } from '../../../lib/contracts/plan';
import { createLogger } from '../../../lib/log';
import { VERSION_A, VERSION_B, wirePlan } from './fixtures';

const TOKEN = `dsp_9_${'p'.repeat(43)}`;
const VERSION_C = 'c0ffee00c0ffee00';

async function until(cond: () => boolean, what: string): Promise<void> {
  // A deadline in time, not in polls, generous for a loaded machine: dials and sockets are real.
  const deadline = Date.now() + 20_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('probe following the server plan', { timeout: 60_000 }, () => {
  let backend: Server;
  let backendUrl: string;
  /** What GET plan answers: a plan, or a status code. */
  let served: ServerPlanWire | number;
  let statuses: PlanStatusReport[];
  let events: IngestEvent[];
  let planRequests: number;
  let wss: WebSocketServer;
  let targetUrl: string;
  /** Connections the target accepted, by path (the URL path) and session id. */
  let connections: { path: string; session: string }[];
  let spoolDir: string;
  let probe: RunningProbe | undefined;
  let logText: string;

  beforeEach(async () => {
    statuses = [];
    events = [];
    connections = [];
    planRequests = 0;
    logText = '';
    spoolDir = mkdtempSync(path.join(tmpdir(), 'dropscope-follow-'));
    backend = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.headers.authorization !== `Bearer ${TOKEN}`) return void res.writeHead(401).end();
        if (req.method === 'GET' && req.url === PLAN_PATH) {
          planRequests++;
          if (typeof served === 'number') return void res.writeHead(served, { 'retry-after': '1' }).end('{}');
          const etag = `"${served.version}"`;
          if (req.headers['if-none-match'] === etag) return void res.writeHead(304).end();
          return void res.writeHead(200, { 'content-type': 'application/json', etag }).end(JSON.stringify(served));
        }
        let raw = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
        if (req.method === 'POST' && req.url === PLAN_STATUS_PATH) {
          statuses.push(planStatusSchema.parse(JSON.parse(raw.toString('utf8'))));
          return void res.writeHead(204).end();
        }
        const batch = JSON.parse(raw.toString('utf8')) as { events: IngestEvent[] };
        events.push(...batch.events);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: batch.events.length, duplicates: 0 }));
      });
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    wss.on('connection', (_ws, req) => connections.push({ path: req.url ?? '', session: String(req.headers[SESSION_HEADER]) }));
    await new Promise((r) => wss.once('listening', r));
    targetUrl = `ws://127.0.0.1:${(wss.address() as { port: number }).port}`;
  });
  afterEach(async () => {
    await probe?.stop({ flushTimeoutMs: 0 });
    probe = undefined;
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((r) => wss.close(() => r()));
    backend.closeAllConnections();
    await new Promise((r) => backend.close(r));
    rmSync(spoolDir, { recursive: true, force: true });
    expect(logText).not.toContain(TOKEN);
    expect(logText).not.toContain('s3cret');
  });

  async function start(env: Record<string, string> = {}) {
    const plan = parseProbeConfig(
      `
probe: { spoolDir: ${JSON.stringify(spoolDir)}, heartbeat: 1s }
backend: { url: "${backendUrl}", token: "${TOKEN}" }
reconnect: { base: 10ms, cap: 100ms }
targets:
  - { name: local, url: "${targetUrl}/local" }
paths:
  - { targets: [local], proxies: [direct], profiles: [idle] }
`,
      'follow.yaml',
      {},
    );
    const log = createLogger({ level: 'info', destination: { write: (s: string) => void (logText += s) } });
    probe = await startProbe(plan, log, { reporter: { idlePollMs: 50, lingerMs: 0 }, plan: { pollMs: 50, env, statusEveryMs: 100 } });
    return probe;
  }

  const live = (p: string) => {
    const ended = new Set(events.filter((e): e is SessionEnded => e.type === 'session.ended').map((e) => e.sessionId));
    return connections.filter((c) => c.path === p && !ended.has(c.session)).map((c) => c.session);
  };
  const endedOf = (session: string) => events.find((e): e is SessionEnded => e.type === 'session.ended' && e.sessionId === session);
  const lastStatus = () => statuses.at(-1);

  it('starts an added path, keeps the others open, closes a removed one, reports unconfigured paths', async () => {
    served = wirePlan({ targets: [], proxies: [], paths: [] });
    const p = await start({ DROPSCOPE_PROXY_USER: 'alice', DROPSCOPE_PROXY_PASS: 's3cret' });
    await until(() => live('/local').length === 1, 'the local canary open');
    await until(() => lastStatus()?.paths.some((s) => s.source === 'local' && s.open === 1) === true, 'a status with the local path open');
    const localSession = live('/local')[0]!;

    // A path added on the server: started, the local session untouched.
    served = wirePlan({ version: VERSION_B, targets: [{ name: 'app', url: `${targetUrl}/app` }], paths: [{ id: 1, targets: ['app'], proxies: ['direct'], profiles: ['idle'], canaries: 2 }] });
    await until(() => live('/app').length === 2, 'the server path\'s two canaries open');
    expect(p.plan().appliedVersion).toBe(VERSION_B);
    expect(live('/local')).toEqual([localSession]);
    const applied = (await p.metrics.registry.getSingleMetric('dropscope_probe_plan_applied_timestamp')?.get())?.values[0]?.value;
    expect(applied).toBeGreaterThan(Date.UTC(2026, 0, 1) / 1000);
    await until(() => lastStatus()?.paths.find((s) => s.source === 'server')?.open === 2, 'a status with the server path open');
    expect(lastStatus()).toMatchObject({ appliedVersion: VERSION_B, paths: [{ source: 'server', id: 1, target: 'app', proxy: 'direct', profile: 'idle', canaries: 2, state: 'running' }, { source: 'local', canaries: 1, open: 1 }] });
    const appSessions = live('/app');

    // A second path through a proxy whose password this probe lacks: unconfigured, with why; nothing restarts.
    served = wirePlan({
      version: VERSION_C,
      targets: [{ name: 'app', url: `${targetUrl}/app` }],
      proxies: [{ name: 'direct', url: 'direct' }, { name: 'corp', url: 'http://${DROPSCOPE_PROXY_USER}:${CORP_PASS}@127.0.0.1:9' }],
      paths: [
        { id: 1, targets: ['app'], proxies: ['direct'], profiles: ['idle'], canaries: 2 },
        { id: 2, targets: ['app'], proxies: ['corp'], profiles: ['idle'] },
      ],
    });
    await until(() => lastStatus()?.appliedVersion === VERSION_C, 'a status for the third plan');
    expect(lastStatus()!.paths.find((s) => s.id === 2)).toMatchObject({ state: 'unconfigured', field: 'proxies.1.url', reason: expect.stringContaining('CORP_PASS is not allowed for server plans') });
    expect(live('/app').sort()).toEqual([...appSessions].sort());

    // The path removed: its canaries end as the probe closing them, with the reason; the local one stays.
    served = wirePlan({ version: VERSION_A, targets: [], proxies: [], paths: [] });
    await until(() => appSessions.every((s) => endedOf(s) !== undefined), 'the removed path\'s sessions to end');
    expect(appSessions.map((s) => [endedOf(s)!.endKind, endedOf(s)!.closeReason])).toEqual(appSessions.map(() => ['probe_closed', 'path removed from the plan']));
    expect(live('/local')).toEqual([localSession]);
    expect(connections.filter((c) => c.path === '/local')).toHaveLength(1);
    expect(events.filter((e): e is SessionOpened => e.type === 'session.opened' && e.path.target.name === 'local')).toHaveLength(1);
  });

  it('runs an experiment where probe.yaml already goes, and reports it with source experiment', async () => {
    const verify = { name: 'verify-hb-30s', kind: 'heartbeat' as const, interval: '30s', timeout: '10s', hold: '225s' };
    served = wirePlan({ targets: [], proxies: [], paths: [], experiments: [{ id: 5, target: 'local', proxy: 'direct', profile: verify, purpose: 'verify a 30 s heartbeat' }, { id: 6, target: 'nowhere', proxy: 'direct', profile: verify, purpose: 'not here' }] });
    await start();
    await until(() => live('/local').length === 2, 'the local canary and the experiment open');
    await until(() => events.some((e) => e.type === 'session.opened' && e.path.profile === 'verify-hb-30s'), 'the experiment\'s session.opened shipped');
    const experimentOpened = events.find((e): e is SessionOpened => e.type === 'session.opened' && e.path.profile === 'verify-hb-30s')!;
    expect(experimentOpened.path).toMatchObject({ target: { name: 'local' }, profileKind: 'heartbeat', intervalMs: 30_000, holdMs: 225_000 });
    await until(() => lastStatus()?.paths.find((s) => s.source === 'experiment' && s.id === 5)?.open === 1, 'a status with the experiment open');
    expect(lastStatus()!.paths.filter((s) => s.source === 'experiment')).toEqual([
      { source: 'experiment', id: 5, target: 'local', proxy: 'direct', profile: 'verify-hb-30s', canaries: 1, open: 1, connecting: 0, backoff: 0, state: 'running' },
      { source: 'experiment', id: 6, target: 'nowhere', proxy: 'direct', profile: 'verify-hb-30s', canaries: 0, open: 0, connecting: 0, backoff: 0, state: 'unconfigured', reason: expect.stringContaining('runs no canary to target "nowhere"'), field: 'experiments.1.target' },
    ]);
  });

  it('a rejected plan keeps the current one and is reported with its issues', async () => {
    served = wirePlan({ targets: [{ name: 'app', url: `${targetUrl}/app` }] });
    const p = await start();
    await until(() => live('/app').length === 1, 'the server canary open');
    const session = live('/app')[0]!;
    served = { ...wirePlan({ version: VERSION_B }), profiles: [{ name: 'x', kind: 'nope' }] } as unknown as ServerPlanWire;
    await until(() => lastStatus()?.rejected !== undefined, 'a status with the rejected plan');
    expect(lastStatus()).toMatchObject({ appliedVersion: VERSION_A, rejected: { version: VERSION_B, issues: [{ path: 'profiles.0.kind' }] } });
    expect(p.plan().rejected?.version).toBe(VERSION_B);
    expect(live('/app')).toEqual([session]);
  });

  it('restarted while the backend is down: runs the cached server plan', async () => {
    served = wirePlan({ targets: [{ name: 'app', url: `${targetUrl}/app` }] });
    await start();
    await until(() => live('/app').length === 1, 'the server canary open');
    await probe!.stop({ flushTimeoutMs: 0 });
    probe = undefined;
    expect(existsSync(path.join(spoolDir, PLAN_CACHE_FILE))).toBe(true);
    const before = connections.filter((c) => c.path === '/app').length;

    served = 503;
    const requestsBefore = planRequests;
    const p = await start();
    await until(() => connections.filter((c) => c.path === '/app').length === before + 1, 'the cached server path to connect again');
    expect(p.plan().appliedVersion).toBe(VERSION_A);
    await until(() => planRequests > requestsBefore, 'the probe to ask the backend');
  });

  it('a server without plans (404): local paths only, asked again rarely, no status posted', async () => {
    served = 404;
    const p = await start();
    await until(() => live('/local').length === 1, 'the local canary open');
    await until(() => planRequests >= 1, 'the first plan request');
    await new Promise((r) => setTimeout(r, 300));
    expect(planRequests).toBe(1);
    expect(statuses).toEqual([]);
    expect(p.plan()).toEqual({ appliedVersion: null, outcomes: [], rejected: undefined });
  });
});
