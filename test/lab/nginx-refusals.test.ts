/**
 * nginx misconfigured or with its upstream gone: the upgrade is refused, and the probe
 * must say so with the status that really came back and the `Server` header naming nginx,
 * because that header is what tells "nginx refused" from "the target refused".
 *
 * The classic mistake is a location that proxies without `proxy_http_version 1.1` and the
 * Upgrade/Connection headers: nginx then sends the target a plain HTTP/1.0 GET with
 * `Connection: close` (Upgrade is hop-by-hop, nginx drops it), so what the canary gets
 * back is whatever the target answers to a plain GET.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type Daemon } from './daemon';
import { attempt, canary, startTarget, type LabTarget } from './lab';
import { startNginx } from './proxies';
import { startStandaloneTarget } from './standalone-target';

/** Short, so a target that never answers the plain GET costs the suite one second. */
const SILENT_READ_TIMEOUT_S = 1;

let target: LabTarget;
let standalone: Daemon;
let nginx: Daemon;

beforeAll(async () => {
  target = await startTarget();
  standalone = await startStandaloneTarget();
  const closedPort = await freePort();
  const noUpgrade = (path: string, port: number, readTimeoutS = 5) => `
    location ${path} {
      rewrite ^ /canary break;
      proxy_pass http://127.0.0.1:${port};
      proxy_read_timeout ${readTimeoutS}s;
    }`;
  nginx = await startNginx(`
    location /standalone-ok/ {
      rewrite ^ /canary break;
      proxy_pass http://127.0.0.1:${standalone.port};
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection "upgrade";
    }
${noUpgrade('/standalone/', standalone.port)}
${noUpgrade('/in-process/', target.port, SILENT_READ_TIMEOUT_S)}
${noUpgrade('/down/', closedPort)}`);
});

afterAll(async () => {
  await nginx?.stop();
  await standalone?.stop();
  await target?.close();
});

describe('nginx refusing the upgrade', () => {
  it('a location without the Upgrade headers, in front of the standalone target: the target\'s 426 to a plain GET, with nginx\'s Server header', async () => {
    const run = await attempt(canary(`ws://127.0.0.1:${nginx.port}/standalone/`));
    expect(run.result.opened).toBe(false);
    expect(run.events).toHaveLength(1);
    // The standalone target answers any plain request 426 Upgrade Required; nginx passes
    // the status through and puts its own Server header on it (proxy_hide_header's default).
    expect(run.failed).toMatchObject({ outcome: 'upgrade_refused', httpStatus: 426, errorCode: 'HTTP_426' });
    expect(run.failed!.responseHeaders!.server).toMatch(/^nginx/);
    // The target's own headers are in a 101 only: a plain answer carries none of them.
    expect(run.failed!.responseHeaders!['x-dropscope-target']).toBeUndefined();
    // Control: the same target behind a location that passes the headers on opens.
    const ok = await attempt(canary(`ws://127.0.0.1:${nginx.port}/standalone-ok/`), AbortSignal.timeout(300));
    expect(ok.result.opened).toBe(true);
    expect(ok.opened!.responseHeaders).toMatchObject({ server: expect.stringMatching(/^nginx/), 'x-dropscope-target': 'lab-standalone' });
  });

  it('the same mistake in front of a target that has no plain-request handler: nginx\'s 504 at proxy_read_timeout', async () => {
    // The lab's in-process target (like any bare ws server on an http.Server without a
    // 'request' listener) never answers the plain GET, so nginx gives up at its own read
    // timeout and answers 504 itself.
    const t0 = performance.now();
    const run = await attempt(canary(`ws://127.0.0.1:${nginx.port}/in-process/`));
    const elapsed = performance.now() - t0;
    expect(run.failed).toMatchObject({ outcome: 'upgrade_refused', httpStatus: 504, errorCode: 'HTTP_504' });
    expect(run.failed!.responseHeaders!.server).toMatch(/^nginx/);
    expect(run.failed!.timings.upgradeMs).toBeGreaterThan(SILENT_READ_TIMEOUT_S * 1000 - 100);
    expect(elapsed).toBeLessThan(SILENT_READ_TIMEOUT_S * 1000 + 1000);
  });

  it('an upstream that is down (nothing listens on the proxied port): nginx\'s 502', async () => {
    const run = await attempt(canary(`ws://127.0.0.1:${nginx.port}/down/`));
    expect(run.result.opened).toBe(false);
    expect(run.events).toHaveLength(1);
    expect(run.failed).toMatchObject({ outcome: 'upgrade_refused', httpStatus: 502, errorCode: 'HTTP_502' });
    expect(run.failed!.responseHeaders!.server).toMatch(/^nginx/);
    // nginx's own log says why: it could not reach the upstream.
    expect(await readFile(join(nginx.dir, 'error.log'), 'utf8')).toMatch(/connect\(\) failed \(111: Connection refused\) while connecting to upstream/);
  });
});
