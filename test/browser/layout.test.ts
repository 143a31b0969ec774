/**
 * The site's chrome and layout in a real browser against the built server (issue 19): every
 * page at 1366 and 1920 px, light and dark, screenshotted to test/artifacts/layout-*.png for
 * a person to look at, and checked by test/helpers/layout-check.ts: no page scrolls
 * sideways, every table's columns can be seen without scrolling it, wide screens are used.
 * Also: the current page marked in the navigation, a title per page, the favicon, the
 * path page's session details opening below a row without pushing a column off screen,
 * and the 404 page and JSON 404s.
 *
 * Needs a build (`npm run build`).
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestEvent } from '../../lib/contracts/ingest';
import { pathId } from '../../lib/paths/path-id';
import { openBrowser, shot, visit, waitForChromium, watchPage } from '../helpers/browser';
import { ended, failed, heartbeat, opened, path as canaryPath, rtt, targetView } from '../helpers/events';
import { layoutProblems, snapshotLayout } from '../helpers/layout-check';
import { addProbeToken, startServer, type RunningServer } from '../helpers/server';

const SQUID = pathId({ target: 'canary', proxy: 'corp-squid' });

let server: RunningServer;
let browser: Awaited<ReturnType<typeof openBrowser>> | undefined;
let context: BrowserContext;

/** Every page, the element that says it has rendered, and the navigation entry it is in. */
const PAGES = [
  { name: 'overview', url: '/', ready: '[data-testid="overview"]', nav: 'Overview' },
  { name: 'drops', url: '/drops?range=6h', ready: '[data-testid="drops"]', nav: 'Drops' },
  { name: 'paths', url: '/paths?range=6h', ready: '[data-testid="paths-matrix"]', nav: 'Paths' },
  { name: 'path', url: `/paths/${SQUID}?range=6h`, ready: '[data-testid="session-table"]', nav: 'Paths' },
  { name: 'handshakes', url: '/handshakes?range=6h', ready: '[data-testid="handshakes"]', nav: 'Handshakes' },
  { name: 'probes', url: '/probes', ready: '[data-testid="probes-table"]', nav: 'Probes' },
  { name: 'fleet', url: '/fleet', ready: '[data-testid="fleet-page"]', nav: 'Fleet' },
  { name: 'analysis', url: '/analysis?range=6h', ready: '[data-testid="analysis"]', nav: 'Analysis' },
  { name: 'alerts', url: '/alerts', ready: '[data-testid="alerts-page"]', nav: 'Alerts' },
  { name: 'admin', url: '/admin/audit', ready: '[data-testid="audit-page"]', nav: 'Admin' },
  { name: '404', url: '/handshake/nothing', ready: '[data-testid="not-found"]', nav: null },
] as const;

async function post(token: string, events: IngestEvent[]): Promise<void> {
  const res = await fetch(`${server.url}/api/v1/ingest`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ events }) });
  expect(res.status, await res.clone().text()).toBe(200);
}

beforeAll(async () => {
  await waitForChromium();
  server = await startServer();
  const env = { DROPSCOPE_DATA_DIR: server.dataDir };
  // Long names: what widens a table in real fleets.
  const ams = addProbeToken('edge-ams-1-production-eu-west', env, ['region=eu', 'provider=hetzner']);
  const now = Date.now();
  const squid = canaryPath({ proxy: 'corp-squid', kind: 'http' });
  const events: IngestEvent[] = [heartbeat({ at: new Date(now).toISOString(), agentVersion: '0.4.2', canaries: { open: 3, connecting: 0, backoff: 1 }, spoolDepth: 2 })];
  for (let i = 0; i < 12; i++) {
    const base = new Date(now - 50 * 60_000 + i * 200_000);
    events.push(opened(`di-${i}-aaaaaa`, { timings: { dnsMs: 1, tcpMs: 2, tlsMs: 6, upgradeMs: 4 }, egressAddress: '198.51.100.7' }, base));
    if (i < 11) events.push(ended(`di-${i}-aaaaaa`, 120_000 + i * 9_000, { endKind: 'probe_closed', closeCode: 1000, closeReason: 'rotate' }, base));
    if (i % 4 === 3) {
      events.push(failed(`sq-${i}-aaaaaa`, { path: squid, httpStatus: 426, responseHeaders: { server: 'squid/6.10' } }, base));
    } else {
      events.push(opened(`sq-${i}-aaaaaa`, { path: squid, timings: { dnsMs: 1, tcpMs: 3, proxyMs: 9, upgradeMs: 20 }, responseHeaders: { server: 'nginx/1.24.0', 'x-request-id': 'a-very-long-request-id-0123456789abcdef0123456789abcdef' }, egressAddress: '203.0.113.5' }, base));
      events.push(ended(`sq-${i}-aaaaaa`, 60_000 + (i % 3) * 15, { path: squid, sinceLastRecvMs: 60_000, closeCode: 1006, closeReason: 'abnormal closure without a close frame from the proxy' }, base));
      events.push(rtt(`sq-${i}-aaaaaa`, [30 + i, 35, 38], { path: squid }, base));
      events.push(targetView(`sq-${i}-aaaaaa`, 60_000, { peerAddress: '203.0.113.5' }, base));
    }
  }
  await post(ams, events);

  browser = await openBrowser({ signIn: server });
  context = browser.context;
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.dispose();
});

/** The console errors of `page` but the browser's own report of a 404 for the document itself (the 404 pages). */
function pageErrors(page: Page, all: string[]): string[] {
  return all.filter((e) => !(e.includes('status of 404') && e.endsWith(`(${page.url()})`)));
}

async function open(url: string, width: number, dark: boolean): Promise<{ page: Page; errors: string[]; status: number | undefined }> {
  const page = await context.newPage();
  const errors = watchPage(page);
  await page.setViewportSize({ width, height: 900 });
  await page.emulateMedia({ colorScheme: dark ? 'dark' : 'light' });
  const res = await visit(page, `${server.url}${url}`);
  return { page, errors, status: res?.status() };
}

describe('every page at 1366 and 1920 px, light and dark', () => {
  for (const p of PAGES) {
    it(`${p.name}: fits, marks its page, has its title; screenshots`, async () => {
      const problems: string[] = [];
      for (const width of [1366, 1920]) {
        for (const dark of [false, true]) {
          const { page, errors } = await open(p.url, width, dark);
          await page.waitForSelector(p.ready);
          await page.waitForLoadState('load');
          // Charts draw after their data: let them settle before measuring.
          await page.evaluate(() => document.fonts.ready);
          await page.waitForTimeout(300);
          const name = `layout-${p.name}-${width}${dark ? '-dark' : ''}`;
          await shot(page, name);
          const layout = await page.evaluate(snapshotLayout);
          problems.push(...layoutProblems(layout).map((x) => `${name}: ${x}`));
          // A wide screen is used: content well past the old ~1,240 px.
          if (width === 1920) expect(layout.mainWidth, name).toBeGreaterThan(1700);
          if (!dark && width === 1366) {
            const current = await page.locator('.site-nav a[aria-current="page"]').allInnerTexts();
            expect(current, `${p.name}: the marked page`).toEqual(p.nav ? [p.nav] : []);
            const title = await page.title();
            expect(title, p.name).toMatch(/^.+ · dropscope$/);
            expect(title).not.toBe('dropscope');
          }
          expect(pageErrors(page, errors), name).toEqual([]);
          await page.close();
        }
      }
      expect(problems).toEqual([]);
    }, 120_000);
  }
});

describe('the path page\'s sessions', () => {
  it.each([1366, 1920])('keep end, opened, ended and lifetime on screen with a row\'s details open at %i px', async (width) => {
    const { page, errors } = await open(`/paths/${SQUID}?range=6h`, width, false);
    const table = page.locator('[data-testid="session-table"]');
    await table.waitFor();
    const row = page.locator('tr[data-session="sq-0-aaaaaa"]');
    await row.getByRole('button', { name: /more/ }).click();
    const details = page.locator('tr[data-details="sq-0-aaaaaa"]');
    await details.waitFor();
    expect(await details.innerText()).toContain('target saw');
    expect(await details.innerText()).toContain('203.0.113.5');
    expect(await row.getByRole('button').getAttribute('aria-expanded')).toBe('true');
    await shot(page, `layout-path-details-${width}`);
    const important = ['attempted', 'opened', 'ended', 'lifetime', 'end'];
    expect(layoutProblems(await page.evaluate(snapshotLayout), { only: { 'session-table': important } })).toEqual([]);
    // The row's own cells stay in their columns: the end badge is where the end header is.
    const endHead = await page.locator('[data-testid="session-table"] th[data-col="end"]').boundingBox();
    const endCell = await row.locator('td[data-col="end"]').boundingBox();
    expect(Math.abs(endHead!.x - endCell!.x)).toBeLessThan(1);
    // Closing it again takes the row away.
    await row.getByRole('button', { name: /less/ }).click();
    await expect.poll(() => details.count(), { timeout: 15_000 }).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('chrome', () => {
  it('serves a favicon the browser gets, and links the icon', async () => {
    const { page } = await open('/', 1366, false);
    const icons = await page.locator('head link[rel~="icon"]').evaluateAll((links) => links.map((l) => (l as HTMLLinkElement).href));
    expect(icons.length).toBeGreaterThan(0);
    for (const href of [...icons, `${server.url}/favicon.ico`]) {
      const res = await page.request.get(href, { maxRedirects: 0 });
      expect(res.status(), href).toBe(200);
      expect(res.headers()['content-type'], href).toMatch(/^image\//);
    }
    await page.close();
  });

  it('offers the way back from a 404: the page likely meant, and the overview', async () => {
    const { page, status, errors } = await open('/drop', 1366, false);
    expect(status).toBe(404);
    await page.locator('[data-testid="not-found-likely"]').waitFor();
    expect(await page.locator('[data-testid="not-found-likely"]').getAttribute('href')).toBe('/drops');
    expect(await page.locator('[data-testid="not-found"] a[href="/"]').count()).toBeGreaterThan(0);
    expect(await page.locator('[data-testid="not-found"]').innerText()).toContain('/drop');
    expect(await page.title()).toBe('Not found · dropscope');
    expect(pageErrors(page, errors)).toEqual([]);
    await page.close();
  });

  it('answers an unknown API path with JSON, not a page', async () => {
    const { page, status } = await open('/api/v1/nothing-here', 1366, false);
    expect(status).toBe(404);
    expect(JSON.parse(await page.locator('body').innerText())).toMatchObject({ error: { code: 'API_ERR_NOT_FOUND', path: '/api/v1/nothing-here' } });
    await page.close();
  });
});
