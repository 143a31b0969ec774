/**
 * The URL, scope and time behaviour of issue 19 in a real browser against the built server:
 * an unknown parameter leaves the page whole with a notice, a bad known one is named with a
 * way back, the proxy filter shows an active value the data lacks, a fresh install's default
 * range fits its data, the UTC/local switch changes the times shown and survives navigation,
 * and a drag across a time chart zooms the page (and "zoom out" widens it again).
 * The browser runs in Asia/Tokyo (UTC+9, no daylight saving), so local times are predictable.
 * Screenshots go to test/artifacts (scope-*.png).
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestEvent } from '../../lib/contracts/ingest';
import { openBrowser, shot, visit, watchPage } from '../helpers/browser';
import { ended, failed, opened, path as canaryPath } from '../helpers/events';
import { addProbeToken, startServer, type RunningServer } from '../helpers/server';

const ZONE = 'Asia/Tokyo';
let server: RunningServer;
let browser: Awaited<ReturnType<typeof openBrowser>> | undefined;
let context: BrowserContext;

beforeAll(async () => {
  server = await startServer();
  const token = addProbeToken('edge-1', { DROPSCOPE_DATA_DIR: server.dataDir }, ['region=eu']);
  // Forty minutes of data: a fresh install, so the default range fits it (1h, not 24h).
  const now = Date.now();
  const squid = canaryPath({ proxy: 'corp-squid', kind: 'http' });
  const events: IngestEvent[] = [];
  for (let i = 0; i < 20; i++) {
    const base = new Date(now - 40 * 60_000 + i * 110_000);
    events.push(opened(`sc-${i}-aaaaaa`, {}, base), ended(`sc-${i}-aaaaaa`, 60_000, { endKind: 'probe_closed', closeCode: 1000 }, base));
    if (i % 3 === 0) events.push(failed(`sf-${i}-aaaaaa`, { path: squid, httpStatus: 426 }, base));
    else events.push(opened(`sq-${i}-aaaaaa`, { path: squid }, base), ended(`sq-${i}-aaaaaa`, 20_000, { path: squid }, base));
  }
  const res = await fetch(`${server.url}/api/v1/ingest`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ events }) });
  expect(res.status, await res.clone().text()).toBe(200);

  browser = await openBrowser({ signIn: server, width: 1366, timezoneId: ZONE });
  context = browser.context;
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.dispose();
});

async function open(url: string): Promise<{ page: Page; errors: string[]; status: number | undefined }> {
  const page = await context.newPage();
  const errors = watchPage(page);
  const response = await visit(page, `${server.url}${url}`);
  return { page, errors, status: response?.status() };
}

describe('query parameters', () => {
  it('ignores an unknown parameter with a notice, and the page renders normally', async () => {
    const { page, errors, status } = await open('/paths?utm_source=chat&range=6h');
    expect(status).toBe(200);
    await expect.poll(() => page.locator('[data-testid="path-cell"]').count(), { timeout: 15_000 }).toBe(2);
    expect(await page.locator('[data-testid="ignored-params"]').innerText()).toContain('Ignored unknown parameter utm_source');
    expect(await page.locator('[data-testid="bad-link"]').count()).toBe(0);
    // The notice's link is the same view without it.
    expect(await page.locator('[data-testid="ignored-params"] a').getAttribute('href')).toBe('/paths?range=6h');
    await shot(page, 'scope-ignored-param');
    expect(errors).toEqual([]);
  });

  it('still names a bad known parameter, with a way back, on every scoped page', async () => {
    for (const url of ['/paths?range=2h&utm_source=x', '/drops?range=2h', '/handshakes?range=2h', '/analysis?range=2h', '/probes?range=2h']) {
      const { page } = await open(url);
      const bad = page.locator('[data-testid="bad-link"]');
      expect(await bad.innerText(), url).toContain('range:');
      expect(await bad.locator('a').count(), url).toBe(1);
      await page.close();
    }
  });

  it('refuses a from alone more than 31 days back, naming from', async () => {
    const { page } = await open('/drops?from=2020-01-01T00:00:00Z');
    const text = await page.locator('[data-testid="bad-link"]').innerText();
    expect(text).toContain('from:');
    expect(text).toContain('31 days');
    const api = await server.api('/api/v1/handshakes?from=2020-01-01T00:00:00Z&utm_source=x');
    expect(api.status).toBe(400);
    expect(api.headers.get('dropscope-ignored-params')).toBe('utm_source');
  });
});

describe('filters and the default range', () => {
  it('shows an active proxy the data does not have, selected and marked (no data)', async () => {
    const { page } = await open('/paths?proxy=doesnotexist');
    const select = page.locator('select[name="proxy"]');
    expect(await select.inputValue()).toBe('doesnotexist');
    expect(await select.locator('option:checked').innerText()).toBe('doesnotexist (no data)');
    expect(await page.locator('[data-testid="empty-range"]').innerText()).toContain('match these filters');
    await shot(page, 'scope-unknown-proxy');
  });

  it('fits the default range to a fresh install’s forty minutes of data', async () => {
    const { page } = await open('/paths');
    expect(await page.locator('[data-testid="scope-bar"]').getAttribute('data-range')).toBe('1h');
    expect(await page.locator('.range-picker button[aria-pressed="true"]').first().innerText()).toBe('1h');
    await expect.poll(() => page.locator('[data-testid="path-cell"]').count(), { timeout: 15_000 }).toBe(2);
  });
});

describe('the time zone switch', () => {
  const hour = (text: string) => Number(/(\d{2}):\d{2}/.exec(text)![1]);

  it('switches the times shown to local, keeps tz=local through scope changes and links', async () => {
    const { page, errors } = await open('/handshakes?range=6h');
    const span = page.locator('[data-testid="handshakes-span"]');
    const utc = await span.innerText();
    expect(utc).toContain('UTC');
    await page.locator('[data-testid="tz-switch"] button', { hasText: 'local' }).click();
    await page.waitForURL(/tz=local/);
    await expect.poll(() => span.innerText(), { timeout: 15_000 }).toContain(ZONE);
    expect(hour(await span.innerText())).toBe((hour(utc) + 9) % 24);
    // A scope change keeps the zone.
    await page.locator('.range-picker button', { hasText: '1h' }).first().click();
    await page.waitForURL(/range=1h/);
    expect(page.url()).toContain('tz=local');
    await expect.poll(() => span.innerText(), { timeout: 15_000 }).toContain(ZONE);
    await shot(page, 'scope-tz-local');
    expect(errors).toEqual([]);

    // From the matrix to a path: the cell's link carries the zone too.
    const paths = await open('/paths?range=6h&tz=local');
    await paths.page.locator('[data-testid="path-cell"][data-proxy="corp-squid"]').click();
    await paths.page.waitForURL(/\/paths\/canary~corp-squid/);
    expect(paths.page.url()).toContain('tz=local');
    // The server writes UTC; the page switches to the browser's zone once it has mounted.
    await expect.poll(() => paths.page.locator('[data-testid="path-timeline"]').innerText(), { timeout: 15_000 }).toContain(ZONE);
  });
});

describe('brush-to-zoom', () => {
  it('zooms the handshake chart to a dragged span, then zooms out', async () => {
    const { page, errors } = await open('/handshakes?range=1h&proxy=corp-squid');
    const chart = page.locator('[data-testid="ratio-chart-brush"]');
    // Recharts draws an empty surface first: wait for the bars, when the plot area is known.
    await chart.locator('.recharts-bar-rectangle').first().waitFor();
    const area = chart.locator('[data-testid="brush-area"]');
    await area.scrollIntoViewIfNeeded();
    const box = (await area.boundingBox())!;
    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + box.width * 0.3, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.5, y, { steps: 5 });
    expect(await page.locator('[data-testid="brush-selection"]').count()).toBe(1);
    await page.mouse.move(box.x + box.width * 0.7, y, { steps: 5 });
    await page.mouse.up();
    await page.waitForURL(/from=.*&to=/);
    const zoomed = new URL(page.url()).searchParams;
    expect(zoomed.get('range')).toBeNull();
    expect(zoomed.get('proxy')).toBe('corp-squid');
    const span = Date.parse(zoomed.get('to')!) - Date.parse(zoomed.get('from')!);
    // About 40 % of the hour, never under the one-minute minimum.
    expect(span).toBeGreaterThan(60_000);
    expect(span).toBeLessThan(3_600_000);
    await expect.poll(() => page.locator('[data-testid="scope-bar"]').getAttribute('data-range'), { timeout: 15_000 }).toBe('custom');
    await shot(page, 'scope-zoomed');

    await page.locator('[data-testid="zoom-out"]').click();
    await page.waitForURL((u) => u.searchParams.get('from') !== zoomed.get('from'));
    const out = new URL(page.url()).searchParams;
    expect(Date.parse(out.get('to')!) - Date.parse(out.get('from')!)).toBeGreaterThan(span);
    expect(errors).toEqual([]);
  });

  it('moves the range from the keyboard: earlier, later, zoom in', async () => {
    const { page, errors } = await open('/handshakes?range=1h&proxy=corp-squid');
    const moves = page.getByRole('group', { name: 'Move the time range' });
    const span = () => {
      const p = new URL(page.url()).searchParams;
      return { from: Date.parse(p.get('from')!), to: Date.parse(p.get('to')!), proxy: p.get('proxy'), range: p.get('range') };
    };
    // A preset runs to now: nothing later to see.
    await expect(moves.getByRole('button', { name: 'Later' }).isDisabled()).resolves.toBe(true);
    const before = Date.now();
    await moves.getByRole('button', { name: 'Earlier' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/from=.*&to=/);
    const earlier = span();
    expect(earlier.to - earlier.from).toBe(3_600_000);
    expect(earlier.to).toBeLessThan(before - 29 * 60_000);
    expect([earlier.proxy, earlier.range]).toEqual(['corp-squid', null]);
    await expect.poll(() => page.locator('[data-testid="scope-bar"]').getAttribute('data-range'), { timeout: 15_000 }).toBe('custom');

    await moves.getByRole('button', { name: 'Later' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.searchParams.get('to') !== new Date(earlier.to).toISOString().replace('.000Z', 'Z'));
    const later = span();
    expect(later.to - later.from).toBe(3_600_000);
    expect(later.to).toBeGreaterThan(earlier.to);

    await moves.getByRole('button', { name: 'Zoom in' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.searchParams.get('from') !== new Date(later.from).toISOString().replace('.000Z', 'Z'));
    const zoomedIn = span();
    expect(zoomedIn.to - zoomedIn.from).toBe(1_800_000);
    expect(zoomedIn.from).toBe(later.from + 900_000);
    expect(errors).toEqual([]);
  });

  it('zooms the path timeline the same way', async () => {
    const { page } = await open('/paths/canary~direct?range=1h');
    const chart = page.locator('[data-testid="path-timeline-brush"]');
    // Recharts draws an empty surface first: wait for the bars, when the plot area is known.
    await chart.locator('.recharts-bar-rectangle').first().waitFor();
    const area = chart.locator('[data-testid="brush-area"]');
    await area.scrollIntoViewIfNeeded();
    const box = (await area.boundingBox())!;
    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + box.width * 0.4, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.8, y, { steps: 8 });
    await page.mouse.up();
    await page.waitForURL(/from=.*&to=/);
    expect(new URL(page.url()).pathname).toBe('/paths/canary~direct');
  });
});
