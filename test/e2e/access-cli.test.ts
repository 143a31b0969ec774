/**
 * `dropscope user ...` and `dropscope token ...` (built CLI): through a running server's
 * admin socket on PGlite, and straight on a PostgreSQL database with no server, as on the
 * host of an unattended install.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openScratchPostgres } from '../helpers/databases';
import { runCli, signIn, startServer, TEST_ADMIN, type RunningServer } from '../helpers/server';

describe('dropscope user / token, through a running server (PGlite)', () => {
  let server: RunningServer;
  let env: Record<string, string>;
  beforeAll(async () => {
    server = await startServer();
    env = { DROPSCOPE_DATA_DIR: server.dataDir };
  }, 120_000);
  afterAll(async () => {
    await server?.dispose();
  });

  it('adds a person with a generated password, changes their role, lists and removes them', async () => {
    const added = runCli(['user', 'add', 'ops@example.test', '--role', 'editor', '--name', 'Ops'], env);
    expect(added.status, added.stderr).toBe(0);
    const password = added.stdout.trim().split('\n').at(-1)!;
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    const cookie = await signIn(server.url, { email: 'ops@example.test', password });
    const me = async () => (await fetch(`${server.url}/api/v1/me`, { headers: { cookie } })).json();
    expect(await me()).toMatchObject({ role: 'editor' });
    expect(runCli(['user', 'role', 'ops@example.test', 'viewer'], env).status).toBe(0);
    expect(await me()).toMatchObject({ role: 'viewer' });
    const list = runCli(['user', 'list'], env);
    expect(list.stdout).toMatch(/ops@example\.test\s+viewer\s+credential/);
    expect(list.stdout).toMatch(/admin@dropscope\.test\s+admin/);

    const demote = runCli(['user', 'role', TEST_ADMIN.email, 'viewer'], env);
    expect(demote.status).toBe(1);
    expect(demote.stderr).toContain('the last admin cannot be demoted');
    const bad = runCli(['user', 'add', 'not-an-email', '--role', 'editor'], env);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('email');

    expect(runCli(['user', 'remove', 'ops@example.test'], env).status).toBe(0);
    expect((await fetch(`${server.url}/api/v1/me`, { headers: { cookie } })).status).toBe(401);
    const audit = (await (await server.api('/api/v1/audit?subject=user')).json()) as { entries: { action: string; actorKind: string }[] };
    expect(audit.entries.filter((e) => e.actorKind === 'cli').map((e) => e.action)).toEqual(['user.delete', 'user.update', 'user.create']);
  });

  it('makes an API token that works until revoked', async () => {
    const made = runCli(['token', 'add', 'prometheus', '--role', 'viewer', '--expires', '30d'], env);
    expect(made.status, made.stderr).toBe(0);
    const token = made.stdout.trim().split('\n').at(-1)!;
    expect(token).toMatch(/^dsa_\d+_/);
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    const id = /^dsa_(\d+)_/.exec(token)![1]!;
    expect(runCli(['token', 'list'], env).stdout).toMatch(new RegExp(`${id}\\s+prometheus\\s+viewer\\s+active`));
    expect(runCli(['token', 'revoke', id], env).status).toBe(0);
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
  });
});

const url = process.env.TEST_DATABASE_URL;
describe.skipIf(!url)('dropscope user, on PostgreSQL with no server', () => {
  it('adds the first admin, who can then sign in to a server on that database', async () => {
    const database = await openScratchPostgres(url!);
    let server: RunningServer | undefined;
    try {
      const added = runCli(['user', 'add', 'root@example.test', '--role', 'admin'], { DATABASE_URL: database.url });
      expect(added.status, added.stderr).toBe(0);
      const password = added.stdout.trim().split('\n').at(-1)!;
      server = await startServer({ env: { DATABASE_URL: database.url, DROPSCOPE_ADMIN_EMAIL: '', DROPSCOPE_ADMIN_PASSWORD: '' } });
      const cookie = await signIn(server.url, { email: 'root@example.test', password });
      expect(await (await fetch(`${server.url}/api/v1/me`, { headers: { cookie } })).json()).toMatchObject({ role: 'admin' });
      // People exist: the start printed no setup link.
      expect(server.output()).not.toContain('/setup?token=');
    } finally {
      await server?.dispose();
      await database.close();
    }
  }, 120_000);
});
