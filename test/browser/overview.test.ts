/**
 * The first page in a real browser against the real built server: the empty state, then
 * batches posted through the ingest API show up without a reload.
 *
 * Needs a build (`npm run build`) and Chromium at /usr/bin/chromium.
 */
import type { Page } from 'playwright-core';
import { closePages, openPage, shot, visit, waitForChromium } from '../helpers/browser';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { IngestEvent, SessionEnded } from '../../lib/contracts/ingest';
import { ended, failed, opened, path as canaryPath } from '../helpers/events';
import { addProbeToken, startServer, type RunningServer } from '../helpers/server';

const MIN = 60_000;

let server: RunningServer;
let token: string;

beforeAll(async () => {
  await waitForChromium();
  server = await startServer();
  token = addProbeToken('edge-fra-1', { DROPSCOPE_DATA_DIR: server.dataDir });
}, 300_000);

afterAll(async () => {
  await server?.dispose();
});

/** Console errors and uncaught exceptions: hydration mismatches land here. */
let pageErrors: string[] = [];

afterEach(closePages);

async function openOverview(colorScheme: 'light' | 'dark'): Promise<Page> {
  const { page, errors } = await openPage({ colorScheme, signIn: server });
  pageErrors = errors;
  await visit(page, `${server.url}/`);
  // Only the socket being up guarantees the next push reaches this page.
  await page.waitForSelector('[data-testid="overview"][data-socket="live"]');
  return page;
}

async function ingest(events: IngestEvent[]): Promise<void> {
  const res = await fetch(`${server.url}/api/v1/ingest`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ events }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  expect(await res.json()).toEqual({ accepted: events.length, duplicates: 0 });
}

const attr = (page: Page, selector: string, name: string) => page.getAttribute(selector, name);

/** A corporate proxy killing idle canaries at 60 s, one load balancer at 5 min, and a refusal. */
function fleetBatch(tag: string, now = Date.now()): { events: IngestEvent[]; dropIds: string[]; liveSince: Date } {
  const base = (minAgo: number) => new Date(now - minAgo * MIN);
  const squid = canaryPath({ target: 'echo-eu', proxy: 'squid-corp', kind: 'http' });
  const haproxy = canaryPath({ target: 'echo-eu', proxy: 'haproxy-edge', kind: 'http', profile: 'chatty' });
  const direct = canaryPath({ target: 'echo-eu', proxy: 'direct' });
  const drop = (id: string, minAgo: number, durationMs: number, p = squid, over: Partial<SessionEnded> = {}) => [
    opened(id, { path: p }, base(minAgo)),
    ended(id, durationMs, { path: p, ...over }, base(minAgo)),
  ];
  const ids = { d1: `${tag}-drop-1`, d2: `${tag}-drop-2`, d3: `${tag}-drop-3`, d4: `${tag}-drop-4` };
  const events: IngestEvent[] = [
    ...drop(ids.d1, 12, 60_004, squid, { endKind: 'tcp_fin' }),
    ...drop(ids.d2, 11, 60_011, squid, { endKind: 'tcp_reset' }),
    ...drop(ids.d3, 10, 60_027, squid, { endKind: 'tcp_fin' }),
    ...drop(ids.d4, 9, 300_002, haproxy, { endKind: 'close_frame', closeCode: 1001 }),
    ...drop(`${tag}-closed-1`, 8, 150_000, direct, { endKind: 'probe_closed', closeCode: 1000 }),
    opened(`${tag}-live-1`, { path: direct }, base(3)),
    opened(`${tag}-live-2`, { path: haproxy }, base(2)),
    failed(`${tag}-refused-1`, { path: squid, outcome: 'upgrade_refused', httpStatus: 403 }, base(1)),
  ];
  return { events, dropIds: Object.values(ids), liveSince: base(3) };
}

describe('overview page', { timeout: 90_000 }, () => {
  it('shows the empty state, then updates tiles, histogram and feed live as batches arrive', async () => {
    const page = await openOverview('light');
    await page.waitForSelector('[data-testid="empty-state"]');
    expect(await page.textContent('[data-testid="empty-state"]')).toContain('npm run dropscope -- probe add NAME');
    expect(await page.textContent('[data-testid="empty-state"]')).toContain(`curl -sS -X POST '${server.url}/api/v1/ingest'`);
    expect(await attr(page, '[data-testid="empty-state"]', 'data-probes')).toBe('1');
    expect(await attr(page, '[data-testid="duration-histogram"]', 'data-bin-count')).toBe('0');
    expect(await attr(page, '[data-testid="tile-drops"]', 'data-drops')).toBe('0');
    expect(await attr(page, '[data-testid="live-feed"]', 'data-count')).toBe('0');
    await shot(page, 'overview-empty');
    // A reload would drop this marker.
    await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));

    const { events, dropIds, liveSince } = fleetBatch('a');
    await ingest(events);

    await page.waitForSelector('[data-testid="tile-drops"][data-drops="4"]');
    await page.waitForSelector('[data-testid="duration-histogram"][data-total="5"]');
    // 60 s to 300 s in 10 s bins centred on 0 s ... 300 s.
    expect(await attr(page, '[data-testid="duration-histogram"]', 'data-bin-width-ms')).toBe('10000');
    expect(await attr(page, '[data-testid="duration-histogram"]', 'data-bin-count')).toBe('31');
    // Recharts draws an empty surface first: wait for real bars.
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="duration-histogram"] .recharts-bar-rectangle path').length >= 3);
    expect(await page.textContent('.histogram-peak')).toContain('1m ± 5s (3 of 4)');
    // 7 openings, 5 endings, 1 refusal.
    await page.waitForSelector('[data-testid="live-feed"][data-count="13"]');
    for (const id of dropIds) await page.waitForSelector(`[data-feed-key="session.ended:${id}"]`);
    expect(await page.getAttribute('.feed-row:first-child', 'data-feed-key')).toBe('attempt.failed:a-refused-1');
    expect(await page.textContent(`[data-feed-key="session.ended:${dropIds[1]}"]`)).toContain('after 60.01 s · tcp_reset');
    await page.waitForSelector('[data-testid="empty-state"]', { state: 'detached' });
    expect(await attr(page, '[data-testid="tile-live"]', 'data-live')).toBe('2');
    expect(await attr(page, '[data-testid="tile-upgrades"]', 'data-attempts')).toBe('8');
    expect(await attr(page, '[data-testid="tile-upgrades"]', 'data-upgrades')).toBe('7');
    expect(await page.textContent('[data-testid="tile-upgrades"] .tile-value')).toBe('87.5%');
    await shot(page, 'overview-live');

    // A second batch: one of the live canaries is dropped now (the builder opens 5 ms after base).
    const livedMs = Date.now() - liveSince.getTime() - 5;
    await ingest([ended('a-live-1', livedMs, { path: canaryPath({ target: 'echo-eu', proxy: 'direct' }), endKind: 'tcp_fin' }, liveSince)]);
    await page.waitForSelector('[data-testid="tile-drops"][data-drops="5"]');
    await page.waitForSelector('[data-testid="tile-live"][data-live="1"]');
    await page.waitForSelector('[data-testid="duration-histogram"][data-total="6"]');
    expect(await page.getAttribute('.feed-row:first-child', 'data-feed-key')).toBe('session.ended:a-live-1');
    expect(await page.getAttribute('.feed-row:first-child', 'class')).toContain('feed-row-new');

    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    expect(pageErrors).toEqual([]);
  });

  it('refetches at most about three times a second under a burst of batches', async () => {
    const page = await openOverview('light');
    const refetches: number[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/v1/overview')) refetches.push(Date.now());
    });
    const started = Date.now();
    for (let i = 0; i < 30; i++) {
      const id = `burst-${String(i).padStart(4, '0')}`;
      await ingest([opened(id, {}, new Date(Date.now() - 1000))]);
    }
    await page.waitForSelector('[data-feed-key="session.opened:burst-0029"]');
    // Let a trailing refresh land inside the measured span.
    await page.waitForTimeout(500);
    const elapsed = Date.now() - started;
    expect(refetches.length).toBeGreaterThan(0);
    // One at the start of each 333 ms interval, plus one re-run for a push during a fetch.
    expect(refetches.length).toBeLessThanOrEqual(Math.floor(elapsed / 333) + 2);
    expect(pageErrors).toEqual([]);
  });

  it('is readable in dark mode', async () => {
    await ingest(fleetBatch('b').events);
    const page = await openOverview('dark');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="duration-histogram"] .recharts-bar-rectangle path').length >= 3);
    const colors = await page.evaluate(() => {
      const body = getComputedStyle(document.body);
      const bar = document.querySelector('[data-testid="duration-histogram"] .recharts-bar-rectangle path');
      return { bg: body.backgroundColor, text: body.color, bar: bar ? getComputedStyle(bar).fill : '' };
    });
    const luminance = (rgb: string) => {
      const [r = 0, g = 0, b = 0] = (rgb.match(/\d+/g) ?? []).map(Number);
      return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
    };
    expect(luminance(colors.bg)).toBeLessThan(0.15);
    expect(luminance(colors.text)).toBeGreaterThan(0.8);
    // The bar colour comes from a CSS variable; an unresolved one would paint black.
    expect(colors.bar).not.toMatch(/^rgb\(0, 0, 0\)$|^$/);
    await shot(page, 'overview-dark');
    expect(pageErrors).toEqual([]);
  });
});
