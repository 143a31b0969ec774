/**
 * Brush-to-zoom and the scope bar's controls in a real browser, without a built server: the
 * time charts and the scope bar are bundled with esbuild around a stub of next/navigation
 * (fixtures/next-navigation-stub.ts records where the page would navigate) and drawn from
 * fixed data over a known hour (fixtures/brush-harness.tsx). A drag across each chart must
 * navigate to the instants under the pointer, every other parameter kept; the zone switch
 * and a filter must navigate with the scope carried. The browser runs in Asia/Tokyo.
 * The same behaviour against the real server is in scope.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumOptions, watchPage } from '../helpers/browser';

const FIXTURES = path.resolve(__dirname, 'fixtures');
const FROM = Date.parse('2026-11-22T10:00:00Z');
const HOUR = 3_600_000;
let dir: string;
let context: BrowserContext;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'dropscope-brush-'));
  await build({
    entryPoints: [path.join(FIXTURES, 'brush-harness.tsx')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    jsx: 'automatic',
    outdir: dir,
    alias: { 'next/navigation': path.join(FIXTURES, 'next-navigation-stub.ts') },
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'error',
  });
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><html><head><link rel="stylesheet" href="brush-harness.css"></head><body data-pathname="/handshakes"><div id="root"></div><script src="brush-harness.js"></script></body></html>');
  context = await chromium.launchPersistentContext(path.join(dir, 'profile'), { ...chromiumOptions({ width: 1100 }), timezoneId: 'Asia/Tokyo' });
}, 120_000);

afterAll(async () => {
  await context?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function open(query: string): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  const errors = watchPage(page);
  await page.goto(`file://${path.join(dir, 'index.html')}${query}`);
  return { page, errors };
}

const pushes = (page: Page) => page.evaluate(() => window.__pushes);

/** Drag across the chart inside `wrapper` from `a` to `b` (fractions of the plot's width). */
async function drag(page: Page, wrapper: string, a: number, b: number): Promise<{ left: number; width: number }> {
  const plot = page.locator(`${wrapper} [data-testid="brush-area"]`);
  await page.locator(`${wrapper} .recharts-bar-rectangle, ${wrapper} .recharts-line-curve`).first().waitFor();
  // The mouse only reaches what is in the viewport.
  await plot.scrollIntoViewIfNeeded();
  const box = (await plot.boundingBox())!;
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width * a, y);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * ((a + b) / 2), y, { steps: 4 });
  expect(await page.locator(`${wrapper} [data-testid="brush-selection"]`).count()).toBe(1);
  await page.mouse.move(box.x + box.width * b, y, { steps: 4 });
  await page.mouse.up();
  return { left: box.x, width: box.width };
}

function zoomedTo(href: string): { path: string; params: URLSearchParams; from: number; to: number } {
  const url = new URL(href, 'http://x');
  return { path: url.pathname, params: url.searchParams, from: Date.parse(url.searchParams.get('from')!), to: Date.parse(url.searchParams.get('to')!) };
}

describe('brush-to-zoom', () => {
  it('zooms the handshake chart to the instants under the pointer, keeping the other parameters', async () => {
    const { page, errors } = await open('?range=24h&proxy=squid&tz=local');
    await drag(page, '[data-testid="ratio-chart-brush"]', 0.25, 0.75);
    const [href] = await pushes(page);
    const z = zoomedTo(href!);
    expect(z.path).toBe('/handshakes');
    expect(z.params.get('range')).toBeNull();
    expect(z.params.get('proxy')).toBe('squid');
    expect(z.params.get('tz')).toBe('local');
    // The axis runs from half a bucket before the first to half after the last: a quarter
    // and three quarters of it are about 10:15 and 10:45, within a pixel's rounding.
    expect(Math.abs(z.from - (FROM + 0.25 * HOUR))).toBeLessThan(60_000);
    expect(Math.abs(z.to - (FROM + 0.75 * HOUR))).toBeLessThan(60_000);
    expect(errors).toEqual([]);
  });

  it('zooms right to left the same way, and the RTT chart and the path timeline too', async () => {
    const { page } = await open('?range=6h');
    await drag(page, '[data-testid="rtt-chart-brush"]', 0.8, 0.4);
    await drag(page, '[data-testid="path-timeline-brush"]', 0.1, 0.5);
    const [rtt, timeline] = (await pushes(page)).map(zoomedTo);
    expect(rtt!.from).toBeLessThan(rtt!.to);
    expect(Math.abs(rtt!.from - (FROM + 0.4 * 59 * 60_000))).toBeLessThan(60_000);
    expect(Math.abs(rtt!.to - (FROM + 0.8 * 59 * 60_000))).toBeLessThan(60_000);
    expect(timeline!.from).toBeLessThan(timeline!.to);
    expect(timeline!.from).toBeGreaterThanOrEqual(FROM - 60_000);
    expect(timeline!.to).toBeLessThanOrEqual(FROM + HOUR + 60_000);
  });

  it('ends a drag let go beyond the plot at the axis\' edge', async () => {
    const { page } = await open('?range=24h');
    await drag(page, '[data-testid="ratio-chart-brush"]', 0.5, 1.04);
    const z = zoomedTo((await pushes(page))[0]!);
    // The axis ends half a bucket after the last bucket (10:59): 10:59:30.
    expect(z.to).toBe(Date.parse('2026-11-22T10:59:30Z'));
  });

  it('treats a click as a click, not a zoom', async () => {
    const { page } = await open('?range=6h');
    const plot = page.locator('[data-testid="ratio-chart-brush"] [data-testid="brush-area"]');
    await page.locator('[data-testid="ratio-chart-brush"] .recharts-bar-rectangle').first().waitFor();
    const box = (await plot.boundingBox())!;
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    expect(await pushes(page)).toEqual([]);
  });
});

describe('the scope bar', () => {
  it('switches the zone, keeping the scope, and writes times in it', async () => {
    const { page } = await open('?range=6h&proxy=squid');
    await expect.poll(() => page.locator('[data-testid="rtt-chart"] .card-meta').innerText(), { timeout: 15_000 }).toContain('UTC');
    await page.locator('[data-testid="tz-switch"] button', { hasText: 'local' }).click();
    expect(await pushes(page)).toEqual(['/handshakes?range=6h&proxy=squid&tz=local']);
    const local = await open('?range=6h&tz=local');
    await expect.poll(() => local.page.locator('[data-testid="rtt-chart"] .card-meta').innerText(), { timeout: 15_000 }).toContain('Asia/Tokyo');
    // 10:00 UTC is 19:00 in Tokyo: the axis says so.
    await expect.poll(async () => (await local.page.locator('[data-testid="rtt-chart-brush"] .recharts-cartesian-axis-tick-value').allTextContents()).join(' '), { timeout: 15_000 }).toContain('19:');
  });

  it('shows an unknown filter value as selected, and a change keeps tz and range', async () => {
    const { page } = await open('?range=1h&proxy=doesnotexist&tz=local');
    expect(await page.locator('select[name="proxy"] option:checked').innerText()).toBe('doesnotexist (no data)');
    await page.locator('select[name="proxy"]').selectOption('squid');
    expect(await pushes(page)).toEqual(['/handshakes?range=1h&proxy=squid&tz=local']);
  });

  it('zooms out of a custom range around its middle', async () => {
    const { page } = await open('?from=2026-11-22T10:00:00Z&to=2026-11-22T11:00:00Z');
    await page.locator('[data-testid="zoom-out"]').click();
    const z = zoomedTo((await pushes(page))[0]!);
    expect(new Date(z.from).toISOString()).toBe('2026-11-22T09:30:00.000Z');
    expect(new Date(z.to).toISOString()).toBe('2026-11-22T11:30:00.000Z');
  });
});
