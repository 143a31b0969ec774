/**
 * Issue 19, "one story per page", in a real browser against the built server: a 20 s idle
 * cut through one proxy seen by a signature and by the ladder on the same path gives one
 * fix on the analysis page (the ladder points to the signature); the signature's spread
 * reads in milliseconds, never "±0.00 s"; the path page says its rate over the time with
 * data, its median life without the probe's planned closes, and the instant it was read.
 */
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestEvent } from '../../lib/contracts/ingest';
import { pathId } from '../../lib/paths/path-id';
import { openBrowser, shot, visit } from '../helpers/browser';
import { ended, opened, path as canaryPath } from '../helpers/events';
import { addProbeToken, startServer, type RunningServer } from '../helpers/server';

let server: RunningServer;
let browser: Awaited<ReturnType<typeof openBrowser>> | undefined;
let context: BrowserContext;

beforeAll(async () => {
  server = await startServer();
  const token = addProbeToken('edge-story-1', { DROPSCOPE_DATA_DIR: server.dataDir }, ['region=eu']);
  const now = Date.now();
  const events: IngestEvent[] = [];
  const idle = canaryPath({ proxy: 'story-squid', kind: 'http' });
  const rung = (gapMs: number) => ({ ...idle, profile: `ladder/${gapMs / 1000}s`, profileKind: 'ladder' as const, gapMs });
  for (let i = 0; i < 12; i++) {
    const base = new Date(now - 20 * 60_000 + i * 60_000);
    // Idle canaries cut at 20 s of silence: most on the same millisecond, a few up to 190 ms late.
    events.push(opened(`st-${i}-aaaaaa`, { path: idle }, base));
    events.push(ended(`st-${i}-aaaaaa`, 20_000 + (i < 8 ? 0 : [40, 90, 150, 190][i - 8]!), { path: idle }, base));
  }
  for (let i = 0; i < 4; i++) {
    const base = new Date(now - 15 * 60_000 + i * 60_000);
    // The ladder on the same path: 10 s rungs survive (closed by the probe), 30 s rungs die at the 20 s cut.
    events.push(opened(`l10-${i}-aaaaa`, { path: rung(10_000) }, base));
    events.push(ended(`l10-${i}-aaaaa`, 10_020, { path: rung(10_000), endKind: 'probe_closed', closeCode: 1000, closeReason: 'ladder: survived 10s idle' }, base));
    events.push(opened(`l30-${i}-aaaaa`, { path: rung(30_000) }, base));
    events.push(ended(`l30-${i}-aaaaa`, 20_000, { path: rung(30_000) }, base));
  }
  const res = await fetch(`${server.url}/api/v1/ingest`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ events }) });
  expect(res.status).toBe(200);
  browser = await openBrowser({ signIn: server });
  context = browser.context;
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.dispose();
});

describe('one story per page', () => {
  it('the analysis page gives one fix for the 20 s layer: the ladder points to the signature', async () => {
    const page = await context.newPage();
    await visit(page, `${server.url}/analysis?proxy=story-squid&range=1h`);
    const card = page.locator('[data-testid="signature"][data-n="20"]');
    await expect.poll(() => card.count(), { timeout: 15_000 }).toBe(1);
    expect(await card.getAttribute('data-fix')).toBe('heartbeat:10000');
    const key = await card.getAttribute('data-key');
    const ladder = page.locator('[data-testid="findings"] li[data-kind="ladder"]');
    await expect.poll(() => ladder.count(), { timeout: 15_000 }).toBeGreaterThan(0);
    for (const li of await ladder.all()) {
      expect(await li.getAttribute('data-signature')).toBe(key);
      expect(await li.getAttribute('data-fix')).toBe('heartbeat:10000');
      expect(await li.innerText()).toContain('See the 20.0 s signature: send a WebSocket ping at least every 10 s');
    }
    // Every fix on the page for a path of this proxy says the same.
    const fixes = await page.locator('[data-fix^="heartbeat:"]').evaluateAll((els) => [...new Set(els.map((e) => e.getAttribute('data-fix')))]);
    expect(fixes).toEqual(['heartbeat:10000']);
    const spread = await card.locator('[data-testid="spread"]').innerText();
    expect(spread).not.toContain('0.00 s');
    expect(spread).toMatch(/^spread ±\d+ ms, 190 ms from shortest to longest$/);
    await shot(page, 'one-story-analysis');
  });

  it('the path page: drops per hour of data, the median life without the probe\'s planned closes, and when it was read', async () => {
    const page = await context.newPage();
    await visit(page, `${server.url}/paths/${pathId({ target: 'canary', proxy: 'story-squid' })}?range=24h`);
    const drops = page.locator('[data-testid="path-drops"]');
    await expect.poll(() => drops.count(), { timeout: 15_000 }).toBe(1);
    // 16 drops (12 idle canaries and 4 ladder rungs) in the 11 min 20 s from the first
    // attempt (20 min ago) to the last end (the 12th canary's, 8 min 40 s ago), not in 24 h.
    expect(await drops.innerText()).toContain('16 drops in 11 min of data');
    const life = await page.locator('[data-testid="path-life"]').innerText();
    expect(life).toContain('of 16 drops');
    expect(life).toContain('4 canaries closed by the probe at their planned age, not counted');
    expect(life).toMatch(/≈(19|20)\.\d\d s/);
    expect(await page.locator('[data-testid="as-of"]').getAttribute('data-at')).toMatch(/^\d{4}-\d\d-\d\dT/);
    await shot(page, 'one-story-path');
  });
});
