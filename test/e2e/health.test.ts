/**
 * /healthz and /readyz on the built server, without credentials, on the dashboard's port
 * and on the DROPSCOPE_METRICS_LISTEN address (issue 19).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, randomLoopback } from '../helpers/ports';
import { startServer, type RunningServer } from '../helpers/server';

describe('health endpoints of the built server', () => {
  let server: RunningServer;
  let metricsUrl: string;

  beforeAll(async () => {
    // On a loopback address of the test's own: the port stays free until the server binds it.
    const host = randomLoopback();
    const port = await freePort(host);
    metricsUrl = `http://${host}:${port}`;
    server = await startServer({ env: { DROPSCOPE_METRICS_LISTEN: `${host}:${port}` } });
  });
  afterAll(async () => {
    await server?.dispose();
  });

  for (const where of ['dashboard', 'metrics'] as const) {
    it(`answers on the ${where} address without credentials`, async () => {
      const base = where === 'dashboard' ? server.url : metricsUrl;
      const live = await fetch(`${base}/healthz`);
      expect(live.status).toBe(200);
      expect(await live.json()).toEqual({ status: 'ok' });
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready', checks: { database: { ok: true }, migrations: { ok: true }, shutdown: { ok: true } } });
    });
  }

  it('still guards everything else on the dashboard address', async () => {
    expect((await fetch(`${server.url}/api/v1/overview`)).status).toBe(401);
  });
});
