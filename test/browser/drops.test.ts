/**
 * The drops and handshake pages in a real browser against the built server: empty states,
 * then a fleet posted through the ingest API (a 60 s cut through one proxy, closes at 5 min,
 * refused upgrades); the 60 s signature highlighted and its cluster listed; a drop posted
 * later appears without a reload; a filter and the bin width live in the URL and a reload
 * restores them. Screenshots land in test/artifacts (drops*.png, handshakes*.png).
 */
import type { Page } from 'playwright-core';
import { closePages, openPage, reloadPage, shot, visit, waitForChromium, type BrowserOptions } from '../helpers/browser';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { IngestEvent } from '../../lib/contracts/ingest';
import { ended, failed, opened, path as canaryPath } from '../helpers/events';
import { addProbeToken, startServer, type RunningServer } from '../helpers/server';

const MIN = 60_000;

let server: RunningServer;
let token: string;
let pageErrors: string[] = [];

beforeAll(async () => {
  await waitForChromium();
  server = await startServer();
  token = addProbeToken('edge-ams-1', { DROPSCOPE_DATA_DIR: server.dataDir }, ['region=eu']);
}, 300_000);

afterAll(async () => {
  await server?.dispose();
});

afterEach(closePages);

/** `url` on the server, signed in, in a browser of its own. */
async function openAt(url: string, opts: BrowserOptions = {}): Promise<Page> {
  const { page, errors } = await openPage({ ...opts, signIn: server });
  pageErrors = errors;
  await visit(page, `${server.url}${url}`);
  return page;
}

async function ingest(events: IngestEvent[]): Promise<void> {
  const res = await fetch(`${server.url}/api/v1/ingest`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ events }) });
  expect(res.status, await res.clone().text()).toBe(200);
}

const squid = canaryPath({ target: 'echo-eu', proxy: 'corp-squid', kind: 'http' });
const direct = canaryPath({ target: 'echo-eu', proxy: 'direct', profile: 'chatty' });
const mobile = canaryPath({ target: 'echo-eu', proxy: 'mobile-de', kind: 'socks5' });

function fleet(now = Date.now()): IngestEvent[] {
  const base = (minAgo: number) => new Date(now - minAgo * MIN);
  const out: IngestEvent[] = [];
  for (let i = 0; i < 12; i++) {
    const id = `sq-${i}-aaaaaa`;
    out.push(opened(id, { path: squid, egressAddress: '198.51.100.7', responseHeaders: { server: 'nginx/1.24.0' } }, base(100 - i * 5)), ended(id, 60_000 + (i % 5) * 20, { path: squid, endKind: i % 3 === 0 ? 'tcp_reset' : 'tcp_fin' }, base(100 - i * 5)));
  }
  for (let i = 0; i < 5; i++) {
    const id = `lb-${i}-aaaaaa`;
    out.push(opened(id, { path: direct }, base(90 - i * 7)), ended(id, 170_000 + i * 9000, { path: direct, endKind: 'close_frame', closeCode: 1001, sinceLastRecvMs: 800, sinceLastSentMs: 2500 }, base(90 - i * 7)));
  }
  for (let i = 0; i < 2; i++) out.push(ended(`pt-${i}-aaaaaa`, 65_000, { path: direct, endKind: 'pong_timeout', closeCode: undefined, sinceLastRecvMs: 35_000, sinceLastSentMs: 5000 }, base(30 + i)));
  for (let i = 0; i < 6; i++) out.push(opened(`ok-${i}-aaaaaa`, { path: direct }, base(50 - i)));
  out.push(
    failed('f-403-aaaaaa', { path: squid, httpStatus: 403 }, base(40)),
    failed('f-502-aaaaaa', { path: squid, httpStatus: 502 }, base(20)),
    failed('f-502-bbbbbb', { path: direct, httpStatus: 502 }, base(19)),
    failed('f-px-aaaaaa', { path: mobile, outcome: 'proxy_refused', httpStatus: undefined, proxyReply: 'Socks5 proxy rejected connection - NotAllowed' }, base(15)),
    failed('f-dial-aaaaaa', { path: mobile, outcome: 'dial_failed', httpStatus: undefined, errorCode: 'ECONNREFUSED' }, base(10)),
  );
  return out;
}

const attr = (page: Page, sel: string, name: string) => page.locator(sel).first().getAttribute(name);

describe('drops and handshake pages', { timeout: 120_000 }, () => {
  it('say what to do when the database is empty', async () => {
    const page = await openAt('/drops');
    await page.waitForSelector('[data-testid="drops-empty"]');
    expect(await page.locator('[data-testid="drops-empty"]').innerText()).toContain('Widen the range');
    await shot(page, 'drops-empty');
    await visit(page, `${server.url}/handshakes`);
    await page.waitForSelector('[data-testid="handshakes-empty"]');
    expect(await page.locator('[data-testid="handshakes-empty"]').innerText()).toContain('probe add');
    await shot(page, 'handshakes-empty');
    expect(pageErrors).toEqual([]);
  });

  it('render the fleet: histograms, the 60 s signature, its cluster, endings and close codes', async () => {
    await ingest(fleet());
    const page = await openAt('/drops?bin=5s');
    await page.waitForSelector('[data-testid="age-histogram"][data-total="19"]');
    expect(await attr(page, '[data-testid="idle-histogram"]', 'data-total')).toBe('17');
    expect(await attr(page, '[data-testid="drops"]', 'data-bin-width-ms')).toBe('5000');
    const link = page.locator('[data-testid="signature-link"][data-n="60"]');
    await link.waitFor();
    await page.locator('[data-testid="signature-label"][data-n="60"]').first().waitFor();
    await link.click();
    await page.waitForURL(/cluster=60/);
    await page.waitForSelector('[data-testid="cluster"][data-rows="12"]');
    expect(page.url()).toContain('bin=5s');
    const table = await page.locator('[data-testid="cluster"]').innerText();
    expect(table).toContain('corp-squid');
    expect(table).toContain('198.51.100.7');
    expect(await attr(page, '[data-testid="end-kinds"] tr[data-key="tcp_fin"]', 'data-count')).toBe('8');
    expect(await attr(page, '[data-testid="close-codes"] tr[data-key="1006"]', 'data-count')).toBe('12');
    await shot(page, 'drops');
    expect(pageErrors).toEqual([]);
  });

  it('look right in dark mode at 1920, on a log scale', async () => {
    const page = await openAt('/drops?bin=1s&scale=log&cluster=60', { colorScheme: 'dark', width: 1920 });
    await page.waitForSelector('[data-testid="age-histogram"][data-total="19"][data-scale="log"]');
    await page.waitForSelector('[data-testid="cluster"][data-rows="12"]');
    await page.locator('[data-testid="age-histogram"] .recharts-bar-rectangle').first().waitFor();
    await shot(page, 'drops-dark-1920');
    expect(pageErrors).toEqual([]);
  });

  it('show a drop posted through the ingest API without a reload', async () => {
    const page = await openAt('/drops?bin=5s');
    await page.waitForSelector('[data-testid="drops"][data-socket="live"]');
    const before = Number(await attr(page, '[data-testid="age-histogram"]', 'data-total'));
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
    const at = new Date(Date.now() - 5 * MIN);
    await ingest([opened('live-1-aaaaaa', { path: direct }, at), ended('live-1-aaaaaa', 42_000, { path: direct, endKind: 'tcp_reset' }, at)]);
    await page.waitForSelector(`[data-testid="age-histogram"][data-total="${before + 1}"]`);
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);
  });

  it('keep a filter, the bin width and the scale in the URL, and restore them on reload', async () => {
    const page = await openAt('/drops?bin=1m');
    await page.waitForSelector('[data-testid="age-histogram"][data-total="20"]');
    await page.selectOption('select[name="proxy"]', 'corp-squid');
    await page.waitForURL(/proxy=corp-squid/);
    await page.waitForSelector('[data-testid="age-histogram"][data-total="12"]');
    expect(page.url()).toContain('bin=1m');
    await page.getByRole('button', { name: 'log' }).click();
    await page.waitForURL(/scale=log/);
    await page.waitForSelector('[data-testid="age-histogram"][data-scale="log"]');
    await page.selectOption('select[name="bin"]', '10s');
    await page.waitForURL(/bin=10s/);
    await page.waitForSelector('[data-testid="drops"][data-bin-width-ms="10000"]');
    await reloadPage(page);
    await page.waitForSelector('[data-testid="age-histogram"][data-total="12"][data-scale="log"][data-bin-width-ms="10000"]');
    expect(await page.locator('select[name="proxy"]').inputValue()).toBe('corp-squid');
    expect(await page.locator('select[name="bin"]').inputValue()).toBe('10s');
    expect(pageErrors).toEqual([]);
  });

  it('render handshake health with ratios and failures by status, proxy reply and error', async () => {
    const page = await openAt('/handshakes');
    await page.waitForSelector('[data-testid="handshakes"][data-attempts="29"]');
    expect(await attr(page, '[data-testid="handshakes"]', 'data-upgrades')).toBe('24');
    expect(await attr(page, '[data-testid="by-status"] tr[data-value="502"]', 'data-count')).toBe('2');
    expect(await page.locator('[data-testid="by-proxy-reply"]').innerText()).toContain('NotAllowed');
    expect(await page.locator('[data-testid="by-error-code"]').innerText()).toContain('ECONNREFUSED');
    await page.locator('[data-testid="ratio-chart"] .recharts-line-curve').first().waitFor();
    await shot(page, 'handshakes');
    await page.selectOption('select[name="proxy"]', 'corp-squid');
    await page.waitForSelector('[data-testid="handshakes"][data-attempts="14"]');
    await reloadPage(page);
    await page.waitForSelector('[data-testid="handshakes"][data-attempts="14"]');
    await page.close();
    const dark = await openAt('/handshakes', { colorScheme: 'dark', width: 1920 });
    await dark.locator('[data-testid="ratio-chart"] .recharts-line-curve').first().waitFor();
    await shot(dark, 'handshakes-dark-1920');
    expect(pageErrors).toEqual([]);
  });

  it('name the bad field of a link, and answer the same JSON the page renders', async () => {
    const page = await openAt('/drops?bin=7s');
    expect(await page.locator('[data-testid="bad-link"]').innerText()).toContain('bin:');
    const bad = await server.api('/api/v1/handshakes?range=2h');
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.issues[0].path).toBe('range');
    const ok = await server.api('/api/v1/drops?bin=5s&proxy=corp-squid&cluster=60');
    expect(ok.status).toBe(200);
    const body = await ok.json();
    expect(body).toMatchObject({ totalDrops: 12, binWidthMs: 5000, cluster: { total: 12 } });
  });
});
