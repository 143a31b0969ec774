/**
 * HAProxy in mode http in front of the canary target. Once the 101 has passed, HAProxy
 * treats the connection as a tunnel and `timeout tunnel` replaces `timeout client` and
 * `timeout server`: the lab sets it short and the other two long, so a cut at the tunnel
 * timeout can only come from that one directive.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from './daemon';
import { attempt, canary, HEARTBEAT, row, startTarget, targetView, type LabTarget } from './lab';
import { startHaproxy } from './proxies';

const TUNNEL_TIMEOUT_MS = 2000;

let target: LabTarget;
let haproxy: Daemon;

beforeAll(async () => {
  target = await startTarget();
  haproxy = await startHaproxy({ upstreamPort: target.port, tunnelTimeoutS: TUNNEL_TIMEOUT_MS / 1000 });
});

afterAll(async () => {
  await haproxy?.stop();
  await target?.close();
});

describe('HAProxy mode http (timeout tunnel 2s, client/server 30s)', () => {
  it('cuts an idle canary at timeout tunnel', async () => {
    const run = await attempt(canary(`ws://127.0.0.1:${haproxy.port}/canary`));
    expect(run.result.opened).toBe(true);
    const end = run.ended!;
    const view = await targetView(target, end.sessionId);
    row('haproxy idle', 'timeout tunnel 2s', end, view);
    // HAProxy closes both sides of the tunnel without a WebSocket close frame, but not in
    // the same way: the client gets a FIN, while the server side is aborted with a reset
    // (measured on HAProxy 2.6, every run). FIN at the probe with RST at the target, both
    // at the tunnel timeout, is HAProxy's signature next to nginx's FIN on both sides.
    expect(end.endKind).toBe('tcp_fin');
    expect(end.closeCode).toBe(1006);
    expect(Math.abs(end.durationMs - TUNNEL_TIMEOUT_MS)).toBeLessThan(250);
    expect(Math.abs(end.sinceLastRecvMs! - end.durationMs)).toBeLessThan(50);
    expect(view).toMatchObject({ closeFrameReceived: false, endKind: 'tcp_reset' });
    expect(Math.abs(view!.durationMs - end.durationMs)).toBeLessThan(250);
  });

  it('keeps a heartbeat canary open past twice the tunnel timeout', async () => {
    const run = await attempt(canary(`ws://127.0.0.1:${haproxy.port}/canary`, 'direct', HEARTBEAT), AbortSignal.timeout(4500));
    const end = run.ended!;
    row('haproxy heartbeat 500ms', 'timeout tunnel 2s', end, await targetView(target, end.sessionId));
    expect(end.endKind).toBe('probe_closed');
    expect(end.durationMs).toBeGreaterThan(4000);
  });
});
