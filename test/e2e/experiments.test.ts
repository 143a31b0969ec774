/**
 * Issue 18 end to end, without a Next build: a database whose sessions show an idle cut
 * (N = 2.2 s) on a probe's path; the experiment scheduler's round asks that probe to verify
 * the recommended heartbeat and to try TCP keepalive; the real probe (agent/probe.ts)
 * following its plan through the real routes and gate starts a canary for each against a
 * real `ws` target, which never cuts: the verification holds for 3 × N and the keepalive
 * rung survives its gap, both land through ingest, and the next round concludes them, which
 * takes them out of the plan. A viewer reads them at GET /api/v1/plan/experiments.
 *
 * The rounds run on the wall clock here (the probe's sessions carry real instants); every
 * wait is a poll naming what it waits for, bounded by the test's timeout only.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { and, eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { parseProbeConfig } from '../../agent/config';
import { startProbe, type RunningProbe } from '../../agent/probe';
import type { Database } from '../../db/client';
import { createApiToken } from '../../db/queries/api-tokens';
import type { ExperimentView } from '../../db/queries/experiments';
import { storeBatch } from '../../db/queries/ingest';
import { planForProbe, probePlanStatuses } from '../../db/queries/probe-plan';
import { addProbe } from '../../db/queries/probes';
import { canarySessions, probes } from '../../db/schema';
import type { ExperimentWire } from '../../components/fleet/experiments-list';
import { BUILTIN_LAYERS } from '../../lib/analysis/catalogue';
import { createLogger } from '../../lib/log';
import { runExperimentRound } from '../../server/experiments/scheduler';
import { backends } from '../helpers/databases';
import { cutEvents } from '../server/experiments/seed';
import { servePlanRoutes, type PlanRoutesServer } from '../app/api/v1/plan/serve-plan-routes';

const HOUR = 3_600_000;
/** Set once the suite is torn down (after a timeout too): a poll still running gives up. */
let closed = false;

async function until<T>(probe: () => Promise<T | undefined | null | false>, what: string, log: () => string): Promise<T> {
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (closed) throw new Error(`stopped waiting for ${what}\n${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(backends())('experiments end to end on $name', { timeout: 120_000 }, (backend) => {
  let database: Database;
  let server: PlanRoutesServer;
  let wss: WebSocketServer;
  let probe: RunningProbe | undefined;
  let probeId: number;
  let probeToken: string;
  let viewerToken: string;
  let spoolDir: string;
  let logText = '';

  beforeAll(async () => {
    closed = false;
    database = await backend.open();
    const made = await addProbe(database.db, { name: 'edge-e2e', labels: { region: 'lab' } });
    probeId = made.probe.id;
    probeToken = made.token;
    viewerToken = (await createApiToken(database.db, { name: 'viewer', role: 'viewer', expiresAt: null, createdBy: null }, new Date())).token;
    // The last 5 h: idle canaries on app · direct cut at 2.2 s of silence, heartbeats outliving it.
    const now = Date.now();
    await storeBatch(database.db, probeId, cutEvents({ probe: 'edge-e2e', target: 'app', proxy: 'direct', nMs: 2_200, kind: 'idle', from: now - 5 * HOUR, count: 40, spacingMs: 6 * 60_000 }), new Date(now));
    server = await servePlanRoutes(database, { ingest: true });
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    spoolDir = mkdtempSync(path.join(tmpdir(), 'dropscope-experiments-e2e-'));
  });
  afterAll(async () => {
    closed = true;
    await probe?.stop({ flushTimeoutMs: 0 });
    for (const c of wss?.clients ?? []) c.terminate();
    await new Promise<void>((r) => (wss ? wss.close(() => r()) : r()));
    await server?.close();
    await database?.close();
    rmSync(spoolDir, { recursive: true, force: true });
  });

  const api = (route: string, token: string) => fetch(`${server.base}${route}`, { headers: { authorization: `Bearer ${token}` } });
  const listed = async (): Promise<ExperimentView[]> => ((await (await api('/api/v1/plan/experiments', viewerToken)).json()) as { experiments: ExperimentView[] }).experiments;
  const round = () => runExperimentRound(database.db, { now: new Date(), layers: BUILTIN_LAYERS });
  const ended = (profile: string, reason: string) =>
    database.db
      .select()
      .from(canarySessions)
      .where(and(eq(canarySessions.probeId, probeId), eq(canarySessions.profile, profile), like(canarySessions.closeReason, `${reason}%`)))
      .then((rows) => rows[0]);
  const statusPaths = async () => (await probePlanStatuses(database.db, [probeId])).get(probeId)?.paths ?? [];

  it('reaches the probe through its plan, runs, concludes and leaves the plan', async () => {
    expect(await listed()).toEqual([]);
    const port = (wss.address() as { port: number }).port;
    const config = parseProbeConfig(
      `
probe: { spoolDir: ${JSON.stringify(spoolDir)}, heartbeat: 1s }
backend: { url: "${server.base}", token: "${probeToken}" }
reconnect: { base: 10ms, cap: 100ms }
targets:
  - { name: app, url: "ws://127.0.0.1:${port}/app" }
paths:
  - { targets: [app], proxies: [direct], profiles: [idle] }
`,
      'experiments-e2e.yaml',
      {},
    );
    const log = createLogger({ level: 'info', destination: { write: (s: string) => void (logText += s) } });
    probe = await startProbe(config, log, { reporter: { idlePollMs: 50, lingerMs: 0 }, plan: { pollMs: 50, env: {}, statusEveryMs: 100 } });
    const logs = () => logText.slice(-4000);
    // Only a probe that follows a server plan is asked anything.
    await until(async () => (await probePlanStatuses(database.db, [probeId])).get(probeId)?.fetchedAt, 'the probe\'s first plan fetch', logs);
    // ... and reads experiments: its heartbeat has told the server its version.
    await until(async () => (await database.db.select({ v: probes.agentVersion }).from(probes).where(eq(probes.id, probeId)))[0]?.v, 'the probe\'s first heartbeat', logs);

    const first = await round();
    expect(first).toMatchObject({ ran: true, ensured: { created: 2 } });
    const asked = await listed();
    const wire: ExperimentWire[] = asked;
    expect(wire.map((x) => [x.kind, x.profile, x.state]).sort()).toEqual([
      ['keepalive', { name: 'keepalive-1s', kind: 'keepalive', gap: '3s', keepalive: '1s', timeout: '10s' }, 'running'],
      ['verify', { name: 'verify-hb-1s', kind: 'heartbeat', interval: '1s', timeout: '1s', hold: '7s' }, 'running'],
    ]);
    // Probes never read it: the plan API is for people and scripts.
    expect((await api('/api/v1/plan/experiments', probeToken)).status).toBe(403);

    // The probe runs both on the path it already runs, and says so.
    await until(async () => {
      const paths = await statusPaths();
      const running = paths.filter((p) => p.source === 'experiment' && p.state === 'running').map((p) => p.id);
      return running.length === 2 && running;
    }, 'a status with both experiments running', logs);
    // Held for 3 × N and ended by the probe; the keepalive rung survived its 3 s of silence.
    const held = await until(() => ended('verify-hb-1s', 'hold:'), 'the verification to hold', logs);
    expect(held).toMatchObject({ targetName: 'app', proxyName: 'direct', endKind: 'probe_closed' });
    expect(held.durationMs).toBeGreaterThanOrEqual(7_000);
    await until(() => ended('keepalive-1s', 'keepalive:'), 'the keepalive rung to survive', logs);

    const second = await round();
    expect(second).toMatchObject({ concluded: 2, ensured: { created: 0, 'held back': 2 } });
    expect((await listed()).map((x) => x.state)).toEqual(['concluded', 'concluded']);
    expect(await planForProbe(database.db, probeId)).not.toHaveProperty('experiments');
    // The probe applies the plan without them and stops their canaries.
    await until(async () => {
      const paths = await statusPaths();
      return paths.length > 0 && !paths.some((p) => p.source === 'experiment');
    }, 'a status without experiments', logs);
  });
});
