/**
 * The built agent (dist/dropscope-agent.js, what an edge host runs) against the real
 * server: canaries through a real CONNECT proxy with an idle timeout land as sessions
 * with the target's view beside them; events survive a backend outage and a probe restart.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomInt } from 'node:crypto';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConnectProxy, type ConnectProxy } from '../../demo/connect-proxy';
import type { SessionView } from '../../db/queries/sessions';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus';
import { AGENT, startAgent, until } from '../helpers/agent';
import { addProbeToken, childEnv, startServer, stopChild, type RunningServer } from '../helpers/server';


/**
 * The backend's own loopback address (all of 127.0.0.0/8 is loopback): the test stops the
 * server and starts it again on the same port, which on 127.0.0.1 a server of a test
 * running in parallel could take in between.
 */
const HOST = `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, HOST, r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}




describe('dropscope-agent against the server', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dropscope-agent-e2e-'));
  const dataDir = path.join(dir, 'data');
  let server: RunningServer;
  let proxy: ConnectProxy;
  let port: number;
  let configFile: string;
  let token: string;
  let metricsPort: number;
  let agent: ReturnType<typeof startAgent> | undefined;

  const sessions = async (query = ''): Promise<SessionView[]> => {
    const res = await server.api(`/api/v1/sessions?limit=1000${query}`);
    return ((await res.json()) as { sessions: SessionView[] }).sessions;
  };

  beforeAll(async () => {
    port = await freePort();
    metricsPort = await freePort();
    server = await startServer({ dataDir, env: { PORT: String(port), HOST } });
    token = addProbeToken('edge-agent-1', { DROPSCOPE_DATA_DIR: dataDir }, ['region=lab']);
    // 4 s of silence, eight times the heartbeat canaries' 500 ms: a loaded machine that delays
    // a ping (or the proxy's reading of it) by a second or two must not cut those.
    proxy = await startConnectProxy({ idleTimeoutMs: 4000 });
    configFile = path.join(dir, 'probe.yaml');
    writeFileSync(
      configFile,
      `
probe: { spoolDir: ${JSON.stringify(path.join(dir, 'spool'))}, heartbeat: 1s }
backend: { url: "http://${HOST}:${port}", token: "\${PROBE_TOKEN}" }
reconnect: { base: 200ms, cap: 1s }
dial: { timeout: 2s }
metrics: { listen: "${HOST}:${metricsPort}" }
targets:
  - { name: builtin, url: "ws://${HOST}:${port}/canary" }
proxies:
  - { name: direct, url: direct }
  - { name: idle-4000, url: "http://lab:secret-pass@127.0.0.1:${proxy.port}" }
profiles:
  - { name: hb, kind: heartbeat, interval: 500ms, timeout: 1s }
paths:
  - { profiles: [idle, hb] }
`,
    );
  });
  afterAll(async () => {
    if (agent) await stopChild(agent);
    await proxy?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('--check validates and prints the plan without secrets', () => {
    const r = spawnSync(process.execPath, [AGENT, '--config', configFile, '--check'], { env: childEnv({ PROBE_TOKEN: token }), encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('4 canaries');
    expect(r.stdout).toContain(`idle-4000 (http://127.0.0.1:${proxy.port})`);
    expect(r.stdout + r.stderr).not.toContain('secret-pass');
    expect(r.stdout + r.stderr).not.toContain(token);
    const bad = spawnSync(process.execPath, [AGENT, '--config', configFile, '--check'], { env: childEnv(), encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(`${configFile}: backend.token: environment variable PROBE_TOKEN is not set`);
  });

  it('reports cuts through the proxy at its idle timeout, with the target\'s view beside them', async () => {
    agent = startAgent(configFile, { PROBE_TOKEN: token });
    const cut = await until('a cut through the proxy', async () => (await sessions('&proxy=idle-4000&profile=idle')).find((s) => s.endKind === 'tcp_fin' && s.targetView));
    // The proxy's 4 s idle timer starts when it forwards the 101, the probe's clock when it
    // reads it: event-loop lag on a loaded 2-core machine moves the measured cut either way
    // (with a 1.5 s timer, 1,426 ms and over 2 s were both seen). The lab suite holds
    // the exact cut (test/lab/*); here, that the proxy cut an idle tunnel after a second or
    // more, while the heartbeat canaries through it stay open (below).
    expect(cut.durationMs!).toBeGreaterThanOrEqual(1000);
    expect(cut).toMatchObject({ probeName: 'edge-agent-1', proxyKind: 'http', proxyUrl: `http://127.0.0.1:${proxy.port}`, outcome: 'opened', httpStatus: 101, egressAddress: '127.0.0.1' });
    expect(cut.proxyMs).toBeGreaterThan(0);
    expect(cut.targetView).toMatchObject({ targetName: 'builtin', closeFrameReceived: false, endKind: 'tcp_fin' });
    // Both ends saw the cut through the proxy.
    expect(cut.targetView!.durationMs).toBeGreaterThanOrEqual(1000);
    // Heartbeats keep the same proxy's tunnels alive: those canaries are still open.
    const live = await sessions('&proxy=idle-4000&profile=hb');
    expect(live.some((s) => s.live)).toBe(true);
    expect(live.every((s) => s.endKind !== 'tcp_fin')).toBe(true);
    expect(JSON.stringify(await sessions())).not.toContain('secret-pass');

    // The probe's own /metrics: canaries by state, drops by path, spool depth.
    const metrics = parsePrometheusText(await (await fetch(`http://${HOST}:${metricsPort}/metrics`)).text());
    expect(sampleValue(metrics, 'dropscope_probe_canaries', { state: 'open' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(metrics, 'dropscope_probe_drops_total', { path: 'builtin~idle-4000', end_kind: 'tcp_fin' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(metrics, 'dropscope_probe_spool_depth')).toBeGreaterThanOrEqual(0);
    expect(sampleValue(metrics, 'dropscope_probe_report_failures')).toBe(0);
  });

  it('keeps every event through a backend outage and a probe restart', async () => {
    await server.stop();
    const outageStart = new Date();
    // While the backend (and the built-in target with it) is down, canaries fail to dial
    // and the probe spools those failures: the probe's own /metrics counts them. Waited for
    // (two, so that one dialed after outageStart), not slept on: a loaded machine may take
    // longer than any fixed pause to notice the cut and dial again.
    const dialFailures = async () => sampleValue(parsePrometheusText(await (await fetch(`http://${HOST}:${metricsPort}/metrics`)).text()), 'dropscope_probe_attempts_total', { outcome: 'dial_failed' }) ?? 0;
    const failuresBefore = await dialFailures();
    await until('dial failures during the outage', async () => (await dialFailures()) >= failuresBefore + 2);
    server = await startServer({ dataDir, env: { PORT: String(port), HOST } });
    // Refused once the server is gone. A dial that lands while it is shutting down is reset,
    // and one that lands while the new server is starting (listening, not yet answering) times
    // out: CI saw ETIMEDOUT as the newest failure once. The refusals must be there, and
    // nothing but these three.
    const failedInOutage = await until('attempts refused during the outage', async () => {
      const failed = await sessions(`&outcome=dial_failed&from=${encodeURIComponent(outageStart.toISOString())}`);
      return failed.some((s) => s.errorCode === 'ECONNREFUSED') && failed;
    });
    for (const s of failedInOutage) expect(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT']).toContain(s.errorCode);

    // Sessions that were open when the backend went down ended then; their endings were
    // spooled and arrive now.
    await until('the endings of sessions cut by the outage', async () => {
      const before = (await sessions(`&to=${encodeURIComponent(outageStart.toISOString())}`)).filter((s) => s.outcome === 'opened');
      return before.length > 0 && before.every((s) => s.endedAt !== null) && before;
    });

    // A probe restart: SIGTERM closes canaries politely (probe_closed), ships them, and the
    // new process carries on from the same spool.
    expect(await stopChild(agent!)).toBe(0);
    agent = startAgent(configFile, { PROBE_TOKEN: token });
    const restartedAt = new Date();
    // Shipped at the stop, or (if the server was too slow for the stop's bounded flush) by the
    // next process from the same spool.
    await until('the probe_closed endings of the stopped process', async () => (await sessions('&endKind=probe_closed')).length >= 1);
    await until('new sessions after the probe restart', async () => (await sessions(`&from=${encodeURIComponent(restartedAt.toISOString())}`)).some((s) => s.outcome === 'opened'));
    const all = await sessions();
    expect(all.filter((s) => s.outcome === null)).toEqual([]);
  });

  it('closes in the record the sessions a SIGKILLed probe left open, and loses no event', async () => {
    const liveBefore = await until('live sessions', async () => {
      // Sessions nothing else will end: direct, or heartbeats (the proxy cuts only the idle ones).
      const live = (await sessions()).filter((s) => s.live && (s.proxyName === 'direct' || s.profile === 'hb'));
      return live.length >= 2 && live;
    });
    agent!.kill('SIGKILL');
    await new Promise((r) => agent!.once('exit', r));
    agent = startAgent(configFile, { PROBE_TOKEN: token });
    const closed = await until('the killed process\'s sessions closed by its successor', async () => {
      const now = await sessions();
      const ids = new Set(liveBefore.map((s) => s.id));
      const mine = now.filter((s) => ids.has(s.id));
      return mine.every((s) => !s.live) && mine;
    });
    // Recorded as ended by the probe, not as drops: nobody saw them end.
    for (const s of closed) expect(s).toMatchObject({ endKind: 'probe_closed', errorCode: 'PROBE_RESTARTED' });
    // The target, however, saw when each really ended.
    await until('target views of the killed sessions', async () => closed.every((s) => s.targetView !== null) || (await sessions()).filter((s) => closed.some((c) => c.id === s.id)).every((s) => s.targetView !== null));
    const ids = (await sessions()).map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
