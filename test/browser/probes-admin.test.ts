/**
 * /probes for admins in a real browser against the real built server: an admin adds a
 * probe through the form, reads its token and agent config shown once, and the real built
 * agent (dist/dropscope-agent.js) runs with that very config against the server's own
 * canary target until the page shows the probe online and its sessions are stored. Then
 * labels are edited, the token rotated (the running agent's old token is refused) and the
 * probe revoked, each through the page. A viewer sees today's page, without a control, and
 * is refused by the API.
 *
 * Needs a build (`npm run build`) and Chromium at /usr/bin/chromium.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { closePages, openPage, reloadPage, shot, visit, waitForChromium } from '../helpers/browser';
import { startAgent, until, type AgentProcess } from '../helpers/agent';
import { signIn, startServer, stopChild, type RunningServer } from '../helpers/server';

let server: RunningServer;
let agent: AgentProcess | undefined;
const dir = mkdtempSync(path.join(tmpdir(), 'dropscope-probes-admin-'));

beforeAll(async () => {
  await waitForChromium();
  server = await startServer();
}, 300_000);
afterAll(async () => {
  if (agent) await stopChild(agent);
  await server?.dispose();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(closePages);

describe('/probes for an admin', () => {
  it('adds a probe whose token and config a real agent runs with, then edits, rotates and revokes it', { timeout: 180_000 }, async () => {
    const { page, errors } = await openPage({ signIn: server, acceptDialogs: true });
    await visit(page, `${server.url}/probes`);
    await page.waitForSelector('[data-testid="probes"]');

    // A bad label name first: the API's message shows next to the field.
    await page.getByRole('button', { name: 'Add probe' }).click();
    const form = page.getByRole('form', { name: 'Add probe' });
    await form.getByLabel('name').fill('edge-ui-1');
    await form.getByLabel('labels').fill('region=eu, 9lives=x');
    await form.getByRole('button', { name: 'Add and show its token' }).click();
    await expect(page.textContent('[data-testid="add-probe-error-labels"]')).resolves.toContain('9lives: expected a label name');
    await form.getByLabel('labels').fill('region=eu, provider=lab');
    await form.getByRole('button', { name: 'Add and show its token' }).click();

    // The token, once, with the agent's config.
    const shown = page.getByTestId('shown-once');
    await shown.waitFor();
    expect(await shown.evaluate((el) => el === document.activeElement)).toBe(true);
    const token = (await page.textContent('[data-testid="shown-secret"]'))!.trim();
    expect(token).toMatch(/^dsp_[0-9]+_[A-Za-z0-9_-]{43}$/);
    expect(await page.textContent('[data-testid="snippet-env"]')).toBe(`DROPSCOPE_TOKEN=${token}\n`);
    const yamlText = (await page.textContent('[data-testid="snippet-config"]'))!;
    expect(yamlText).not.toContain(token);
    await page.waitForSelector('[data-testid="probe-row"][data-probe="edge-ui-1"][data-state="never-seen"]');
    expect(await page.textContent('[data-testid="probe-row"][data-probe="edge-ui-1"]')).toContain('provider=lab');
    await shot(page, 'probes-admin-token');

    // The config as shown, with a spool of its own and quick beats for the test.
    const config = parse(yamlText) as { backend: { url: string; token: string }; targets: { url: string }[]; probe: Record<string, unknown> };
    expect(config.backend).toEqual({ url: server.url, token: '${DROPSCOPE_TOKEN}' });
    expect(config.targets[0]!.url).toBe(`ws://127.0.0.1:${server.port}/canary`);
    config.probe = { spoolDir: path.join(dir, 'spool'), heartbeat: '1s' };
    const configFile = path.join(dir, 'probe.yaml');
    writeFileSync(configFile, stringify(config));
    agent = startAgent(configFile, { DROPSCOPE_TOKEN: token });

    // The page shows it online (its first batch pushes a refresh), and its sessions are stored.
    await page.waitForSelector('[data-testid="probe-row"][data-probe="edge-ui-1"][data-state="online"]', { timeout: 60_000 });
    const sessions = await until('the agent\'s sessions', async () => {
      const res = await server.api('/api/v1/sessions?probe=edge-ui-1&limit=100');
      const body = (await res.json()) as { sessions: { targetName: string; proxyName: string; outcome: string | null }[] };
      return body.sessions.some((s) => s.outcome === 'opened') && body.sessions;
    });
    expect(sessions.every((s) => s.targetName === 'builtin' && s.proxyName === 'direct')).toBe(true);
    expect(agent.out()).not.toContain(token);

    // Once read, the token is gone: "Done" removes it, and a reload never brings it back.
    await page.getByRole('button', { name: 'Done, I stored it' }).click();
    expect(await page.content()).not.toContain(token);
    await reloadPage(page);
    await page.waitForSelector('[data-testid="probe-row"][data-probe="edge-ui-1"]');
    expect(await page.content()).not.toContain(token);

    // Labels, edited in the row.
    await page.getByRole('button', { name: 'Edit labels of edge-ui-1' }).click();
    const labels = page.getByRole('form', { name: 'Labels of edge-ui-1' });
    await labels.getByLabel(/labels/).fill('region=us');
    await labels.getByRole('button', { name: 'Save' }).click();
    await page.waitForFunction(() => document.querySelector('[data-testid="probe-row"][data-probe="edge-ui-1"]')?.textContent?.includes('region=us'));
    expect(await page.textContent('[data-testid="probe-row"][data-probe="edge-ui-1"]')).not.toContain('provider=lab');

    // Rotate (confirmed): a new token shown once; the agent's is refused from now on.
    await page.getByRole('button', { name: 'Rotate token of edge-ui-1' }).click();
    await page.getByTestId('shown-once').waitFor();
    const rotated = (await page.textContent('[data-testid="shown-secret"]'))!.trim();
    expect(rotated).toMatch(/^dsp_[0-9]+_[A-Za-z0-9_-]{43}$/);
    expect(rotated).not.toBe(token);
    const refused = await fetch(`${server.url}/api/v1/ingest`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"events":[]}' });
    expect(refused.status).toBe(401);
    await until('the agent to be refused', async () => /401|unauthori[sz]ed|revoked/i.test(agent!.out()), 30_000);
    await stopChild(agent);
    agent = undefined;

    // Revoke (confirmed): the row says revoked and offers a new token instead.
    await page.getByRole('button', { name: 'Done, I stored it' }).click();
    await page.getByRole('button', { name: 'Revoke edge-ui-1' }).click();
    await page.waitForSelector('[data-testid="probe-row"][data-probe="edge-ui-1"][data-state="revoked"]');
    await page.getByRole('button', { name: 'New token for edge-ui-1' }).waitFor();
    const accepted = await fetch(`${server.url}/api/v1/ingest`, { method: 'POST', headers: { authorization: `Bearer ${rotated}`, 'content-type': 'application/json' }, body: '{"events":[]}' });
    expect(accepted.status).toBe(401);

    const audit = await (await server.api('/api/v1/audit?subject=probe')).json() as { entries: { action: string }[] };
    expect(audit.entries.map((e) => e.action)).toEqual(['probe.revoke', 'probe.rotate', 'probe.labels', 'probe.create']);
    await shot(page, 'probes-admin');
    expect(errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
  });

  it('adds a canary target and shows how to run dropscope-target with its token', async () => {
    const { page, errors } = await openPage({ signIn: server });
    await visit(page, `${server.url}/probes`);
    await page.getByRole('button', { name: 'Add probe' }).click();
    const form = page.getByRole('form', { name: 'Add probe' });
    await form.getByLabel('name').fill('target-ui');
    await form.getByLabel(/canary target/).check();
    await form.getByRole('button', { name: 'Add and show its token' }).click();
    const token = (await page.textContent('[data-testid="shown-secret"]'))!.trim();
    const run = await page.textContent('[data-testid="snippet-target"]');
    expect(run).toContain(`DROPSCOPE_TARGET_TOKEN=${token}`);
    expect(run).toContain(`--name target-ui --backend ${server.url}`);
    await page.waitForSelector('[data-testid="probe-row"][data-probe="target-ui"] [data-testid="probe-kind"]');

    // A name taken: the API's 409 is shown next to the name.
    await page.getByRole('button', { name: 'Add probe' }).click();
    await form.getByLabel('name').fill('target-ui');
    await form.getByRole('button', { name: 'Add and show its token' }).click();
    await expect(page.textContent('[data-testid="add-probe-error-name"]')).resolves.toContain('already exists');
    expect(errors.filter((e) => !/status of 409/.test(e))).toEqual([]);
  });
});

describe('/probes for a viewer', () => {
  it('shows the table without a control, and the API refuses the viewer\'s writes', async () => {
    const viewer = { email: 'viewer-ui@dropscope.test', password: 'viewer-password-1', name: 'Viewer', role: 'viewer' };
    expect((await server.api('/api/v1/users', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(viewer) })).status).toBe(201);
    // A probe to list, added by the admin.
    await server.api('/api/v1/probes', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'seen-by-viewer' }) });
    const cookie = await signIn(server.url, viewer);
    const { page, errors } = await openPage({ signIn: { url: server.url, cookie } });
    await visit(page, `${server.url}/probes`);
    await page.waitForSelector('[data-testid="probe-row"][data-probe="seen-by-viewer"]');
    expect(await page.getByRole('button', { name: 'Add probe' }).count()).toBe(0);
    expect(await page.locator('[data-testid="probe-actions"]').count()).toBe(0);
    expect(await page.locator('[data-testid="probes-table"] thead th').count()).toBe(10);
    expect(await page.getByRole('link', { name: 'Admin' }).count()).toBe(0);

    // The page's own fetch, from the viewer's session and this page's Origin.
    const status = await page.evaluate(async () => (await fetch('/api/v1/probes', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'by-viewer' }) })).status);
    expect(status).toBe(403);
    const admin = await visit(page, `${server.url}/admin`);
    expect(admin!.status()).toBe(403);
    expect(errors.filter((e) => !/status of 403/.test(e))).toEqual([]);
  });
});
