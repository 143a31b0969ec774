/** GET /api/v1/overview on the real built server: validated query string, thin delegation. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR_MS, overviewSchema } from '../../../../../lib/overview/overview';
import { startServer, type RunningServer } from '../../../../helpers/server';

let server: RunningServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.dispose();
});

const get = (query: string) => server.api(`/api/v1/overview${query}`);

describe('GET /api/v1/overview', () => {
  it('answers the overview for the last hour by default, uncached', async () => {
    const res = await get('');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = overviewSchema.parse(await res.json());
    expect(body).toMatchObject({ windowMs: HOUR_MS, probes: 0, hasSessions: false, attempts: 0, upgradeSuccessRatio: null });
    expect(Math.abs(Date.parse(body.at) - Date.now())).toBeLessThan(60_000);
  });

  it('takes the window from the query string', async () => {
    const body = overviewSchema.parse(await (await get('?window=24h')).json());
    expect(body.windowMs).toBe(24 * HOUR_MS);
  });

  it.each([
    ['?window=soon', 'window'],
    ['?window=0h', 'window'],
    ['?window=1h&window=2h', 'window'],
  ])('refuses %s with 400 naming %s', async (query, field) => {
    const res = await get(query);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string; issues: { path: string }[] } };
    expect(body.error.code).toBe('API_ERR_QUERY');
    expect(body.error.issues.map((i) => i.path)).toContain(field);
    expect(body.error.message).toContain(field);
  });

  it('ignores an unknown parameter and names it in the dropscope-ignored-params header (issue 19)', async () => {
    const res = await get('?windw=1h');
    expect(res.status).toBe(200);
    expect(res.headers.get('dropscope-ignored-params')).toBe('windw');
    expect(overviewSchema.parse(await res.json()).windowMs).toBe(HOUR_MS);
  });
});
