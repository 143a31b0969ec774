/**
 * How the browser tests start Debian's Chromium through playwright-core: headless, no
 * sandbox (root), and none of the background networking this closed machine refuses.
 * (`npx playwright install` cannot work here; --user-data-dir comes from
 * launchPersistentContext, which refuses it in args.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type LaunchOptions, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Options for chromium.launchPersistentContext: a 1280×900 light page unless told. */
export function chromiumOptions(over: { width?: number; colorScheme?: 'light' | 'dark' } = {}) {
  return {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: over.width ?? 1280, height: 900 },
    colorScheme: over.colorScheme ?? ('light' as const),
    args: CHROMIUM_ARGS,
  } satisfies LaunchOptions & Record<string, unknown>;
}

/** Chromium may still be installing when a suite starts; give apt a few minutes. */
export async function waitForChromium(timeoutMs = 240_000): Promise<void> {
  const { existsSync } = await import('node:fs');
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(CHROMIUM)) {
    if (Date.now() > deadline) throw new Error(`${CHROMIUM} did not appear within ${timeoutMs / 1000} s: install the chromium package`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

/** Chromium on a profile directory of its own; `close()` ends it and removes the profile. */
export async function launchBrowser(over: Parameters<typeof chromiumOptions>[0] = {}): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profileDir = mkdtempSync(path.join(tmpdir(), 'dropscope-chromium-'));
  const context = await chromium.launchPersistentContext(profileDir, chromiumOptions(over));
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profileDir, { recursive: true, force: true });
    },
  };
}

/**
 * Collect `page`'s console errors and uncaught exceptions (hydration mismatches land here)
 * into the array returned, and give its waits a timeout shorter than a test's, so a failure
 * names the selector it was waiting for.
 */
export function watchPage(page: Page): string[] {
  const errors: string[] = [];
  page.setDefaultTimeout(15_000);
  page.on('console', (m) => {
    // With the URL: "Failed to load resource: ... 404" says nothing of which resource.
    if (m.type() === 'error') errors.push(m.location().url ? `${m.text()} (${m.location().url})` : m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

/** Give `context` the test admin's session on `server` (as signing in on the page would). */
export async function signInContext(context: BrowserContext, server: { url: string; adminCookie(): Promise<string> }): Promise<void> {
  const [name, ...rest] = (await server.adminCookie()).split('=');
  await context.addCookies([{ name: name!, value: rest.join('='), url: server.url, httpOnly: true, sameSite: 'Lax' }]);
}
