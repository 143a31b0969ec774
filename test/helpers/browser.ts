/**
 * How the browser tests start Debian's Chromium through playwright-core: headless, no
 * sandbox (root), and none of the background networking this closed machine refuses.
 * (`npx playwright install` cannot work here; --user-data-dir comes from
 * launchPersistentContext, which refuses it in args.)
 */
import type { LaunchOptions } from 'playwright-core';

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
