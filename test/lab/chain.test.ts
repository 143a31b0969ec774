/**
 * Two layers in a chain, each with an idle timeout: the shorter one cuts, whichever side
 * of the chain it is on. The probe alone sees the same bare FIN either way; which layer
 * ended it shows in the timing, in the target's view and in the layers' own logs.
 *
 *   A: canary -> squid (CONNECT, read_timeout 10 s) -> nginx (proxy_read_timeout 2 s) -> target
 *   B: canary -> tinyproxy (CONNECT, Timeout 2)     -> nginx (proxy_read_timeout 6 s) -> target
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from './daemon';
import { attempt, canary, row, startTarget, targetView, type LabTarget } from './lab';
import { startNginx, startSquid, startTinyproxy, wsLocation } from './proxies';

const SHORT_S = 2;
const SQUID_LONG_S = 10;
const NGINX_LONG_S = 6;

let target: LabTarget;
let nginxShort: Daemon;
let nginxLong: Daemon;
let squid: Daemon;
let tinyproxy: Daemon;

beforeAll(async () => {
  target = await startTarget();
  [nginxShort, nginxLong] = await Promise.all([
    startNginx(wsLocation('/', target.port, SHORT_S), 'nginx-short'),
    startNginx(wsLocation('/', target.port, NGINX_LONG_S), 'nginx-long'),
  ]);
  [squid, tinyproxy] = await Promise.all([
    startSquid({ connectPorts: [nginxShort.port], readTimeoutS: SQUID_LONG_S }),
    startTinyproxy({ timeoutS: SHORT_S, connectPorts: [nginxLong.port] }),
  ]);
});

afterAll(async () => {
  await Promise.all([squid?.stop(), tinyproxy?.stop()]);
  await Promise.all([nginxShort?.stop(), nginxLong?.stop()]);
  await target?.close();
});

const errorLog = (d: Daemon) => readFile(join(d.dir, 'error.log'), 'utf8');

/** Whether `read()` matches `pattern` within a second (daemons write their logs a beat later). */
async function eventually(read: () => Promise<string>, pattern: RegExp): Promise<boolean> {
  const deadline = Date.now() + 1000;
  for (;;) {
    if (pattern.test(await read())) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a chain of two idle timeouts: the shorter one wins', () => {
  it(`A: squid (read_timeout ${SQUID_LONG_S} s) in front of nginx (proxy_read_timeout ${SHORT_S} s): nginx cuts at ${SHORT_S} s`, async () => {
    const run = await attempt(canary(`ws://127.0.0.1:${nginxShort.port}/canary`, `http://127.0.0.1:${squid.port}`));
    expect(run.result.opened).toBe(true);
    expect(run.opened!.responseHeaders!.server).toMatch(/^nginx/);
    const end = run.ended!;
    const view = await targetView(target, end.sessionId);
    row('squid 10s -> nginx 2s', `proxy_read_timeout ${SHORT_S}s`, end, view);
    expect(end.endKind).toBe('tcp_fin');
    expect(Math.abs(end.durationMs - SHORT_S * 1000)).toBeLessThan(250);
    // Both ends at the same instant: the layer that cut closed both of its sides.
    expect(view).toMatchObject({ closeFrameReceived: false, endKind: 'tcp_fin' });
    expect(Math.abs(view!.durationMs - end.durationMs)).toBeLessThan(250);
    // Which of the two: nginx's own timer fired (squid would have logged nothing yet, and
    // nginx would have seen its client leave instead).
    expect(await eventually(() => errorLog(nginxShort), /upstream timed out \(110: Connection timed out\) while proxying upgraded connection/)).toBe(true);
  });

  it(`B: tinyproxy (Timeout ${SHORT_S}) in front of nginx (proxy_read_timeout ${NGINX_LONG_S} s): tinyproxy cuts at ${SHORT_S} s`, async () => {
    const run = await attempt(canary(`ws://127.0.0.1:${nginxLong.port}/canary`, `http://127.0.0.1:${tinyproxy.port}`));
    expect(run.result.opened).toBe(true);
    const end = run.ended!;
    const view = await targetView(target, end.sessionId);
    row('tinyproxy 2 -> nginx 6s', `Timeout ${SHORT_S}`, end, view);
    expect(end.endKind).toBe('tcp_fin');
    expect(Math.abs(end.durationMs - SHORT_S * 1000)).toBeLessThan(250);
    // The target's view looks exactly like chain A: tinyproxy closed both of its sides and
    // nginx, seeing its client go, closed the upstream at once. Here the view cannot tell
    // the layers apart; their logs can.
    expect(view).toMatchObject({ closeFrameReceived: false, endKind: 'tcp_fin' });
    expect(Math.abs(view!.durationMs - end.durationMs)).toBeLessThan(250);
    expect(await eventually(async () => tinyproxy.output(), /Idle Timeout \(after poll\)/)).toBe(true);
    expect(await errorLog(nginxLong)).not.toMatch(/timed out/);
  });
});
