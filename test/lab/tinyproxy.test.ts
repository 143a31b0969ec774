/**
 * tinyproxy as a CONNECT proxy: `ConnectPort` allows only the target's port, and
 * `Timeout` is its idle timeout for a relayed connection, tunnels included.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type Daemon } from './daemon';
import { attempt, canary, HEARTBEAT, row, startTarget, targetView, type LabTarget } from './lab';
import { startTinyproxy } from './proxies';

const TIMEOUT_S = 2;

let target: LabTarget;
let tinyproxy: Daemon;
let deniedPort: number;

beforeAll(async () => {
  target = await startTarget();
  deniedPort = await freePort();
  tinyproxy = await startTinyproxy({ timeoutS: TIMEOUT_S, connectPorts: [target.port] });
});

afterAll(async () => {
  await tinyproxy?.stop();
  await target?.close();
});

describe('tinyproxy (CONNECT, Timeout 2)', () => {
  it('opens a canary through CONNECT and cuts it idle at Timeout', async () => {
    const run = await attempt(canary(`ws://127.0.0.1:${target.port}/canary`, `http://127.0.0.1:${tinyproxy.port}`));
    expect(run.result.opened).toBe(true);
    expect(run.opened!.timings.proxyMs).toBeGreaterThan(0);
    const end = run.ended!;
    const view = await targetView(target, end.sessionId);
    row('tinyproxy CONNECT idle', `Timeout ${TIMEOUT_S}`, end, view);
    expect(end.endKind).toBe('tcp_fin');
    expect(end.closeCode).toBe(1006);
    // tinyproxy 1.11 polls with a millisecond timeout: measured 2003-2004 ms every run.
    expect(Math.abs(end.durationMs - TIMEOUT_S * 1000)).toBeLessThan(250);
    expect(Math.abs(end.sinceLastRecvMs! - end.durationMs)).toBeLessThan(50);
    expect(view).toMatchObject({ closeFrameReceived: false });
  });

  it('keeps a heartbeat canary open past twice the Timeout', async () => {
    const run = await attempt(canary(`ws://127.0.0.1:${target.port}/canary`, `http://127.0.0.1:${tinyproxy.port}`, HEARTBEAT), AbortSignal.timeout(4500));
    const end = run.ended!;
    row('tinyproxy heartbeat 500ms', `Timeout ${TIMEOUT_S}`, end, await targetView(target, end.sessionId));
    expect(end.endKind).toBe('probe_closed');
    expect(end.durationMs).toBeGreaterThan(4000);
  });

  it('reports tinyproxy\'s "403 Access violation" to a port it does not allow as the proxy\'s refusal', async () => {
    const run = await attempt(canary(`ws://127.0.0.1:${deniedPort}/canary`, `http://127.0.0.1:${tinyproxy.port}`));
    expect(run.result.opened).toBe(false);
    expect(run.events).toHaveLength(1);
    expect(run.failed).toMatchObject({ outcome: 'proxy_refused', errorCode: 'PROXY_HTTP_403' });
    expect(run.failed!.proxyReply).toMatch(/^HTTP\/1\.[01] 403 Access violation \(Server: tinyproxy/);
  });
});
