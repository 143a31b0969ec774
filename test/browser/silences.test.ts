/**
 * Silences on /alerts in a real browser against the real built server (issue 19): a
 * silence made through the form ("New silence": a matcher, a duration, a comment) holds a
 * drop-rate alert that then fires: the alert row and its history show "silenced", and the
 * receiver gets nothing. "End now" ends it; the firing is then delivered, once, and its
 * history row says "sent to 1 receiver". A bad
 * custom duration is named beside its field. Screenshots in light and dark go to
 * test/artifacts/.
 *
 * Needs a build (`npm run build`) and Chromium at /usr/bin/chromium.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ended, opened, path as canaryPath } from '../helpers/events';
import { closePages, openPage, reloadPage, shot, visit, waitForChromium } from '../helpers/browser';
import { addProbeToken, startServer, type RunningServer } from '../helpers/server';
import { RECEIVER_ALLOW, startWebhookReceiver, waitFor, type WebhookReceiver } from '../helpers/webhook-receiver';

let server: RunningServer;
let receiver: WebhookReceiver;
let probeToken: string;

beforeAll(async () => {
  await waitForChromium();
  receiver = await startWebhookReceiver();
  server = await startServer({
    env: {
      // The receiver is on 127.0.0.1, which webhooks may not reach unless allowed.
      DROPSCOPE_OUTBOUND_ALLOW: RECEIVER_ALLOW,
      DROPSCOPE_ALERT_INTERVAL_MS: '250',
      DROPSCOPE_WEBHOOK_POLL_MS: '100',
    },
  });
  probeToken = addProbeToken('edge-silence', { DROPSCOPE_DATA_DIR: server.dataDir });
}, 300_000);
afterAll(async () => {
  await server?.dispose();
  await receiver?.close();
});
afterEach(closePages);

const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const firings = () => receiver.received.filter((r) => (JSON.parse(r.body) as { type: string }).type === 'alert.firing');

describe('/alerts silences', () => {
  it('creates a silence that holds a firing alert, shows it silenced, and ends it so the firing is sent', async () => {
    const hook = await server.api('/api/v1/webhooks', json({ name: 'local receiver', url: `${receiver.url}/hook` }));
    expect(hook.status, await hook.clone().text()).toBe(201);
    const webhookId = ((await hook.json()) as { id: number }).id;

    const { page, errors } = await openPage({ signIn: server, acceptDialogs: true });
    await visit(page, `${server.url}/alerts`);
    await page.waitForSelector('[data-testid="silences-panel"]');

    // A bad custom duration first: named beside the field, nothing created.
    await page.getByRole('button', { name: 'New silence' }).click();
    const form = page.getByRole('form', { name: 'New silence' });
    await form.getByLabel('matcher 1 key').selectOption('proxy');
    await form.getByLabel('matcher 1 value').fill('squid');
    await form.getByLabel('silence for').selectOption('custom');
    await form.getByLabel('duration (e.g. 90m, 1h30m, 2d)').fill('a while');
    await form.getByRole('button', { name: 'Create silence' }).click();
    await expect(page.textContent('[data-testid="silence-error-duration"]')).resolves.toContain('duration');
    expect(await page.locator('[data-testid="silence-row"]').count()).toBe(0);

    await form.getByLabel('duration (e.g. 90m, 1h30m, 2d)').fill('1h30m');
    await form.getByLabel('comment (why, and who to ask)').fill('squid upgrade');
    await form.getByRole('button', { name: 'Create silence' }).click();
    await page.waitForSelector('[data-testid="silence-row"][data-state="active"]');
    const row = await page.textContent('[data-testid="silence-row"]');
    expect(row).toContain('proxy=squid');
    expect(row).toContain('squid upgrade');
    expect(row).toContain('admin@dropscope.test');
    const silenceId = Number(await page.getAttribute('[data-testid="silence-row"]', 'data-id'));

    // A rule that fires at the first drop through squid, then a drop.
    const rule = await server.api('/api/v1/alert-rules', json({ name: 'squid drops', kind: 'drop_rate', severity: 'critical', window: '5m', threshold: 0, groupBy: ['proxy'], webhooks: [webhookId] }));
    expect(rule.status, await rule.clone().text()).toBe(201);
    const at = new Date(Date.now() - 10_000);
    const p = canaryPath({ proxy: 'squid', kind: 'http' });
    const ingest = await fetch(`${server.url}/api/v1/ingest`, {
      method: 'POST',
      headers: { authorization: `Bearer ${probeToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events: [opened('s-silence-1', { path: p }, at), ended('s-silence-1', 5000, { path: p }, at)] }),
    });
    expect(ingest.status).toBe(200);

    // Firing, silenced, and nobody told.
    await waitFor('the alert firing', async () => {
      const body = (await (await server.api('/api/v1/alerts')).json()) as { alerts: { status: string; silencedBy: number | null }[] };
      return body.alerts.some((a) => a.status === 'firing' && a.silencedBy === silenceId);
    });
    await reloadPage(page);
    await page.waitForSelector(`[data-testid="alert-row"][data-status="firing"][data-silenced="${silenceId}"]`);
    expect(await page.textContent('[data-testid="alert-row"] [data-testid="silenced-badge"]')).toContain(`silenced #${silenceId}`);
    await page.waitForSelector(`[data-testid="history-row"][data-silenced="${silenceId}"]`);
    // The rule's row says it too, not only "firing".
    expect(await page.textContent('[data-testid="rule-row"] [data-testid="rule-alert-counts"]')).toContain('1 silenced');
    // Several evaluations and delivery polls have passed since the firing: still nothing sent.
    await new Promise((r) => setTimeout(r, 1000));
    expect(firings()).toEqual([]);
    await shot(page, 'alerts-silenced');
    await shot(page, 'alerts-silenced-dark', { dark: true });

    // End now: the silence shows ended, and the firing is delivered at the next evaluation, once.
    await page.getByRole('button', { name: `End silence ${silenceId} now` }).click();
    await page.waitForSelector(`[data-testid="silence-row"][data-id="${silenceId}"][data-state="ended"]`);
    expect(await page.textContent(`[data-testid="silence-row"][data-id="${silenceId}"]`)).toContain('ended by admin@dropscope.test');
    await waitFor('the firing delivered after the silence', () => firings().length === 1);
    expect(JSON.parse(firings()[0]!.body)).toMatchObject({ type: 'alert.firing', data: { rule: { name: 'squid drops' }, labels: { proxy: 'squid' } } });
    await new Promise((r) => setTimeout(r, 1000));
    expect(firings()).toHaveLength(1);

    // The history says the held firing went out in the end.
    await waitFor('the firing recorded as delivered', async () => {
      const body = (await (await server.api('/api/v1/alerts')).json()) as { history: { to: string; delivery: { delivered: number } }[] };
      return body.history.some((t) => t.to === 'firing' && t.delivery.delivered === 1);
    });
    // A firing alert no silence holds offers "Silence…": the form opens with the rows that match it.
    // (The page shows the state of its last render: the evaluation that sent the firing came after.)
    await reloadPage(page);
    const heldFiring = `[data-testid="history-row"][data-silenced="${silenceId}"][data-delivery="sent"]`;
    await page.waitForSelector(heldFiring);
    expect(await page.textContent(`${heldFiring} [data-testid="history-delivery"]`)).toBe('sent to 1 receiver');
    await page.waitForSelector('[data-testid="alert-row"][data-status="firing"]:not([data-silenced])');
    await page.locator('[data-testid="alert-row"]').getByRole('button', { name: /^Silence / }).first().click();
    const prefilled = page.getByRole('form', { name: 'New silence' });
    await expect(prefilled.getByLabel('matcher 1 key').inputValue()).resolves.toBe('rule');
    await expect(prefilled.getByLabel('matcher 1 value').inputValue()).resolves.toMatch(/^squid drops/);
    await expect(prefilled.getByLabel('matcher 2 key').inputValue()).resolves.toBe('proxy');
    await expect(prefilled.getByLabel('matcher 2 value').inputValue()).resolves.toBe('squid');
    await shot(page, 'alerts-silence-form');
    await prefilled.getByRole('button', { name: 'Cancel' }).click();
    expect(await page.getByRole('form', { name: 'New silence' }).count()).toBe(0);

    // Filters: the ended silence is under "expired", not "active".
    await page.click('[data-filter="active"]');
    expect(await page.locator('[data-testid="silence-row"]').count()).toBe(0);
    await page.click('[data-filter="expired"]');
    await page.waitForSelector(`[data-testid="silence-row"][data-id="${silenceId}"]`);
    expect(errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
  });
});
