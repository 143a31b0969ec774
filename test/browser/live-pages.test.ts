/**
 * The paths matrix, a path page, handshake health and the probes page kept live in a real
 * browser against the built server: a batch posted through the ingest API while the page
 * is open changes it without a reload; the probes page also polls (a probe goes offline by
 * the clock alone); a failed refetch says what to do and recovers; the controls work from
 * the keyboard. Screenshots go to test/artifacts (*-live*.png, *-refresh-error*.png).
 *
 * Needs a build (`npm run build`) and Chromium at /usr/bin/chromium.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { IngestEvent } from '../../lib/contracts/ingest';
import { handshakesReportSchema } from '../../lib/handshakes/schema';
import { pathDetailSchema, pathsMatrixSchema, probesReportSchema } from '../../lib/paths/schema';
import { liveCadenceMs } from '../../lib/realtime/cadence';
import { openBrowser, shot, visit, waitForChromium, waitForHydration, watchPage } from '../helpers/browser';
import { ended, failed, heartbeat, opened, path as canaryPath } from '../helpers/events';
import { addProbeToken, startServer, type RunningServer } from '../helpers/server';

const MIN = 60_000;

let server: RunningServer;
let ams: string;
let lon: string;
let browser: Awaited<ReturnType<typeof openBrowser>> | undefined;
let context: BrowserContext;
let page: Page;
/** Console errors and uncaught exceptions of the current page: hydration mismatches land here. */
let pageErrors: string[] = [];

const squid = canaryPath({ proxy: 'corp-squid', kind: 'http' });
const direct = canaryPath();
const haproxy = canaryPath({ proxy: 'haproxy-edge', kind: 'http' });
const ago = (minutes: number) => new Date(Date.now() - minutes * MIN);

async function ingest(token: string, events: IngestEvent[]): Promise<void> {
  const res = await fetch(`${server.url}/api/v1/ingest`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ events }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
}

beforeAll(async () => {
  await waitForChromium();
  server = await startServer();
  const env = { DROPSCOPE_DATA_DIR: server.dataDir };
  ams = addProbeToken('edge-ams-1', env, ['region=eu']);
  lon = addProbeToken('edge-lon-2', env, ['region=uk']);
  // Three canaries through corp-squid cut at 60 s, and one refused upgrade.
  const seed: IngestEvent[] = [heartbeat({ at: new Date().toISOString(), agentVersion: '0.4.2', canaries: { open: 6, connecting: 1, backoff: 0 }, spoolDepth: 2 })];
  for (let i = 0; i < 3; i++) seed.push(opened(`seed-sq-${i}-aaaa`, { path: squid }, ago(40 - i)), ended(`seed-sq-${i}-aaaa`, 60_000 + i, { path: squid }, ago(40 - i)));
  seed.push(failed('seed-sq-refused', { path: squid, httpStatus: 426 }, ago(30)));
  await ingest(ams, seed);
  browser = await openBrowser({ signIn: server });
  context = browser.context;
}, 300_000);

afterEach(async () => {
  // One page at a time: a background page may count as hidden, which stops the probes poll.
  await page?.close();
});

afterAll(async () => {
  await browser?.close();
  await server?.dispose();
});

/** Open a page and wait until its socket is up: only then does the next push reach it. */
async function open(url: string, testId: string, setup?: (p: Page) => Promise<void>): Promise<Page> {
  page = await context.newPage();
  pageErrors = watchPage(page);
  await setup?.(page);
  await visit(page, `${server.url}${url}`);
  await page.waitForSelector(`[data-testid="${testId}"][data-socket="live"]`);
  // A reload would drop this marker.
  await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
  return page;
}

const sameDocument = (p: Page) => p.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument === true);

/** Every request the page makes to an endpoint, as path + query. */
function requestsTo(p: Page, pathname: string): string[] {
  const seen: string[] = [];
  p.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname === pathname) seen.push(u.pathname + u.search);
  });
  return seen;
}

describe('live pages', { timeout: 90_000 }, () => {
  it('/paths gains a cell for a new path and moves the figures of an old one, without a reload', async () => {
    let seen: string[] = [];
    const p = await open('/paths?range=6h', 'paths', async (pg) => {
      seen = requestsTo(pg, '/api/v1/paths');
    });
    const cells = p.locator('[data-testid="path-cell"]');
    expect(await cells.count()).toBe(1);
    const squidCell = p.locator('[data-testid="path-cell"][data-proxy="corp-squid"]');
    expect(await squidCell.innerText()).toContain('75.0% of 4');

    await ingest(ams, [opened('live-di-1-aaaa', { path: direct }, ago(1)), ended('live-di-1-aaaa', 20_000, { path: direct, endKind: 'probe_closed', closeCode: 1000 }, ago(1)), failed('live-sq-refused-1', { path: squid, httpStatus: 426 }, ago(1))]);

    await p.waitForSelector('[data-testid="paths"][data-cells="2"]');
    await p.waitForSelector('[data-testid="path-cell"][data-proxy="direct"][data-health="healthy"]');
    await expect.poll(() => squidCell.innerText(), { timeout: 15_000 }).toContain('60.0% of 5');
    // The refetch asks for the page's own view, at the watermark of the push (lib/realtime/live-answer.ts).
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((s) => /^\/api\/v1\/paths\?range=6h&w=[0-9a-f]{12}%3A\d+$/.test(s))).toBe(true);
    expect(await sameDocument(p)).toBe(true);
    expect(await p.locator('[data-testid="live-status"]').innerText()).toContain('live');
    await shot(p, 'paths-live');
    await shot(p, 'paths-live-dark', { dark: true });
    expect(pageErrors).toEqual([]);
  });

  it('a path page adds the new attempts to its figures, timeline and session table, without a reload', async () => {
    const p = await open('/paths/canary~corp-squid?range=6h', 'path');
    const before = Number(await p.getAttribute('[data-testid="path"]', 'data-attempts'));
    const bars = Number(await p.getAttribute('[data-testid="path-timeline"]', 'data-bars'));
    expect(before).toBe(5);
    expect(await p.getAttribute('[data-testid="session-table"]', 'data-rows')).toBe('5');

    await ingest(ams, [opened('live-sq-open-1', { path: squid }, ago(0.5))]);

    await p.waitForSelector(`[data-testid="path"][data-attempts="${before + 1}"]`);
    await p.waitForSelector(`[data-testid="path-timeline"][data-bars="${bars + 1}"]`);
    await p.waitForSelector('[data-testid="session-table"][data-rows="6"]');
    await p.waitForSelector('tr[data-session="live-sq-open-1"]');
    expect(await p.locator('[data-testid="path-summary"]').innerText()).toContain('66.7%');
    expect(await sameDocument(p)).toBe(true);
    await shot(p, 'path-live');
    await shot(p, 'path-live-dark', { dark: true });
    expect(pageErrors).toEqual([]);
  });

  it('/handshakes counts a new attempt and lists its HTTP status, without a reload', async () => {
    const p = await open('/handshakes?range=6h', 'handshakes');
    const attempts = Number(await p.getAttribute('[data-testid="handshakes"]', 'data-attempts'));
    const upgrades = Number(await p.getAttribute('[data-testid="handshakes"]', 'data-upgrades'));
    expect(await p.locator('[data-testid="by-status"] tr[data-value="502"]').count()).toBe(0);

    // Two refusals now, and an upgrade two hours ago with no other attempt near it.
    await ingest(ams, [failed('live-ha-502-1', { path: haproxy, httpStatus: 502 }, ago(0.5)), failed('live-ha-502-2', { path: haproxy, httpStatus: 502 }, ago(0.4)), opened('live-ha-old-1', { path: haproxy }, ago(120))]);

    await p.waitForSelector(`[data-testid="handshakes"][data-attempts="${attempts + 3}"]`);
    expect(await p.getAttribute('[data-testid="handshakes"]', 'data-upgrades')).toBe(String(upgrades + 1));
    await p.waitForSelector('[data-testid="by-status"] tr[data-value="502"][data-count="2"]');
    expect(await p.locator('[data-testid="by-status"] tr[data-value="502"]').innerText()).toContain('haproxy-edge');
    // A ratio point without neighbours (at least the one two hours ago) is a one-point line
    // segment, which draws nothing: each gets a dot. Compared with the answer the page shows,
    // as bucket boundaries move with the clock.
    const isolatedPoints = async () => {
      const { series } = handshakesReportSchema.parse(await (await server.api('/api/v1/handshakes?range=6h')).json());
      return series.filter((b, i) => b.ratio !== null && series[i - 1]?.ratio == null && series[i + 1]?.ratio == null).length;
    };
    await expect
      .poll(async () => (await p.locator('[data-testid="ratio-chart"] .recharts-line-dots circle').count()) === (await isolatedPoints()) && (await isolatedPoints()) > 0, { timeout: 15_000 })
      .toBe(true);
    expect(await sameDocument(p)).toBe(true);
    await shot(p, 'handshakes-live');
    await shot(p, 'handshakes-live-dark-1920', { dark: true, width: 1920 });
    expect(pageErrors).toEqual([]);
  });

  it('/probes shows a first heartbeat and new canary counts, without a reload', async () => {
    // edge-ams-1 is online for 90 s after its last batch (the server's clock), whatever the
    // tests before this one took: it reports again, unchanged.
    await ingest(ams, [heartbeat({ at: new Date().toISOString(), agentVersion: '0.4.2', canaries: { open: 6, connecting: 1, backoff: 0 }, spoolDepth: 2 })]);
    const p = await open('/probes', 'probes');
    const row = (name: string) => p.locator(`[data-testid="probe-row"][data-probe="${name}"]`);
    expect(await row('edge-lon-2').getAttribute('data-state')).toBe('never-seen');
    expect(await p.getAttribute('[data-testid="probes"]', 'data-online')).toBe('1');

    await ingest(lon, [heartbeat({ at: new Date().toISOString(), agentVersion: '0.5.0', canaries: { open: 4, connecting: 0, backoff: 1 }, spoolDepth: 17 })]);
    await ingest(ams, [heartbeat({ at: new Date().toISOString(), agentVersion: '0.4.2', canaries: { open: 9, connecting: 0, backoff: 0 }, spoolDepth: 0 })]);

    await p.waitForSelector('[data-testid="probe-row"][data-probe="edge-lon-2"][data-state="online"]');
    await p.waitForSelector('[data-testid="probes"][data-online="2"]');
    const lonText = await row('edge-lon-2').innerText();
    for (const s of ['online', '0.5.0', 'region=uk', '17']) expect(lonText).toContain(s);
    // The second heartbeat's push is refetched in the next slot of the view's refresh period
    // (lib/realtime/cadence.ts: 2 s), which a loaded machine may pass by more than a second.
    await expect.poll(async () => (await row('edge-ams-1').locator('td').nth(3).innerText()).trim(), { timeout: 15_000 }).toBe('9');
    expect(await sameDocument(p)).toBe(true);
    await shot(p, 'probes-live');
    await shot(p, 'probes-live-dark', { dark: true });
    expect(pageErrors).toEqual([]);
  });

  it('/probes also refetches on a 15 s clock, once per period, with nothing pushed', async () => {
    let seen: string[] = [];
    const p = await open('/probes', 'probes', async (pg) => {
      seen = requestsTo(pg, '/api/v1/probes');
      // Time in the page only moves as the test says, past the 15 s poll.
      await pg.clock.install();
    });
    // The catch-up refetch after connecting, then quiet.
    await expect.poll(() => seen.length, { timeout: 15_000 }).toBe(1);
    await p.waitForSelector('[data-testid="live-status"]:not(:has-text("updating"))');
    const firstNow = await p.getAttribute('[data-testid="probes"]', 'data-now');
    // Nothing was pushed, so the poll asks for the same watermark as the catch-up: the
    // server answers it anew only once its answer is older than the view's refresh period.
    // The page's clock is fake, the server's is not: let that period pass for real.
    await p.waitForTimeout(liveCadenceMs(null));
    await p.clock.fastForward(16_000);
    await expect.poll(() => seen.length, { timeout: 15_000 }).toBe(2);
    await expect.poll(() => p.getAttribute('[data-testid="probes"]', 'data-now'), { timeout: 15_000 }).not.toBe(firstNow);
    await p.clock.fastForward(5_000);
    await p.waitForTimeout(300);
    expect(seen.length).toBe(2);
    expect(pageErrors).toEqual([]);
  });

  it('says what to do when a refetch fails, keeps the last figures, and recovers by keyboard', async () => {
    const failing = (u: URL) => u.pathname === '/api/v1/handshakes';
    const p = await open('/handshakes?range=6h', 'handshakes', async (pg) => {
      await pg.route(failing, (r) => r.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: { code: 'X_TEST', message: 'the database is restarting' } }) }));
    });
    const banner = p.locator('[data-testid="refresh-error"]');
    await banner.waitFor();
    const text = await banner.innerText();
    expect(text).toContain('Could not refresh: GET /api/v1/handshakes answered 503: the database is restarting');
    expect(text).toContain('from the last successful update');
    expect(await banner.getAttribute('role')).toBe('alert');
    // The server-rendered figures stay.
    expect(Number(await p.getAttribute('[data-testid="handshakes"]', 'data-attempts'))).toBeGreaterThan(0);
    await shot(p, 'handshakes-refresh-error');
    await shot(p, 'handshakes-refresh-error-dark', { dark: true });

    await p.unroute(failing);
    // Reach "Try again" with Tab alone, then press it with Enter.
    const button = banner.getByRole('button', { name: 'Try again' });
    await tabTo(p, async () => button.evaluate((b) => b === document.activeElement));
    expect(await focusRing(p)).toBe(true);
    await p.keyboard.press('Enter');
    await banner.waitFor({ state: 'detached' });
    // The refresh error was logged; nothing else was.
    expect(pageErrors.filter((e) => !e.includes('503') && !e.includes('handshakes failed'))).toEqual([]);
  });
});

describe('the answers live pages refetch', () => {
  it('parse with the schemas the pages check them with', async () => {
    const get = async (u: string) => {
      const res = await server.api(u);
      expect(res.status, u).toBe(200);
      return res.json();
    };
    // .parse throws naming the field: a drift between a query module and its schema fails here.
    expect(pathsMatrixSchema.parse(await get('/api/v1/paths?range=6h&by=probe')).cells.length).toBeGreaterThan(0);
    expect(pathDetailSchema.parse(await get('/api/v1/paths/canary~corp-squid?range=6h')).sessions.length).toBeGreaterThan(0);
    expect(handshakesReportSchema.parse(await get('/api/v1/handshakes?range=6h')).attempts).toBeGreaterThan(0);
    expect(probesReportSchema.parse(await get('/api/v1/probes')).probes.length).toBe(2);
  });
});

/** Press Tab until `focused()` holds; fails after `max` presses. */
async function tabTo(p: Page, focused: () => Promise<boolean>, max = 60): Promise<void> {
  for (let i = 0; i < max; i++) {
    await p.keyboard.press('Tab');
    if (await focused()) return;
  }
  throw new Error(`not reached with ${max} presses of Tab`);
}

/** The focused element shows an outline (or a ring drawn with box-shadow). */
function focusRing(p: Page): Promise<boolean> {
  return p.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return false;
    const s = getComputedStyle(el);
    return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none';
  });
}

describe('keyboard', { timeout: 90_000 }, () => {
  it('on /paths: skip link, range, filters, split toggle and cells in reading order, each with a focus ring', async () => {
    const p = await open('/paths?range=6h', 'paths');
    const order: string[] = [];
    for (let i = 0; i < 40; i++) {
      await p.keyboard.press('Tab');
      const d = await p.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        return el ? `${el.tagName.toLowerCase()}:${el.getAttribute('aria-label') ?? el.getAttribute('data-testid') ?? el.textContent?.trim().slice(0, 30)}` : '';
      });
      if (!(await focusRing(p))) throw new Error(`no focus ring on ${d}`);
      order.push(d);
      if (d.startsWith('a:canary through')) break;
    }
    const at = (prefix: string) => order.findIndex((d) => d.startsWith(prefix));
    expect(order[0]).toBe('a:Skip to content');
    expect(at('a:Paths')).toBeGreaterThan(0);
    expect(at('a:by-probe-toggle')).toBeGreaterThan(at('a:Paths'));
    expect(at('button:6h')).toBeGreaterThan(at('a:by-probe-toggle'));
    expect(at('select:proxy')).toBeGreaterThan(at('button:6h'));
    expect(at('a:canary through')).toBeGreaterThan(at('select:proxy'));
  });

  // Once in six full CI runs Chromium logged "Failed to load resource: ... 404" during these
  // navigations, without saying which resource, and it never happened alone; watchPage now
  // logs the URL. One retry, so that intermittent failure is named in the output (vitest
  // prints the failed attempt) without voiding a run; a real 404 fails both attempts.
  it('the skip link lands on the content; Space picks a range; Enter opens a cell and a session row', { retry: 1 }, async () => {
    const p = await open('/paths?range=6h', 'paths');
    await p.keyboard.press('Tab');
    await p.keyboard.press('Enter');
    expect(await p.evaluate(() => document.activeElement?.id)).toBe('content');
    // The next Tab continues in the page, not in the header.
    await p.keyboard.press('Tab');
    expect(await p.evaluate(() => document.activeElement?.closest('header.site-header') === null)).toBe(true);

    await tabTo(p, () => p.evaluate(() => document.activeElement?.textContent === '1h'));
    await p.keyboard.press('Space');
    await p.waitForURL(/range=1h/);
    await p.waitForSelector('[data-testid="paths"][data-socket="live"]');

    // Arrow keys on a closed select pick the next value at once; the page navigates and the
    // select keeps the focus, so the next arrow press keeps going.
    await tabTo(p, () => p.evaluate(() => document.activeElement?.getAttribute('name') === 'proxy'));
    await p.keyboard.press('ArrowDown');
    await p.waitForURL(/proxy=corp-squid/);
    await p.waitForSelector('[data-testid="paths"][data-cells="1"]');
    expect(await p.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('proxy');

    await tabTo(p, () => p.evaluate(() => (document.activeElement?.getAttribute('aria-label') ?? '').startsWith('canary through corp-squid')));
    await p.keyboard.press('Enter');
    await p.waitForURL(/\/paths\/canary~corp-squid\?range=1h/);
    await waitForHydration(p);
    await p.waitForSelector('[data-testid="path"][data-socket="live"]');

    // A session's details open in a row of their own below it (issue 19: columns stay on screen).
    await tabTo(p, () => p.evaluate(() => document.activeElement?.getAttribute('aria-controls')?.startsWith('session-') === true), 80);
    expect(await focusRing(p)).toBe(true);
    await p.keyboard.press('Enter');
    expect(await p.evaluate(() => document.activeElement?.getAttribute('aria-expanded'))).toBe('true');
    const controls = await p.evaluate(() => document.activeElement?.getAttribute('aria-controls'));
    expect(await p.locator(`[id="${controls}"]`).count()).toBe(1);
    expect(pageErrors).toEqual([]);
  });
});
