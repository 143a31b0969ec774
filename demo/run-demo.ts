/**
 * The quick-start demo, run inside the server: a probe holding canaries to the built-in
 * canary target, directly and through a small CONNECT proxy that cuts tunnels idle for 20 s.
 * Within a minute a newcomer sees real drops at exactly 20 s on the proxied path, none on
 * the direct path, and heartbeat canaries surviving through the same proxy: the whole
 * story dropscope tells, on loopback.
 */
import path from 'node:path';
import { tmpdir } from 'node:os';
import type { ProbePlan } from '../agent/config';
import { parseProbeConfig } from '../agent/config';
import { startProbe, type RunningProbe } from '../agent/probe';
import type { Database } from '../db/client';
import { issueProbeToken } from '../db/queries/probes';
import type { Logger } from '../lib/log';
import { startConnectProxy, type ConnectProxy } from './connect-proxy';
import { moduleLogger } from '../lib/log';

export const DEMO_PROXY_IDLE_MS = 20_000;

export interface Demo {
  stop(): Promise<void>;
}

export async function startDemo(options: { database: Database; serverPort: number; spoolDir?: string; log: Logger }): Promise<Demo> {
  const { database, serverPort, log } = options;
  let proxy: ConnectProxy | null = null;
  let probe: RunningProbe | null = null;
  try {
    proxy = await startConnectProxy({ idleTimeoutMs: DEMO_PROXY_IDLE_MS, allowPorts: [serverPort] });
    const { token } = await issueProbeToken(database.db, { name: 'demo', labels: { demo: 'true', host: 'builtin' } });
    const spoolDir = options.spoolDir ?? path.join(tmpdir(), `dropscope-demo-spool-${serverPort}`);
    const plan: ProbePlan = parseProbeConfig(
      `
probe: { spoolDir: ${JSON.stringify(spoolDir)}, heartbeat: 15s }
backend: { url: "http://127.0.0.1:${serverPort}", token: "${token}" }
reconnect: { base: 1s, cap: 30s }
# The demo's paths are its own: the Fleet page's paths are for real probes. It runs the
# experiments the server asks of it (a verification of the fix, a TCP keepalive rung) on them.
plan: { fromServer: experiments, poll: 5s }
targets:
  - { name: builtin, url: "ws://127.0.0.1:${serverPort}/canary" }
proxies:
  - { name: direct, url: direct }
  - { name: demo-proxy-idle-20s, url: "http://127.0.0.1:${proxy.port}" }
profiles:
  - { name: heartbeat, kind: heartbeat, interval: 10s, timeout: 5s }
  - { name: ladder, kind: ladder, gaps: [10s, 30s], timeout: 5s }
  # The adaptive ladder: 5 s and 10 s survive, 20 s is cut at 20 s, one rung just under it
  # survives: "idle timeout between 19.8 s and 20.0 s" a minute after the start.
  - { name: bisect, kind: bisect, from: 5s, max: 120s, timeout: 5s }
paths:
  - { profiles: [idle], canaries: 2 }
  - { profiles: [heartbeat, ladder] }
  - { proxies: [demo-proxy-idle-20s], profiles: [bisect] }
`,
      'demo probe',
    );
    probe = await startProbe(plan, moduleLogger(log, 'demo-probe'));
    log.info({ proxyPort: proxy.port, canaries: plan.canaries.length, idleTimeoutMs: DEMO_PROXY_IDLE_MS }, 'demo probe running: expect drops at 20 s through demo-proxy-idle-20s');
  } catch (err) {
    await probe?.stop({ flushTimeoutMs: 0 });
    await proxy?.close();
    throw err;
  }
  return {
    async stop() {
      await probe?.stop({ flushTimeoutMs: 2000 });
      await proxy?.close();
    },
  };
}
