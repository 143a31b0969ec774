/**
 * How the browser tests start Debian's Chromium through playwright-core: headless, no
 * sandbox (root), and none of the background networking this closed machine refuses.
 * (`npx playwright install` cannot work here; --user-data-dir comes from
 * launchPersistentContext, which refuses it in args.)
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type LaunchOptions, type Page, type Response } from 'playwright-core';

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

/** How a browser is launched: its viewport width and colour scheme (see chromiumOptions), and its time zone. */
export interface BrowserOptions {
  width?: number;
  colorScheme?: 'light' | 'dark';
  /** An IANA zone such as `Asia/Tokyo`; the machine's when not given. */
  timezoneId?: string;
}

/** Chromium on a profile directory of its own; `close()` ends it and removes the profile. */
export async function launchBrowser(over: BrowserOptions = {}): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profileDir = mkdtempSync(path.join(tmpdir(), 'dropscope-chromium-'));
  const context = await chromium.launchPersistentContext(profileDir, { ...chromiumOptions(over), ...(over.timezoneId && { timezoneId: over.timezoneId }) });
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

/**
 * Who a browser is signed in as on a server: its test admin (a RunningServer), or the
 * session `cookie` (`name=value`, as test/helpers/server.ts signIn returns it) at `url`.
 */
export type Session = { url: string; adminCookie(): Promise<string> } | { url: string; cookie: string };

/** Give `context` that session (as signing in on the page would). */
export async function signInContext(context: BrowserContext, session: Session): Promise<void> {
  const cookie = 'cookie' in session ? session.cookie : await session.adminCookie();
  const [name, ...rest] = cookie.split('=');
  await context.addCookies([{ name: name!, value: rest.join('='), url: session.url, httpOnly: true, sameSite: 'Lax' }]);
}

/**
 * Wait until the page's JavaScript has taken over its HTML (`<html data-hydrated>`, set by
 * components/forms/hydration.tsx): before that, clicks and keys reach no handler.
 */
export async function waitForHydration(page: Page): Promise<void> {
  await page.waitForSelector('html[data-hydrated]', { state: 'attached' });
}

/**
 * `page.goto(url)`, then wait for the new document to hydrate: the way every test loads a
 * page it will click or type in. A document that is not HTML (an API's JSON) has no script
 * and is not waited for.
 */
export async function visit(page: Page, url: string, options?: Parameters<Page['goto']>[1]): Promise<Response | null> {
  const response = await page.goto(url, options);
  if (response && !(response.headers()['content-type'] ?? '').includes('text/html')) return response;
  await waitForHydration(page);
  return response;
}

/** `page.reload()`, then wait for the new document to hydrate. */
export async function reloadPage(page: Page): Promise<void> {
  await page.reload();
  await waitForHydration(page);
}

/** A browser launched with `BrowserOptions`, signed in when `signIn` says as whom. */
export async function openBrowser(options: BrowserOptions & { signIn?: Session } = {}): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const { signIn, ...launch } = options;
  const browser = await launchBrowser(launch);
  try {
    if (signIn) await signInContext(browser.context, signIn);
  } catch (e) {
    await browser.close();
    throw e;
  }
  return browser;
}

export interface OpenPageOptions extends BrowserOptions {
  /** Sign the browser in first (see Session); signed out when not given. */
  signIn?: Session;
  /** Accept every confirm() the page asks (the dashboard confirms rotations and removals). */
  acceptDialogs?: boolean;
}

/** A page in a browser of its own: `errors` collects its console errors (watchPage). */
export interface OpenedPage {
  page: Page;
  errors: string[];
  context: BrowserContext;
  /** End the browser (closePages does it for every page still open). */
  close(): Promise<void>;
}

const openedPages = new Set<OpenedPage>();

/**
 * Launch a browser (openBrowser) and give its first page, watched (watchPage). Nothing is
 * loaded yet: `visit` it. Close it with `close()`, or every one at once with closePages
 * (`afterEach(closePages)`).
 */
export async function openPage(options: OpenPageOptions = {}): Promise<OpenedPage> {
  const { acceptDialogs, ...open } = options;
  const browser = await openBrowser(open);
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  const errors = watchPage(page);
  if (acceptDialogs) page.on('dialog', (d) => void d.accept());
  const opened: OpenedPage = {
    page,
    errors,
    context: browser.context,
    close: async () => {
      if (openedPages.delete(opened)) await browser.close();
    },
  };
  openedPages.add(opened);
  return opened;
}

/** Close every page openPage opened that is still open. */
export async function closePages(): Promise<void> {
  for (const opened of [...openedPages]) await opened.close();
}

/** Where screenshots go, for a person to look at: test/artifacts. */
export const ARTIFACTS = path.resolve(__dirname, '../artifacts');

/**
 * Screenshot the whole of `page` to test/artifacts/`name`.png; with `dark` or `width`, in
 * that colour scheme or at that width (900 px high), after which the page is put back as it was.
 */
export async function shot(page: Page, name: string, options: { dark?: boolean; width?: number } = {}): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const viewport = page.viewportSize();
  const wasDark = options.dark === undefined ? undefined : await page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches);
  if (options.width !== undefined) await page.setViewportSize({ width: options.width, height: 900 });
  if (options.dark !== undefined) await page.emulateMedia({ colorScheme: options.dark ? 'dark' : 'light' });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  if (wasDark !== undefined && wasDark !== options.dark) await page.emulateMedia({ colorScheme: wasDark ? 'dark' : 'light' });
  if (options.width !== undefined && viewport) await page.setViewportSize(viewport);
}
