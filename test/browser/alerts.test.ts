/**
 * /alerts in a real browser against the real built server: a rule created with the
 * keyboard through the form is listed; a bad value is shown next to its field; a webhook
 * endpoint added through the form shows its secret once; "Send test" shows a delivery.
 * Screenshots in light and dark go to test/artifacts/.
 *
 * Needs a build (`npm run build`) and Chromium at /usr/bin/chromium.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closePages, openPage, reloadPage, shot, visit, waitForChromium, waitForHydration } from '../helpers/browser';
import { startServer, type RunningServer } from '../helpers/server';
import { RECEIVER_ALLOW, startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';

let server: RunningServer;
let receiver: WebhookReceiver;

beforeAll(async () => {
  await waitForChromium();
  receiver = await startWebhookReceiver();
  // The receiver is on 127.0.0.1, which webhooks may not reach unless allowed.
  server = await startServer({ env: { DROPSCOPE_OUTBOUND_ALLOW: RECEIVER_ALLOW } });
}, 300_000);
afterAll(async () => {
  await server?.dispose();
  await receiver?.close();
});
afterEach(closePages);

describe('/alerts', () => {
  it('adds a webhook, sends a test, and creates a rule with the keyboard', async () => {
    const { page, errors } = await openPage({ signIn: server });
    await visit(page, `${server.url}/`);
    await page.click('nav >> text=Alerts');
    await page.waitForSelector('[data-testid="alerts-page"]');
    await waitForHydration(page);

    // A webhook endpoint, with a bad URL first: the error shows next to the field.
    const hookForm = page.getByRole('form', { name: 'New webhook endpoint' });
    await hookForm.getByLabel('name').fill('local receiver');
    await hookForm.getByLabel('URL').fill('not a url');
    await hookForm.getByRole('button', { name: 'Add endpoint' }).click();
    await expect(page.textContent('[data-testid="webhook-error-url"]')).resolves.toContain('http');
    await hookForm.getByLabel('URL').fill(`${receiver.url}/hook`);
    await hookForm.getByRole('button', { name: 'Add endpoint' }).click();
    const secret = await page.textContent('[data-testid="webhook-secret"]');
    expect(secret).toMatch(/^whsec_/);
    await page.waitForSelector('[data-testid="webhook-row"][data-webhook="local receiver"]');

    await page.getByRole('button', { name: 'Send test to local receiver' }).click();
    await page.waitForSelector('[data-testid="webhook-banner"]:has-text("delivered")');
    await page.waitForSelector('[data-testid="delivery-row"][data-status="delivered"][data-event="webhook.test"]');
    expect(receiver.received.map((r) => r.path)).toEqual(['/hook']);
    // After a reload the secret is gone for good.
    await reloadPage(page);
    await page.waitForSelector('[data-testid="webhook-row"]');
    expect(await page.content()).not.toContain(secret!);

    // A rule, typed and submitted from the keyboard; a bad threshold is named first.
    await page.getByRole('button', { name: 'New rule' }).click();
    const form = page.getByRole('form', { name: 'New alert rule' });
    await form.getByLabel('name').focus();
    await page.keyboard.type('direct path drops');
    await form.getByLabel('drops per minute above').fill('lots');
    await form.getByLabel('only proxy').fill('direct');
    await form.getByLabel('local receiver (standard)').check();
    await form.getByLabel('firing after it holds for').fill('1m');
    await form.getByLabel('only proxy').press('Enter');
    await expect(page.textContent('[data-testid="error-threshold"]')).resolves.toMatch(/number/i);
    await form.getByLabel('drops per minute above').fill('2');
    await form.getByLabel('drops per minute above').press('Enter');
    await page.waitForSelector('[data-testid="rule-row"][data-rule="direct path drops"][data-state="ok"]');
    const row = await page.textContent('[data-testid="rule-row"][data-rule="direct path drops"]');
    expect(row).toContain('more than 2 drops/min over 5m');
    expect(row).toContain('proxy=direct');
    expect(row).toContain('local receiver');

    await shot(page, 'alerts');
    await shot(page, 'alerts-dark', { dark: true });
    expect(errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
  });
});
