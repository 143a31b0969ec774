/**
 * Drill-down from histograms, outlier-proof axes and silent probes' canaries (issue 19), in
 * a real browser against the built server: 40 drops cut at 20 s and one 9.7-minute outlier
 * through one proxy. The drops page's age histogram is clipped with an overflow bar; a click
 * on the 20 s bar lists its drops (kept in the URL: a reload shows the same list), pages
 * through them and links to the path; the overflow bar lists the outlier; the overview's
 * duration histogram does the same. A probe that falls silent shows its canaries as
 * unknown on the probes page. Screenshots go to test/artifacts (drilldown-*.png).
 */
import { rmSync } from 'node:fs';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { openDatabase } from '../../db/open';
import { probes } from '../../db/schema';
import type { IngestEvent } from '../../lib/contracts/ingest';
import { openBrowser, reloadPage, shot, visit, watchPage } from '../helpers/browser';
import { ended, heartbeat, opened, path as canaryPath } from '../helpers/events';
import { addProbeToken, startServer, type RunningServer } from '../helpers/server';

const CUTS = 40;
let server: RunningServer;
/** The server's data directory, kept across its restart (and removed at the end). */
let dataDir: string | undefined;
let browser: Awaited<ReturnType<typeof openBrowser>> | undefined;
let context: BrowserContext;
/** edge-drill's token: the probe that stays online. */
let edge: string;

async function post(token: string, events: IngestEvent[]): Promise<void> {
  const res = await fetch(`${server.url}/api/v1/ingest`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ events }) });
  expect(res.status, await res.clone().text()).toBe(200);
}

beforeAll(async () => {
  server = await startServer({ env: { DROPSCOPE_DEMO: 'off' } });
  const env = { DROPSCOPE_DATA_DIR: server.dataDir };
  edge = addProbeToken('edge-drill', env);
  const silent = addProbeToken('edge-gone', env);
  const now = Date.now();
  const squid = canaryPath({ proxy: 'corp-squid', kind: 'http' });
  const events: IngestEvent[] = [heartbeat({ at: new Date(now).toISOString(), canaries: { open: 0, connecting: 0, backoff: 0 } })];
  for (let i = 0; i < CUTS; i++) {
    const base = new Date(now - 40 * 60_000 + i * 45_000);
    events.push(opened(`cut-${i}-aaaaaa`, { path: squid }, base), ended(`cut-${i}-aaaaaa`, 19_950 + i * 2, { path: squid }, base));
  }
  const long = new Date(now - 30 * 60_000);
  events.push(opened('outlier-aaaaaa', { path: squid }, long), ended('outlier-aaaaaa', 582_000, { path: squid }, long));
  await post(edge, events);
  // A probe holding two canaries, then silent for more than three heartbeats. The server
  // dates "heard from" by its own clock when a batch arrives, so the silence is written
  // into the stopped server's database (five minutes ago) rather than waited for.
  const then = new Date(now - 5 * 60_000);
  await post(silent, [opened('gone-1-aaaaaa', {}, new Date(then.getTime() - 60_000)), opened('gone-2-aaaaaa', {}, new Date(then.getTime() - 60_000)), heartbeat({ at: then.toISOString(), canaries: { open: 2, connecting: 0, backoff: 0 } })]);
  dataDir = server.dataDir;
  await server.stop();
  const database = await openDatabase({ kind: 'pglite', dataDir });
  try {
    const gone = await database.db.update(probes).set({ lastSeenAt: then }).where(eq(probes.name, 'edge-gone')).returning({ id: probes.id });
    expect(gone).toHaveLength(1);
  } finally {
    await database.close();
  }
  server = await startServer({ dataDir, env: { DROPSCOPE_DEMO: 'off' } });
  // Every page 1366 px wide unless a screenshot says otherwise.
  browser = await openBrowser({ signIn: server, width: 1366 });
  context = browser.context;
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.dispose();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('drops page', () => {
  it('clips the outlier into an overflow bar and lists a bar\'s drops, kept in the URL', async () => {
    const page = await context.newPage();
    const errors = watchPage(page);
    await visit(page, `${server.url}/drops?range=1h&proxy=corp-squid`);
    const age = page.locator('[data-testid="age-histogram"]');
    await expect.poll(() => age.getAttribute('data-overflow-count'), { timeout: 15_000 }).toBe('1');
    // Fitted to the clipped axis, not to 9.7 minutes.
    expect(Number(await age.getAttribute('data-bin-width-ms'))).toBeLessThanOrEqual(1000);
    expect(await page.locator('[data-testid="age-overflow"]').innerText()).toMatch(/Axis cut at .*1 drop longer/);
    await expect.poll(() => age.locator('.recharts-bar-rectangle').count(), { timeout: 15_000 }).toBeGreaterThan(1);

    // The tallest bar is the 20 s one.
    const bars = age.locator('.recharts-bar-rectangle path');
    const heights = await bars.evaluateAll((els) => els.map((el) => el.getBoundingClientRect().height));
    const tallest = heights.indexOf(Math.max(...heights));
    const tallestStart = await bars.nth(tallest).getAttribute('data-start-ms');
    await bars.nth(tallest).click();
    await page.waitForURL(/bar=age%3A/);
    const list = page.locator('[data-testid="bin-sessions"]');
    await expect.poll(() => list.getAttribute('data-total'), { timeout: 15_000 }).toBe(String(CUTS));
    expect(await list.getAttribute('data-rows')).toBe(String(CUTS));
    expect(Number(await list.getAttribute('data-bar-min'))).toBeLessThanOrEqual(19_950);
    expect(Number(await list.getAttribute('data-bar-max'))).toBeGreaterThan(20_028);
    const first = list.locator('tbody tr').first();
    expect(await first.innerText()).toContain('corp-squid');
    expect(await list.locator('a[href^="/paths/canary~corp-squid"]').count()).toBe(CUTS);
    await shot(page, 'drilldown-drops');
    await shot(page, 'drilldown-drops-dark', { dark: true, width: 1920 });

    // A reload shows the same list; the overflow bar lists the outlier.
    await reloadPage(page);
    await expect.poll(() => page.locator('[data-testid="bin-sessions"]').getAttribute('data-total'), { timeout: 15_000 }).toBe(String(CUTS));
    await age.locator('.recharts-bar-rectangle path').last().click();
    await expect.poll(() => page.locator('[data-testid="bin-sessions"]').getAttribute('data-bar-max'), { timeout: 15_000 }).toBe('');
    await expect.poll(() => page.locator('[data-testid="bin-sessions"]').getAttribute('data-total'), { timeout: 15_000 }).toBe('1');
    expect(await page.locator('[data-testid="bin-sessions"] tbody tr').innerText()).toContain('outlier-aaaa');

    // Close: the list goes, the URL loses the bar.
    await page.locator('[data-testid="bin-sessions-close"]').click();
    await page.waitForURL((u) => !u.searchParams.has('bar'));
    await expect.poll(() => page.locator('[data-testid="bin-sessions"]').count(), { timeout: 15_000 }).toBe(0);

    // From the keyboard: a bar with drops is a button; Enter opens its list.
    const keyBar = age.locator(`.recharts-bar-rectangle path[data-start-ms="${tallestStart}"]`);
    expect(await keyBar.getAttribute('role')).toBe('button');
    expect(await keyBar.getAttribute('aria-label')).toMatch(/40 drops/);
    await keyBar.focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/bar=age%3A/);
    await expect.poll(() => page.locator('[data-testid="bin-sessions"]').getAttribute('data-total'), { timeout: 15_000 }).toBe(String(CUTS));
    expect(errors).toEqual([]);
  });

  it('pages through a long list', async () => {
    const page = await context.newPage();
    await visit(page, `${server.url}/drops?range=1h&proxy=corp-squid&bar=${encodeURIComponent('age:0-30000')}`);
    const list = page.locator('[data-testid="bin-sessions"]');
    await expect.poll(() => list.getAttribute('data-total'), { timeout: 15_000 }).toBe(String(CUTS));
    // 40 fit on the first page of 50: no "more" button.
    expect(await page.locator('[data-testid="bin-sessions-more"]').count()).toBe(0);
  });
});

describe('overview', () => {
  it('clips the duration histogram and lists a bar\'s sessions', async () => {
    const page = await context.newPage();
    const errors = watchPage(page);
    await visit(page, `${server.url}/`);
    const hist = page.locator('[data-testid="duration-histogram"]');
    await expect.poll(() => hist.getAttribute('data-overflow-count'), { timeout: 15_000 }).toBe('1');
    const bars = hist.locator('.recharts-bar-rectangle path');
    await expect.poll(() => bars.count(), { timeout: 15_000 }).toBeGreaterThan(1);
    const heights = await bars.evaluateAll((els) => els.map((el) => el.getBoundingClientRect().height));
    await bars.nth(heights.indexOf(Math.max(...heights))).click();
    await page.waitForURL(/bar=duration%3A/);
    expect(new URL(page.url()).searchParams.get('barTo')).toMatch(/^\d{4}-\d\d-\d\dT/);
    const list = page.locator('[data-testid="bin-sessions"]');
    await expect.poll(() => list.getAttribute('data-total'), { timeout: 15_000 }).toBe(String(CUTS));
    await shot(page, 'drilldown-overview');
    await reloadPage(page);
    await expect.poll(() => page.locator('[data-testid="bin-sessions"]').getAttribute('data-total'), { timeout: 15_000 }).toBe(String(CUTS));
    expect(errors).toEqual([]);
  });
});

describe('probes page', () => {
  it('shows a silent probe\'s canaries as unknown', async () => {
    // edge-drill is online for 90 s after its last batch (the server's clock): the tests
    // before this one may take longer on a loaded machine, so it reports again.
    await post(edge, [heartbeat({ at: new Date().toISOString(), canaries: { open: 0, connecting: 0, backoff: 0 } })]);
    const page = await context.newPage();
    const errors = watchPage(page);
    await visit(page, `${server.url}/probes`);
    expect(await page.locator('[data-testid="probes"]').getAttribute('data-online')).toBe('1');
    const unknown = page.locator('[data-testid="canaries-unknown"]');
    await expect.poll(() => unknown.getAttribute('data-count'), { timeout: 15_000 }).toBe('2');
    expect(await unknown.innerText()).toContain('2 canaries unknown (probe silent)');
    await shot(page, 'drilldown-probes');
    await shot(page, 'drilldown-probes-dark', { dark: true });
    expect(errors).toEqual([]);
  });
});
