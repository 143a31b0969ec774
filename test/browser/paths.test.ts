/**
 * The paths matrix, the path page and the probes page in a real browser against the built
 * server, with sessions posted through the ingest API; then the same pages on an empty
 * database. Screenshots go to test/artifacts (paths*.png, path-*.png, probes*.png).
 */
import type { BrowserContext } from 'playwright-core';
import { openBrowser, reloadPage, shot, signInContext, visit, waitForHydration } from '../helpers/browser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestEvent } from '../../lib/contracts/ingest';
import { pathId } from '../../lib/paths/path-id';
import { ended, failed, heartbeat, opened, path as canaryPath, rtt } from '../helpers/events';
import { addProbeToken, runCli, startServer, type RunningServer } from '../helpers/server';

let server: RunningServer;
let empty: RunningServer;
let browser: Awaited<ReturnType<typeof openBrowser>> | undefined;
let context: BrowserContext;
let ams: string;
let fra: string;

/**
 * Both probes' heartbeats again, as sent at the start: a probe is online for 90 s after the
 * server last heard from it, by the server's clock, and the tests before the probes' may take
 * longer than that on a loaded machine.
 */
async function heartbeatsAgain(): Promise<void> {
  const at = new Date().toISOString();
  await post(server.url, ams, [heartbeat({ at, agentVersion: '0.4.2', canaries: { open: 6, connecting: 1, backoff: 2 }, spoolDepth: 3 })]);
  await post(server.url, fra, [heartbeat({ at, agentVersion: '0.4.1', canaries: { open: 2, connecting: 0, backoff: 0 }, spoolDepth: 0 })]);
}

async function post(url: string, token: string, events: IngestEvent[]): Promise<void> {
  const res = await fetch(`${url}/api/v1/ingest`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ events }) });
  expect(res.status, await res.clone().text()).toBe(200);
}

beforeAll(async () => {
  // `empty` on an address of its own: a browser keeps cookies by host, not port, and each
  // server's session cookie has the same name.
  // One after the other, each kept as soon as it runs, for afterAll to stop if the next fails.
  server = await startServer();
  empty = await startServer({ env: { HOST: '127.0.0.2' } });
  const env = { DROPSCOPE_DATA_DIR: server.dataDir };
  ams = addProbeToken('edge-ams-1', env, ['region=eu']);
  fra = addProbeToken('edge-fra-2', env, ['region=de']);
  addProbeToken('edge-lon-3', env, ['region=uk']);
  addProbeToken('old-probe', env);
  expect(runCli(['probe', 'revoke', 'old-probe'], env).status).toBe(0);

  const now = Date.now();
  const squid = canaryPath({ proxy: 'corp-squid', kind: 'http' });
  const odd = canaryPath({ target: 'app eu/1' });
  const a: IngestEvent[] = [heartbeat({ at: new Date(now).toISOString(), agentVersion: '0.4.2', canaries: { open: 6, connecting: 1, backoff: 2 }, spoolDepth: 3 })];
  const f: IngestEvent[] = [heartbeat({ at: new Date(now).toISOString(), agentVersion: '0.4.1', canaries: { open: 2, connecting: 0, backoff: 0 }, spoolDepth: 0 })];
  for (let i = 0; i < 14; i++) {
    const base = new Date(now - 50 * 60_000 + i * 180_000);
    const list = i % 2 === 0 ? a : f;
    // Direct: lives 2–4 minutes, closed by the probe; the egress address changes half way.
    list.push(opened(`di-${i}-aaaaaa`, { timings: { dnsMs: 0.8 + i / 10, tcpMs: 2 + i / 5, tlsMs: 6 + i / 3, upgradeMs: 4 + i / 4 }, egressAddress: i < 7 ? '198.51.100.7' : '198.51.100.8' }, base));
    if (i < 13) list.push(ended(`di-${i}-aaaaaa`, 120_000 + i * 9_000, { endKind: 'probe_closed', closeCode: 1000, closeReason: 'rotate' }, base));
    list.push(rtt(`di-${i}-aaaaaa`, [12 + (i % 3), 13, 14, 40 + i], {}, base));
    // Through corp-squid: cut at 60 s with a FIN; every fourth upgrade refused.
    if (i % 4 === 3) {
      list.push(failed(`sq-${i}-aaaaaa`, { path: squid, httpStatus: 426, responseHeaders: { server: 'squid/6.10' } }, base));
    } else {
      list.push(opened(`sq-${i}-aaaaaa`, { path: squid, timings: { dnsMs: 1, tcpMs: 3, proxyMs: 9 + i, upgradeMs: 20 + i }, responseHeaders: { server: 'nginx/1.24.0' }, egressAddress: '203.0.113.5' }, base));
      list.push(ended(`sq-${i}-aaaaaa`, 60_000 + (i % 3) * 15, { path: squid, sinceLastRecvMs: 60_000 }, base));
      list.push(rtt(`sq-${i}-aaaaaa`, [30 + i, 35, 38, 90 + 5 * i], { path: squid }, base));
    }
    // A ladder through corp-squid: 30 s survives, 90 s dies at 60 s.
    const l30 = { ...squid, profile: 'ladder/30s', profileKind: 'ladder' as const, gapMs: 30_000 };
    const l90 = { ...squid, profile: 'ladder/90s', profileKind: 'ladder' as const, gapMs: 90_000 };
    if (i < 4) {
      a.push(opened(`l30-${i}-aaaaa`, { path: l30 }, base), ended(`l30-${i}-aaaaa`, 30_020, { path: l30, endKind: 'probe_closed', closeReason: 'ladder: survived 30s idle' }, base));
      a.push(opened(`l90-${i}-aaaaa`, { path: l90 }, base), ended(`l90-${i}-aaaaa`, 60_010, { path: l90 }, base));
    }
  }
  a.push(opened('odd-1-aaaaaa', { path: odd }, new Date(now - 10 * 60_000)), ended('odd-1-aaaaaa', 45_000, { path: odd, endKind: 'tcp_reset' }, new Date(now - 10 * 60_000)));
  a.push({
    type: 'target.session_ended', id: 'tv-sq-0-aaaaaa', sessionId: 'sq-0-aaaaaa', target: 'canary', peerAddress: '203.0.113.5',
    openedAt: new Date(now - 50 * 60_000).toISOString(), endedAt: new Date(now - 50 * 60_000 + 60_000).toISOString(), durationMs: 60_000,
    closeFrameReceived: false, endKind: 'tcp_fin', sinceLastRecvMs: 60_000, sinceLastSentMs: 60_000, messagesIn: 0, messagesOut: 0,
  });
  await post(server.url, ams, a);
  await post(server.url, fra, f);

  browser = await openBrowser({ signIn: server });
  context = browser.context;
  await signInContext(context, empty);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.dispose();
  await empty?.dispose();
});

describe('paths matrix', () => {
  it('shows every target × proxy with lifetime, drops, upgrades and health in words', async () => {
    const page = await context.newPage();
    await visit(page, `${server.url}/paths`);
    const cells = page.locator('[data-testid="path-cell"]');
    await expect.poll(() => cells.count(), { timeout: 15_000 }).toBe(3);
    const squid = page.locator('[data-testid="path-cell"][data-proxy="corp-squid"]');
    expect(await squid.getAttribute('data-health')).toBe('failing');
    const text = await squid.innerText();
    expect(text).toContain('FAILING');
    // The median from the aggregate's log bins: within 1 % of the exact 60.0x s, marked ≈.
    expect(text).toMatch(/≈(59\.[4-9]|60\.[0-6])\d s/);
    expect(text).toContain('86.4% of 22');
    expect(text).toContain('15/19');
    expect(await page.locator('[data-testid="path-cell"][data-target="canary"][data-proxy="direct"]').getAttribute('data-health')).toBe('healthy');
    expect(await page.locator('[data-testid="health-legend"]').innerText()).toContain('failing');
    await shot(page, 'paths');
    await shot(page, 'paths-dark', { dark: true });
    await shot(page, 'paths-1920', { width: 1920 });
  });

  it('splits by probe, keeps the split through a filter change, and a reload restores the view', async () => {
    const page = await context.newPage();
    await visit(page, `${server.url}/paths?range=6h`);
    await page.locator('[data-testid="by-probe-toggle"]').click();
    await page.waitForURL(/by=probe/);
    await waitForHydration(page);
    const matrix = page.locator('[data-testid="paths-matrix"]');
    await expect.poll(() => matrix.getAttribute('data-by'), { timeout: 15_000 }).toBe('probe');
    await expect.poll(() => page.locator('[data-testid="path-cell"]').count(), { timeout: 15_000 }).toBe(5);
    await page.locator('select[name="proxy"]').selectOption('corp-squid');
    await page.waitForURL(/proxy=corp-squid/);
    expect(page.url()).toMatch(/range=6h/);
    expect(page.url()).toMatch(/by=probe/);
    await expect.poll(() => page.locator('[data-testid="path-cell"]').count(), { timeout: 15_000 }).toBe(2);
    await reloadPage(page);
    await expect.poll(() => page.locator('[data-testid="path-cell"]').count(), { timeout: 15_000 }).toBe(2);
    expect(await page.locator('select[name="proxy"]').inputValue()).toBe('corp-squid');
    expect(await page.locator('[data-testid="range-picker"], .range-picker button[aria-pressed="true"]').first().innerText()).toBe('6h');
    await shot(page, 'paths-by-probe');
  });

  it('says what to do for a range without sessions, and names a bad link\'s field', async () => {
    const page = await context.newPage();
    await visit(page, `${server.url}/paths?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z`);
    expect(await page.locator('[data-testid="empty-range"]').innerText()).toContain('Pick a longer range');
    await visit(page, `${server.url}/paths?by=target`);
    expect(await page.locator('[data-testid="bad-link"]').innerText()).toContain('by:');
    await visit(page, `${server.url}/paths?range=2h`);
    expect(await page.locator('[data-testid="bad-link"]').innerText()).toContain('range:');
  });
});

describe('path page', () => {
  it('opens from a matrix cell with timeline, RTT, dial phases, ladder and sessions', async () => {
    const page = await context.newPage();
    await visit(page, `${server.url}/paths?range=6h`);
    await page.locator('[data-testid="path-cell"][data-proxy="corp-squid"]').click();
    await page.waitForURL(/\/paths\/canary~corp-squid\?range=6h/);
    await waitForHydration(page);
    const timeline = page.locator('[data-testid="path-timeline"]');
    await expect.poll(() => timeline.getAttribute('data-bars'), { timeout: 15_000 }).toBe('19');
    await expect.poll(() => timeline.locator('.recharts-bar-rectangle').count(), { timeout: 15_000 }).toBe(19);
    await expect.poll(() => page.locator('[data-testid="rtt-chart"]').getAttribute('data-samples'), { timeout: 15_000 }).toBe('44');
    await expect.poll(() => page.locator('[data-testid="rtt-chart"] .recharts-line-curve').count(), { timeout: 15_000 }).toBe(2);
    expect(await page.locator('[data-testid="phases-chart"]').getAttribute('data-phases')).toBe('4');
    await expect.poll(() => page.locator('[data-testid="phases-chart"] .recharts-bar-rectangle').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    expect(await page.locator('[data-testid="path-ladder"]').innerText()).toContain('survives 30 s idle, dies by 90 s');
    const table = page.locator('[data-testid="session-table"]');
    expect(await table.getAttribute('data-rows')).toBe('22');
    const refused = page.locator('tr[data-session="sq-3-aaaaaa"]');
    // The end badge says it (upper-cased by CSS: innerText reads the rendered text).
    expect(await refused.innerText()).toMatch(/upgrade refused/i);
    const first = page.locator('tr[data-session="sq-0-aaaaaa"]');
    // Details open in a row of their own below the session's (issue 19: columns stay on screen).
    await first.getByRole('button', { name: /more/ }).click();
    expect(await page.locator('tr[data-details="sq-0-aaaaaa"]').innerText()).toContain('target saw');
    await page.locator('[aria-label="Sessions, scrollable"]').evaluate((el) => el.scrollTo(0, 0));
    expect(await page.locator('[data-testid="path-summary"]').innerText()).toContain('86.4%');
    await shot(page, 'path-squid');
    await shot(page, 'path-squid-dark', { dark: true });
    await shot(page, 'path-squid-1920', { width: 1920 });
  });

  it('marks egress changes on the direct path and keeps live sessions running to now', async () => {
    const page = await context.newPage();
    await visit(page, `${server.url}/paths/canary~direct`);
    const timeline = page.locator('[data-testid="path-timeline"]');
    await expect.poll(() => timeline.getAttribute('data-bars'), { timeout: 15_000 }).toBe('14');
    // One change per probe: the two probes alternate and each sees .7 then .8.
    expect(await timeline.getAttribute('data-egress-changes')).toBe('2');
    await expect.poll(() => timeline.locator('.recharts-reference-line').count(), { timeout: 15_000 }).toBe(2);
    expect(await page.locator('[data-testid="egress-changes"]').innerText()).toContain('198.51.100.7 → 198.51.100.8');
    await shot(page, 'path-direct');
  });

  it('handles names that need encoding, unknown ids and bad links', async () => {
    const page = await context.newPage();
    await visit(page, `${server.url}/paths`);
    await page.locator('[data-testid="path-cell"][data-target="app eu/1"]').click();
    await page.waitForURL(new RegExp(`/paths/${pathId({ target: 'app eu/1', proxy: 'direct' }).replace(/[%/]/g, (c) => `\\${c}`)}`));
    await expect.poll(() => page.locator('[data-testid="path"]').getAttribute('data-target'), { timeout: 15_000 }).toBe('app eu/1');
    const missing = await visit(page, `${server.url}/paths/nowhere~direct`);
    expect(missing?.status()).toBe(404);
    const malformed = await visit(page, `${server.url}/paths/no-tilde`);
    expect(malformed?.status()).toBe(404);
    await visit(page, `${server.url}/paths/canary~direct?label=region`);
    expect(await page.locator('[data-testid="bad-link"]').innerText()).toContain('label:');
  });
});

describe('probes page', () => {
  it('lists every probe with its state, version, labels, canaries and spool', async () => {
    await heartbeatsAgain();
    const page = await context.newPage();
    await visit(page, `${server.url}/probes`);
    const rows = page.locator('[data-testid="probe-row"]');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(4);
    const state = (name: string) => page.locator(`[data-testid="probe-row"][data-probe="${name}"]`).getAttribute('data-state');
    expect(await state('edge-ams-1')).toBe('online');
    expect(await state('edge-lon-3')).toBe('never-seen');
    expect(await state('old-probe')).toBe('revoked');
    const ams = await page.locator('[data-testid="probe-row"][data-probe="edge-ams-1"]').innerText();
    for (const s of ['online', '0.4.2', 'region=eu', '6', '3']) expect(ams).toContain(s);
    await shot(page, 'probes');
    await shot(page, 'probes-dark', { dark: true });
  });
});

describe('JSON endpoints', () => {
  it('return what the pages render, and refuse bad queries naming the field', async () => {
    await heartbeatsAgain();
    const m = await (await server.api('/api/v1/paths?by=probe&range=6h')).json();
    expect(m).toMatchObject({ byProbe: true, proxies: ['corp-squid', 'direct'], probes: ['edge-ams-1', 'edge-fra-2'] });
    const d = await server.api('/api/v1/paths/canary~corp-squid?range=6h');
    expect(d.status).toBe(200);
    expect(await d.json()).toMatchObject({ target: 'canary', proxy: 'corp-squid', summary: { attempts: 22, opened: 19, drops: 15 }, timeline: { total: 19 } });
    expect((await server.api(`/api/v1/paths/${pathId({ target: 'app eu/1', proxy: 'direct' })}`)).status).toBe(200);
    const unknown = await server.api('/api/v1/paths/nowhere~direct');
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.code).toBe('API_ERR_PATH_UNKNOWN');
    // An unknown parameter is ignored and named (issue 19); a bad known one is still refused.
    const ignored = await server.api('/api/v1/paths?colour=red');
    expect(ignored.status).toBe(200);
    expect(ignored.headers.get('dropscope-ignored-params')).toBe('colour');
    const bad = await server.api('/api/v1/paths?by=colour');
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toContain('by');
    const p = await (await server.api('/api/v1/probes')).json();
    expect(p.onlineWithinMs).toBe(90_000);
    expect(p.probes.map((x: { name: string; state: string }) => `${x.name}:${x.state}`)).toEqual(['edge-ams-1:online', 'edge-fra-2:online', 'edge-lon-3:never-seen', 'old-probe:revoked']);
    expect((await server.api('/api/v1/probes?label=nope')).status).toBe(400);
  });
});

describe('on an empty database', () => {
  it('explains how to get data onto each page', async () => {
    const page = await context.newPage();
    await visit(page, `${empty.url}/paths`);
    expect(await page.locator('[data-testid="empty-state"]').innerText()).toContain('npm run dropscope -- probe add NAME');
    await shot(page, 'paths-empty');
    await visit(page, `${empty.url}/probes`);
    expect(await page.locator('[data-testid="empty-state"]').innerText()).toContain('Probes on edge hosts');
    await shot(page, 'probes-empty');
    await shot(page, 'probes-empty-dark', { dark: true });
    expect((await visit(page, `${empty.url}/paths/canary~direct`))?.status()).toBe(404);
    const m = await (await empty.api('/api/v1/paths')).json();
    expect(m.cells).toEqual([]);
    expect((await (await empty.api('/api/v1/probes')).json()).probes).toEqual([]);
  });
});
