/**
 * nginx as a reverse proxy in front of the canary target, the way most WebSocket
 * deployments run it: proxy_http_version 1.1 with the Upgrade/Connection headers passed
 * on, and a short `proxy_read_timeout` so its idle cut comes in seconds, not minutes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from './daemon';
import { attempt, canary, HEARTBEAT, row, startTarget, targetView, type LabTarget } from './lab';
import { startNginx, wsLocation } from './proxies';

const READ_TIMEOUT_MS = 2000;

let target: LabTarget;
let nginx: Daemon;

beforeAll(async () => {
  target = await startTarget();
  nginx = await startNginx(`
    location /forbidden { return 403; }
${wsLocation('/', target.port, READ_TIMEOUT_MS / 1000)}`);
});

afterAll(async () => {
  await nginx?.stop();
  await target?.close();
});

describe('nginx reverse proxy (proxy_read_timeout 2s)', () => {
  it('cuts an idle canary after proxy_read_timeout with a bare FIN, no close frame', async () => {
    const run = await attempt(canary(`ws://127.0.0.1:${nginx.port}/canary`));
    expect(run.result.opened).toBe(true);
    expect(run.opened!.responseHeaders!.server).toMatch(/^nginx/);
    // The target sees nginx's address, which on loopback is the same 127.0.0.1.
    expect(run.opened!.egressAddress).toBe('127.0.0.1');
    const end = run.ended!;
    const view = await targetView(target, end.sessionId);
    row('nginx idle', 'proxy_read_timeout 2s', end, view);
    // On the timeout nginx finalizes the upgraded request and closes both connections: it
    // does not speak WebSocket, so no close frame, just a FIN (ws reports 1006).
    expect(end.endKind).toBe('tcp_fin');
    expect(end.closeCode).toBe(1006);
    expect(Math.abs(end.durationMs - READ_TIMEOUT_MS)).toBeLessThan(250);
    // Idle: the last byte received was the 101, right at open.
    expect(Math.abs(end.sinceLastRecvMs! - end.durationMs)).toBeLessThan(50);
    // The target's side ended the same way at the same moment: a middle layer closed both.
    expect(view).toMatchObject({ closeFrameReceived: false, endKind: 'tcp_fin' });
    expect(Math.abs(view!.durationMs - end.durationMs)).toBeLessThan(250);
  });

  it('keeps a heartbeat canary (ping every 500 ms) open past twice the timeout', async () => {
    const run = await attempt(canary(`ws://127.0.0.1:${nginx.port}/canary`, 'direct', HEARTBEAT), AbortSignal.timeout(4500));
    const end = run.ended!;
    row('nginx heartbeat 500ms', 'proxy_read_timeout 2s', end, await targetView(target, end.sessionId));
    expect(end.endKind).toBe('probe_closed');
    expect(end.closeCode).toBe(1001);
    expect(end.durationMs).toBeGreaterThan(4000);
    expect(end.rtt!.count).toBeGreaterThanOrEqual(7);
  });

  it('reports nginx\'s own 403 as a refused upgrade naming nginx', async () => {
    const run = await attempt(canary(`ws://127.0.0.1:${nginx.port}/forbidden`));
    expect(run.result.opened).toBe(false);
    expect(run.events).toHaveLength(1);
    expect(run.failed).toMatchObject({ outcome: 'upgrade_refused', httpStatus: 403, errorCode: 'HTTP_403' });
    expect(run.failed!.responseHeaders!.server).toMatch(/^nginx/);
  });
});
