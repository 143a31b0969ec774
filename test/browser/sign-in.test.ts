/**
 * Signing in, in a real browser against the real built server: with a password (a page
 * asked for while signed out comes back after sign-in; signing out ends the session), and
 * with single sign-on through a real OpenID provider the test runs itself, whose groups
 * claim decides the role (and a person with no mapped group is refused).
 *
 * Needs a build (`npm run build`) and Chromium at /usr/bin/chromium.
 */
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closePages, openPage, visit, waitForChromium, waitForHydration } from '../helpers/browser';
import { startOidcProvider, type TestProvider } from '../helpers/oidc-provider';
import { freePort } from '../helpers/ports';
import { opened } from '../helpers/events';
import { addProbeToken, startServer, TEST_ADMIN, type RunningServer } from '../helpers/server';

let server: RunningServer;
let provider: TestProvider;
let pageErrors: string[] = [];


beforeAll(async () => {
  await waitForChromium();
  const port = await freePort();
  provider = await startOidcProvider({
    redirectUri: `http://127.0.0.1:${port}/api/auth/callback/oidc`,
    groups: { alice: ['sre-admins'], bob: ['sre'] },
  });
  server = await startServer({
    env: {
      PORT: String(port),
      DROPSCOPE_OIDC_ISSUER: provider.issuer,
      DROPSCOPE_OIDC_CLIENT_ID: provider.clientId,
      DROPSCOPE_OIDC_CLIENT_SECRET: provider.clientSecret,
      DROPSCOPE_OIDC_NAME: 'Test SSO',
      DROPSCOPE_OIDC_ROLE_MAP: 'sre-admins=admin,sre=editor',
    },
  });
}, 300_000);
afterAll(async () => {
  await server?.dispose();
  await provider?.close();
});
afterEach(async () => {
  // Only our pages' errors: the provider's development pages ask for web fonts and a favicon.
  expect(pageErrors.filter((e) => !/status of 40[13]/.test(e) && e.includes(server.url))).toEqual([]);
  await closePages();
});

/** A page in a browser of its own, signed out. */
async function openSignedOut(): Promise<Page> {
  const { page, errors } = await openPage();
  pageErrors = errors;
  return page;
}

async function signInWithProvider(page: Page, login: string) {
  await visit(page, `${server.url}/drops`);
  await page.waitForURL(/\/sign-in\?next=%2Fdrops/);
  await waitForHydration(page);
  await page.getByRole('button', { name: 'Sign in with Test SSO' }).click();
  // The provider's own (development) login and consent pages.
  await page.waitForURL((u) => u.origin === provider.issuer);
  await page.fill('input[name="login"]', login);
  await page.fill('input[name="password"]', 'anything');
  await page.click('button[type="submit"]');
  // Then the provider's consent page, or straight back to the server. Waited for: isVisible()
  // does not wait (its timeout is ignored), and the consent page may not be there yet.
  const consent = page.locator('button:has-text("Continue")');
  const serverOrigin = new URL(server.url).origin;
  const next = await Promise.race([
    consent.waitFor({ state: 'visible' }).then(() => 'consent' as const),
    page.waitForURL((u) => u.origin === serverOrigin).then(() => 'back' as const),
  ]);
  if (next === 'consent') await consent.click();
}

describe('sign-in', () => {
  it('signs in with a password, returns to the page asked for, and signs out', async () => {
    const page = await openSignedOut();
    await visit(page, `${server.url}/drops?range=24h`);
    await page.waitForURL(/\/sign-in\?next=/);
    await waitForHydration(page);
    await page.getByLabel('Email').fill(TEST_ADMIN.email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByText('Wrong email or password.').waitFor();
    await page.getByLabel('Password').fill(TEST_ADMIN.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${server.url}/drops?range=24h`);
    await waitForHydration(page);
    await expect(page.locator('nav >> text=Admin').count()).resolves.toBe(1);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in/);
    // The session is gone on the server too: the API refuses the old page's requests.
    const status = await page.evaluate(async () => (await fetch('/api/v1/overview')).status);
    expect(status).toBe(401);
  });

  it('sends a live page to the sign-in page once its session is gone', async () => {
    const who = { email: 'leaving@example.test', password: 'leaving-password-long' };
    const made = await server.api('/api/v1/users', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...who, name: 'Leaving', role: 'viewer' }) });
    const { id } = (await made.json()) as { id: string };
    const page = await openSignedOut();
    await visit(page, `${server.url}/sign-in?next=%2Fdrops`);
    await page.getByLabel('Email').fill(who.email);
    await page.getByLabel('Password').fill(who.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${server.url}/drops`);
    // The page's own script is running when its session goes.
    await waitForHydration(page);
    expect((await server.api(`/api/v1/users/${id}`, { method: 'DELETE' })).status).toBe(204);
    // A batch makes every live page refresh: this one's refresh is refused, and it goes to sign in.
    const token = addProbeToken('edge-sign-in', { DROPSCOPE_DATA_DIR: server.dataDir });
    const ingest = await fetch(`${server.url}/api/v1/ingest`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events: [opened('s-signin-001', {}, new Date(Date.now() - 1000))] }),
    });
    expect(ingest.status).toBe(200);
    await page.waitForURL(/\/sign-in\?next=%2Fdrops/, { timeout: 30_000 });
  });

  it('signs in through the OpenID provider with the role its groups map to', async () => {
    const page = await openSignedOut();
    await signInWithProvider(page, 'alice');
    await page.waitForURL(`${server.url}/drops`);
    const me = await page.evaluate(async () => (await fetch('/api/v1/me')).json());
    expect(me).toMatchObject({ kind: 'user', email: 'alice@sso.example.test', role: 'admin' });
    await expect(page.locator('nav >> text=Admin').count()).resolves.toBe(1);
  });

  it('gives the editor role from another group', async () => {
    const page = await openSignedOut();
    await signInWithProvider(page, 'bob');
    await page.waitForURL(`${server.url}/drops`);
    const me = await page.evaluate(async () => (await fetch('/api/v1/me')).json());
    expect(me).toMatchObject({ email: 'bob@sso.example.test', role: 'editor' });
    await expect(page.locator('nav >> text=Admin').count()).resolves.toBe(0);
  });

  it('refuses a person whose groups map to no role', async () => {
    const page = await openSignedOut();
    await signInWithProvider(page, 'mallory');
    await page.waitForURL(/\/sign-in\?error=/);
    await page.getByText('Single sign-on did not complete').waitFor();
    const status = await page.evaluate(async () => (await fetch('/api/v1/overview')).status);
    expect(status).toBe(401);
  });
});
