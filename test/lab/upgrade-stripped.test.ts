/**
 * The classic reverse-proxy misconfiguration, on the direct path (no forward proxy): an
 * nginx location that proxies to a WebSocket origin without `proxy_http_version 1.1` and
 * the Upgrade/Connection headers. nginx then sends the origin a plain HTTP/1.0 GET with
 * `Connection: close` (Upgrade is hop-by-hop, nginx drops it), and the origin, a bare `ws`
 * WebSocketServer on its own port, answers a plain GET with 426 Upgrade Required; nginx
 * passes that on with its own Server header.
 *
 * From the real attempt.failed events the test builds the RefusalGroups the server would
 * (db/queries/findings.ts `refusalGroups`, here samples.ts `refusalGroupsOf`), and
 * `refusalFindings` must tell the SRE what is wrong: the Upgrade headers are stripped in
 * front of the target, fix the location with proxy_http_version 1.1 and the two headers.
 * The controls show the origin itself upgrades, directly and through a location that
 * passes the headers on.
 */
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { refusalFindings, type RefusalGroup } from '../../lib/analysis/findings';
import type { Daemon } from './daemon';
import { attempt, canary, type Run } from './lab';
import { nginxVersion, startNginx, wsLocation } from './proxies';
import { record } from './record';
import { refusalGroupsOf, runTogether, samplesOf } from './samples';

/** refusalFindings reports a group from three refusals up. */
const REFUSED_N = 4;
const CONTROL_N = 2;

let origin: WebSocketServer;
let originPort: number;
let nginx: Daemon;
let version: string;
let refused: Run[];
let controls: Run[];
let groups: RefusalGroup[];

beforeAll(async () => {
  version = await nginxVersion();
  origin = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(origin, 'listening');
  originPort = (origin.address() as { port: number }).port;
  nginx = await startNginx(`
    location /stripped/ {
      rewrite ^ /canary break;
      proxy_pass http://127.0.0.1:${originPort};
      proxy_read_timeout 5s;
    }
${wsLocation('/ok/', originPort, 5)}`);

  // One after another, as a probe retries: each is its own refused upgrade.
  refused = [];
  for (let i = 0; i < REFUSED_N; i++) refused.push(await attempt(canary(`ws://127.0.0.1:${nginx.port}/stripped/`, 'direct', undefined, { target: 'nginx-front' })));
  controls = await runTogether(
    [
      ...Array.from({ length: CONTROL_N }, () => canary(`ws://127.0.0.1:${originPort}/canary`, 'direct', undefined, { target: 'origin' })),
      ...Array.from({ length: CONTROL_N }, () => canary(`ws://127.0.0.1:${nginx.port}/ok/`, 'direct', undefined, { target: 'nginx-ok' })),
    ],
    300,
  );
  groups = refusalGroupsOf([...refused, ...controls]);
  for (const r of refused) console.log(`LAB | stripped upgrade: ${r.failed?.outcome} ${r.failed?.httpStatus} ${r.failed?.errorCode} server ${r.failed?.responseHeaders?.server} body ${JSON.stringify(r.failed?.bodyExcerpt)}`);

  await record({
    name: 'upgrade-stripped-nginx',
    classes: ['lab', 'refusal'],
    why: 'nginx 1.22 location without proxy_http_version 1.1 / Upgrade / Connection in front of a bare ws 8.23 WebSocketServer: nginx sends it a plain HTTP/1.0 GET, ws answers 426 Upgrade Required, nginx passes it on under Server: nginx. Direct path, no forward proxy. The controls (the origin directly, and through a location that passes the headers on) upgrade.',
    sessions: await samplesOf(controls),
    refusals: groups,
    expect: { signatures: [], findings: [{ kind: 'refusal', cause: 'upgrade-headers-stripped' }] },
  });
}, 60_000);

afterAll(async () => {
  await nginx?.stop();
  if (origin) {
    for (const c of origin.clients) c.terminate();
    await new Promise((r) => origin.close(r));
  }
});

describe('nginx without proxy_http_version 1.1 / Upgrade / Connection in front of a ws origin', () => {
  it('every upgrade through it is refused with the origin\'s 426, under nginx\'s Server header', () => {
    for (const r of refused) {
      expect(r.result.opened).toBe(false);
      expect(r.events).toHaveLength(1);
      expect(r.failed).toMatchObject({ outcome: 'upgrade_refused', httpStatus: 426, errorCode: 'HTTP_426', path: { proxy: { kind: 'direct' } } });
      expect(r.failed!.responseHeaders!.server).toBe(`nginx/${version}`);
    }
  });

  it('the origin upgrades directly and through a location that passes the headers on', () => {
    expect(controls.map((r) => r.result.opened)).toEqual(Array(2 * CONTROL_N).fill(true));
    expect(controls.every((r) => r.ended?.endKind === 'probe_closed')).toBe(true);
  });

  it('the server\'s refusal group: one, on the direct path to nginx-front, all of its attempts', () => {
    expect(groups).toHaveLength(1);
    expect(groups[0]).toMatchObject({
      target: 'nginx-front',
      proxy: 'direct',
      outcome: 'upgrade_refused',
      reason: '426',
      server: `nginx/${version}`,
      count: REFUSED_N,
      attempts: REFUSED_N,
      directCount: REFUSED_N,
      headers: { server: `nginx/${version}` },
      errorCode: 'HTTP_426',
    });
  });

  it('refusalFindings: the Upgrade headers are stripped in front of the target; the fix names proxy_http_version, Upgrade and Connection', () => {
    const findings = refusalFindings(groups);
    console.log(`LAB | stripped upgrade findings: ${JSON.stringify(findings)}`);
    expect(findings).toHaveLength(1);
    const f = findings[0]!;
    expect(f, JSON.stringify(f)).toMatchObject({ kind: 'refusal', cause: 'upgrade-headers-stripped' });
    expect(f.recommendation).toMatch(/proxy_http_version 1\.1/);
    expect(f.recommendation).toMatch(/Upgrade/);
    expect(f.recommendation).toMatch(/Connection/);
    // The layer that answered is nginx, in front of the target: no forward proxy to blame.
    expect(`${f.title} ${f.detail}`).toMatch(/nginx/);
    expect(f.recommendation).not.toMatch(/CONNECT/);
  });
});
