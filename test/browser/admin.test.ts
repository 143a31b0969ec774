/**
 * The admin pages in a real browser against the real built server: /admin links the three;
 * /admin/tokens creates a token shown once that then works as a bearer (and is refused once
 * revoked); /admin/users adds a person, changes their role, sets a password, shows the API's
 * refusals (a short password, the last admin) and removes them; /admin/audit shows every one
 * of those writes, newest first, with what changed, and pages back with "Older".
 *
 * Needs a build (`npm run build`) and Chromium at /usr/bin/chromium.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closePages, openPage, reloadPage, shot, visit, waitForChromium, waitForHydration } from '../helpers/browser';
import { signIn, startServer, type RunningServer } from '../helpers/server';

let server: RunningServer;

beforeAll(async () => {
  await waitForChromium();
  server = await startServer();
}, 300_000);
afterAll(async () => {
  await server?.dispose();
});
afterEach(closePages);

const openAdminPage = () => openPage({ signIn: server, acceptDialogs: true });

describe('the admin pages', () => {
  it('creates an API token shown once that works as a bearer, then revokes it', async () => {
    const { page, errors } = await openAdminPage();
    await visit(page, `${server.url}/`);
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Admin' }).click();
    await page.waitForSelector('[data-testid="admin-page"]');
    await waitForHydration(page);
    await page.getByRole('navigation', { name: 'Admin pages' }).getByRole('link', { name: 'API tokens' }).click();
    await page.waitForSelector('[data-testid="tokens-page"]');
    await waitForHydration(page);

    const form = page.getByRole('form', { name: 'Create a token' });
    // A bad expiry is named next to its field, by the API.
    await form.getByLabel('name').fill('prometheus');
    await form.getByLabel('expires in (days)').fill('0');
    await form.getByRole('button', { name: 'Create token' }).click();
    await expect(page.textContent('[data-testid="new-token-error-expiresInDays"]')).resolves.toMatch(/>=\s*1|too small/i);
    await form.getByLabel('never expires').check();
    await form.getByRole('button', { name: 'Create token' }).click();

    await page.getByTestId('shown-once').waitFor();
    const token = (await page.textContent('[data-testid="shown-secret"]'))!.trim();
    expect(token).toMatch(/^dsa_[0-9]+_[A-Za-z0-9_-]{43}$/);
    expect(await page.textContent('[data-testid="snippet-curl"]')).toContain(`Authorization: Bearer ${token}' ${server.url}/api/v1/overview`);
    const prom = (await page.textContent('[data-testid="snippet-prometheus"]'))!;
    expect(prom).toContain('credentials_file: /etc/prometheus/dropscope.token');
    expect(prom).toContain(`targets: ["127.0.0.1:${server.port}"]`);
    await page.waitForSelector('[data-testid="token-row"][data-token="prometheus"][data-state="active"]');
    expect(await page.textContent('[data-testid="token-row"][data-token="prometheus"]')).toContain('never');
    await shot(page, 'admin-tokens');

    // The token, as a script and Prometheus would send it.
    const bearer = { authorization: `Bearer ${token}` };
    const overview = await fetch(`${server.url}/api/v1/overview`, { headers: bearer });
    expect(overview.status).toBe(200);
    const metrics = await fetch(`${server.url}/metrics`, { headers: bearer });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('dropscope_ingest_batches_total');
    // A viewer token: it reads, it does not manage.
    expect((await fetch(`${server.url}/api/v1/tokens`, { headers: bearer })).status).toBe(403);

    // Gone after a reload.
    await reloadPage(page);
    await page.waitForSelector('[data-testid="token-row"][data-token="prometheus"]');
    expect(await page.content()).not.toContain(token);

    await page.getByRole('button', { name: 'Revoke token prometheus' }).click();
    await page.waitForSelector('[data-testid="token-row"][data-token="prometheus"][data-state="revoked"]');
    expect((await fetch(`${server.url}/api/v1/overview`, { headers: bearer })).status).toBe(401);
    expect(errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
  });

  it('adds a person, changes the role, sets a password, shows refusals, removes them', async () => {
    const { page, errors } = await openAdminPage();
    await visit(page, `${server.url}/admin/users`);
    await page.waitForSelector('[data-testid="user-row"][data-email="admin@dropscope.test"][data-role="admin"]');
    expect(await page.textContent('[data-testid="user-row"][data-email="admin@dropscope.test"]')).toContain('password');

    const form = page.getByRole('form', { name: 'Add a person' });
    await form.getByLabel('email').fill('ops@dropscope.test');
    await form.getByLabel('name').fill('Ops Person');
    await form.getByLabel('role').selectOption('viewer');
    await form.getByLabel(/password/).fill('short');
    await form.getByRole('button', { name: 'Add person' }).click();
    await expect(page.textContent('[data-testid="new-user-error-password"]')).resolves.toContain('at least 12 characters');
    await form.getByLabel(/password/).fill('ops-password-12');
    await form.getByRole('button', { name: 'Add person' }).click();
    await page.waitForSelector('[data-testid="user-row"][data-email="ops@dropscope.test"][data-role="viewer"]');
    // They can sign in with it.
    await signIn(server.url, { email: 'ops@dropscope.test', password: 'ops-password-12' });

    // The same email again: the API's 409 is shown next to the field.
    await form.getByLabel('email').fill('ops@dropscope.test');
    await form.getByLabel('name').fill('Twice');
    await form.getByLabel(/password/).fill('ops-password-12');
    await form.getByRole('button', { name: 'Add person' }).click();
    await expect(page.textContent('[data-testid="new-user-error-email"]')).resolves.toContain('already exists');

    // Role: viewer → editor.
    await page.getByLabel('Role of ops@dropscope.test').selectOption('editor');
    await page.getByRole('button', { name: 'Apply role editor to ops@dropscope.test' }).click();
    await page.waitForSelector('[data-testid="user-row"][data-email="ops@dropscope.test"][data-role="editor"]');

    // A new password: too short first, then one that signs in.
    await page.getByRole('button', { name: 'Set a new password for ops@dropscope.test' }).click();
    const pw = page.getByRole('form', { name: 'New password for ops@dropscope.test' });
    await pw.getByLabel(/new password/).fill('tiny');
    await pw.getByRole('button', { name: 'Save password' }).click();
    await expect(page.textContent('[data-testid="password-error"]')).resolves.toContain('at least 12 characters');
    await pw.getByLabel(/new password/).fill('another-password-34');
    await pw.getByRole('button', { name: 'Save password' }).click();
    await page.waitForSelector('[data-testid="users-banner"]:has-text("New password set")');
    await signIn(server.url, { email: 'ops@dropscope.test', password: 'another-password-34' });

    // The last admin can be neither demoted nor removed: the API says so, the page shows it.
    await page.getByLabel('Role of admin@dropscope.test').selectOption('viewer');
    await page.getByRole('button', { name: 'Apply role viewer to admin@dropscope.test' }).click();
    const refusal = page.locator('[data-testid="users-banner"][role="alert"]');
    await expect(refusal.textContent()).resolves.toBe('admin@dropscope.test: role not changed: role: the last admin cannot be demoted or removed: make someone else admin first');
    await page.getByRole('button', { name: 'Remove admin@dropscope.test' }).click();
    await page.waitForSelector('[data-testid="users-banner"][role="alert"]:has-text("admin@dropscope.test not removed: the last admin")');
    await page.waitForSelector('[data-testid="user-row"][data-email="admin@dropscope.test"][data-role="admin"]');

    await page.getByRole('button', { name: 'Remove ops@dropscope.test' }).click();
    await page.waitForSelector('[data-testid="user-row"][data-email="ops@dropscope.test"]', { state: 'detached' });
    await expect(signIn(server.url, { email: 'ops@dropscope.test', password: 'another-password-34' })).rejects.toThrow(/sign-in/);
    await shot(page, 'admin-users');
    expect(errors.filter((e) => !/status of (400|409)/.test(e))).toEqual([]);
  });

  it('shows the audit log newest first, with what changed, and pages back', async () => {
    const { page, errors } = await openAdminPage();
    await visit(page, `${server.url}/admin/audit`);
    await page.waitForSelector('[data-testid="audit-table"]');
    const actions = await page.locator('[data-testid="audit-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')));
    // The writes of the tests above, newest first.
    expect(actions).toEqual(['user.delete', 'user.password', 'user.update', 'user.create', 'token.revoke', 'token.create']);
    const ids = await page.locator('[data-testid="audit-row"]').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-id'))));
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);

    const roleChange = page.locator('[data-testid="audit-row"][data-action="user.update"]');
    expect(await roleChange.textContent()).toContain('admin@dropscope.test');
    const diff = await roleChange.locator('[data-testid="audit-diff"]').textContent();
    expect(diff).toContain('role');
    expect(diff).toContain('viewer');
    expect(diff).toContain('editor');
    // Only what changed, with the whole record as JSON a click away.
    expect(diff).not.toContain('email');
    await roleChange.locator('summary', { hasText: 'JSON' }).click();
    await expect(roleChange.locator('pre').textContent()).resolves.toContain('"email": "ops@dropscope.test"');
    expect(await page.content()).not.toMatch(/dsa_[0-9]+_[A-Za-z0-9_-]{43}/);
    await shot(page, 'admin-audit');

    // Two at a time, "Older" pages back by id and ends.
    await visit(page, `${server.url}/admin/audit?limit=2`);
    const pageOf = async () => page.locator('[data-testid="audit-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')));
    expect(await pageOf()).toEqual(['user.delete', 'user.password']);
    await page.getByRole('link', { name: 'Older' }).click();
    await page.waitForURL(/before=/);
    await waitForHydration(page);
    expect(await pageOf()).toEqual(['user.update', 'user.create']);
    await page.getByRole('link', { name: 'Older' }).click();
    // Paged by the id of the oldest entry shown.
    await page.waitForURL((u) => u.searchParams.get('before') === String(ids[3]));
    await waitForHydration(page);
    expect(await pageOf()).toEqual(['token.revoke', 'token.create']);
    await page.getByRole('link', { name: 'Older' }).click();
    await page.waitForSelector('text=No older entries.');
    await waitForHydration(page);
    await page.getByRole('link', { name: 'Newest' }).click();
    await page.waitForSelector('[data-testid="audit-row"][data-action="user.delete"]');
    expect(errors).toEqual([]);
  });
});
