/**
 * Forms before their page's JavaScript has run, in a real browser against the real built
 * server. The test holds back every script of the page until it lets them go, which is what
 * a slow link or a busy machine does by chance: a form typed into and submitted before
 * hydration must neither put what was typed into the URL (the sign-in password would land
 * in the address bar, the history and access logs) nor act on half of it (a webhook created
 * from a name React never saw). Every form is inert until hydrated, then works as usual.
 *
 * Needs a build (`npm run build`) and Chromium at /usr/bin/chromium.
 */
import type { BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closePages, openPage, waitForChromium, waitForHydration } from '../helpers/browser';
import { startServer, TEST_ADMIN, type RunningServer } from '../helpers/server';

let server: RunningServer;

beforeAll(async () => {
  await waitForChromium();
  server = await startServer();
}, 300_000);
afterAll(() => server?.dispose());
afterEach(closePages);

/** Hold every script of the app until `release()`; every request the page makes is kept. */
async function holdScripts(context: BrowserContext): Promise<{ release(): void; requests: Request[] }> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  await context.route('**/_next/static/**/*.js', async (route) => {
    await released;
    await route.continue();
  });
  const requests: Request[] = [];
  context.on('request', (r) => requests.push(r));
  return { release, requests };
}

/** A page whose scripts are held (holdScripts), signed in or not. */
async function openHeldPage(signedIn: boolean): Promise<{ page: Page; release(): void; requests: Request[]; errors: string[] }> {
  const { page, errors, context } = await openPage(signedIn ? { signIn: server } : {});
  return { page, errors, ...(await holdScripts(context)) };
}

describe('forms before hydration', () => {
  it('sign-in: nothing typed reaches a URL, and it signs in once hydrated', async () => {
    const { page, release, requests, errors } = await openHeldPage(false);
    await page.goto(`${server.url}/sign-in`, { waitUntil: 'domcontentloaded' });
    const email = page.getByLabel('Email');
    const password = page.getByLabel('Password');
    const submit = page.getByRole('button', { name: 'Sign in', exact: true });
    // The server's HTML is up, its scripts are not: the form cannot be used yet.
    await expect(email.isDisabled()).resolves.toBe(true);
    await expect(password.isDisabled()).resolves.toBe(true);
    await expect(submit.isDisabled()).resolves.toBe(true);
    release();
    await waitForHydration(page);
    await email.fill(TEST_ADMIN.email);
    await password.fill(TEST_ADMIN.password);
    await submit.click();
    await page.waitForURL(`${server.url}/`);
    for (const r of requests) expect(r.url(), `${r.method()} ${r.url()}`).not.toContain(encodeURIComponent(TEST_ADMIN.password));
    expect(errors).toEqual([]);
  });

  it('a webhook form typed into before hydration is not sent half-read', async () => {
    const { page, release, errors } = await openHeldPage(true);
    await page.goto(`${server.url}/alerts`, { waitUntil: 'domcontentloaded' });
    const hookForm = page.getByRole('form', { name: 'New webhook endpoint' });
    await expect(hookForm.getByLabel('name').isDisabled()).resolves.toBe(true);
    await expect(hookForm.getByRole('button', { name: 'Add endpoint' }).isDisabled()).resolves.toBe(true);
    release();
    // fill() waits until the field can be typed into, i.e. until the page is hydrated.
    await hookForm.getByLabel('name').fill('early receiver');
    await hookForm.getByLabel('URL').fill('https://hooks.example.com/dropscope');
    await hookForm.getByRole('button', { name: 'Add endpoint' }).click();
    await expect(page.textContent('[data-testid="webhook-secret"]')).resolves.toMatch(/^whsec_/);
    await page.waitForSelector('[data-testid="webhook-row"][data-webhook="early receiver"]');
    expect(errors).toEqual([]);
  });
});
