/**
 * Every route and page of the real built server, walked as each kind of caller:
 * anonymous, viewer, editor, admin (signed in with a password), an admin's API token,
 * a probe token and a canary target token. The expectation for each comes from the access
 * policy (lib/auth/access-policy.ts), whose own test checks every route file has a rule;
 * this one checks the running server enforces it. Plus: socket.io without a session, or
 * from a foreign Origin, is refused; a cookie write from a foreign Origin is refused.
 */
import { io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirementFor } from '../../lib/auth/access-policy';
import { roleAtLeast, type Role } from '../../lib/auth/roles';
import { appRoutes, samplePath } from '../helpers/routes';
import { addProbeToken, runCli, signIn, startServer, type RunningServer } from '../helpers/server';

let server: RunningServer;
type Caller = { name: string; role: Role | null; headers: () => Record<string, string> };
const callers: Caller[] = [];

beforeAll(async () => {
  server = await startServer({ env: { DROPSCOPE_LIVE_RECHECK_MS: '300' } });
  const cookie = (c: string) => () => ({ cookie: c, origin: server.url });
  callers.push({ name: 'anonymous', role: null, headers: () => ({}) });
  for (const role of ['viewer', 'editor'] as const) {
    const who = { email: `${role}@access.test`, password: `${role}-password-long` };
    const made = await server.api('/api/v1/users', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...who, name: role, role }) });
    expect(made.status).toBe(201);
    callers.push({ name: role, role, headers: cookie(await signIn(server.url, who)) });
  }
  callers.push({ name: 'admin', role: 'admin', headers: cookie(await server.adminCookie()) });
  const made = await server.api('/api/v1/tokens', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'matrix', role: 'admin' }) });
  const { token } = (await made.json()) as { token: string };
  callers.push({ name: 'admin API token', role: 'admin', headers: () => ({ authorization: `Bearer ${token}` }) });
  const env = { DROPSCOPE_DATA_DIR: server.dataDir };
  const probe = addProbeToken('matrix-probe', env);
  callers.push({ name: 'probe token', role: null, headers: () => ({ authorization: `Bearer ${probe}` }) });
  const target = runCli(['probe', 'add', 'matrix-target', '--target'], env);
  const targetToken = /^(dsp_\S+)$/m.exec(target.stdout)?.[1];
  expect(targetToken, target.stdout + target.stderr).toBeTruthy();
  callers.push({ name: 'target token', role: null, headers: () => ({ authorization: `Bearer ${targetToken}` }) });
}, 180_000);
afterAll(async () => {
  await server?.dispose();
});

describe('every route as every caller', () => {
  const cases = appRoutes().flatMap((r) => r.methods.map((method) => ({ ...r, method, path: samplePath(r.pattern) })));

  it('finds the routes to walk', () => {
    expect(cases.length).toBeGreaterThan(30);
  });

  it('answers each as the access policy says', async () => {
    const wrong: string[] = [];
    for (const c of cases) {
      const need = requirementFor(c.method, c.path);
      if (need.kind === 'probe') continue; // ingest: tests of its own (test/api/ingest.test.ts)
      for (const caller of callers) {
        const headers: Record<string, string> = { ...caller.headers() };
        const write = c.method !== 'GET';
        if (write) headers['content-type'] = 'application/json';
        const res = await fetch(`${server.url}${c.path}`, { method: c.method, headers, body: write ? '{}' : undefined, redirect: 'manual' });
        await res.arrayBuffer();
        const got = res.status;
        let expected: string;
        let ok: boolean;
        if (need.kind === 'public') {
          expected = 'not 401/403';
          ok = got !== 401 && got !== 403;
        } else if (caller.name === 'anonymous') {
          expected = c.page ? '303 to /sign-in' : '401';
          ok = c.page ? got === 303 && (res.headers.get('location') ?? '').startsWith('/sign-in?next=') : got === 401;
        } else if (caller.role === null || !roleAtLeast(caller.role, need.role)) {
          expected = '403';
          ok = got === 403;
        } else {
          expected = 'served (not 401/403/5xx)';
          ok = got !== 401 && got !== 403 && got < 500;
        }
        if (!ok) wrong.push(`${c.method} ${c.path} as ${caller.name}: ${got}, expected ${expected}`);
      }
    }
    expect(wrong).toEqual([]);
  }, 300_000);
});

describe('what a role sees', () => {
  it('shows webhook URLs (which can hold secrets) and the edit controls to editors only', async () => {
    const made = await server.api('/api/v1/webhooks', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'chat', url: 'https://hooks.example.com/services/T0/B0/secret-path-xyz', format: 'slack' }),
    });
    expect(made.status).toBe(201);
    const page = async (name: string) => {
      const res = await fetch(`${server.url}/alerts`, { headers: callers.find((c) => c.name === name)!.headers() });
      expect(res.status).toBe(200);
      return res.text();
    };
    const viewer = await page('viewer');
    expect(viewer).toContain('chat');
    expect(viewer).not.toContain('secret-path-xyz');
    expect(viewer).not.toContain('New rule');
    expect(viewer).not.toContain('Add endpoint');
    const editor = await page('editor');
    expect(editor).toContain('secret-path-xyz');
    expect(editor).toContain('New rule');
    expect(editor).toContain('Add endpoint');
  });
});

describe('the audit log', () => {
  it('records webhook writes with who made them, never the secret', async () => {
    const json = { 'content-type': 'application/json' };
    const made = await server.api('/api/v1/webhooks', { method: 'POST', headers: json, body: JSON.stringify({ name: 'audited', url: 'https://hooks.example.com/a', format: 'standard' }) });
    const { id, secret } = (await made.json()) as { id: number; secret: string };
    expect((await server.api(`/api/v1/webhooks/${id}`, { method: 'PUT', headers: json, body: JSON.stringify({ name: 'audited', url: 'https://hooks.example.com/b', format: 'standard', enabled: false }) })).status).toBe(200);
    expect((await server.api(`/api/v1/webhooks/${id}`, { method: 'DELETE' })).status).toBe(204);
    const { entries } = (await (await server.api('/api/v1/audit?subject=webhook')).json()) as { entries: { action: string; actorName: string; subjectId: string; before: { url?: string } | null; after: { url?: string } | null }[] };
    const mine = entries.filter((e) => e.subjectId === String(id));
    expect(mine.map((e) => [e.action, e.actorName])).toEqual([
      ['webhook.delete', 'admin@dropscope.test'],
      ['webhook.update', 'admin@dropscope.test'],
      ['webhook.create', 'admin@dropscope.test'],
    ]);
    expect([mine[1]!.before?.url, mine[1]!.after?.url]).toEqual(['https://hooks.example.com/a', 'https://hooks.example.com/b']);
    expect(JSON.stringify(entries)).not.toContain(secret);
  });
});

describe('browser writes and live pushes', () => {
  it('refuses a cookie write from a foreign Origin, or with none', async () => {
    const cookie = await server.adminCookie();
    const body = JSON.stringify({ name: 'x', role: 'viewer' });
    for (const origin of ['http://evil.example', 'null', undefined]) {
      const headers: Record<string, string> = { cookie, 'content-type': 'application/json' };
      if (origin) headers.origin = origin;
      const res = await fetch(`${server.url}/api/v1/tokens`, { method: 'POST', headers, body });
      expect(res.status, `Origin ${origin}`).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('AUTH_ERR_ORIGIN');
    }
    const tokens = (await (await server.api('/api/v1/tokens')).json()) as { tokens: { name: string }[] };
    expect(tokens.tokens.map((t) => t.name)).toEqual(['matrix']);
  });

  async function socketOutcome(extraHeaders: Record<string, string>): Promise<'connected' | string> {
    const socket = connect(server.url, { path: '/socket.io', transports: ['websocket'], extraHeaders, reconnection: false, timeout: 20_000 });
    try {
      return await new Promise<string>((resolve) => {
        socket.once('connect', () => resolve('connected'));
        socket.once('connect_error', (err) => resolve(err.message));
      });
    } finally {
      socket.close();
    }
  }

  it('drops a live connection once its session ends', async () => {
    const who = { email: 'leaving@access.test', password: 'leaving-password-long' };
    expect((await server.api('/api/v1/users', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...who, name: 'leaving', role: 'viewer' }) })).status).toBe(201);
    const cookie = await signIn(server.url, who);
    const socket = connect(server.url, { path: '/socket.io', transports: ['websocket'], extraHeaders: { cookie, origin: server.url }, reconnection: false });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', reject);
      });
      const gone = new Promise<string>((resolve) => socket.once('disconnect', resolve));
      const out = await fetch(`${server.url}/api/auth/sign-out`, { method: 'POST', headers: { cookie, origin: server.url, 'content-type': 'application/json' }, body: '{}' });
      expect(out.status).toBe(200);
      expect(await gone).toBe('io server disconnect');
    } finally {
      socket.close();
    }
  });

  it('refuses socket.io without a session, from a foreign Origin, or with a probe token', async () => {
    const cookie = await server.adminCookie();
    expect(await socketOutcome({ cookie, origin: server.url })).toBe('connected');
    expect(await socketOutcome({ origin: server.url })).not.toBe('connected');
    expect(await socketOutcome({ cookie, origin: 'http://evil.example' })).not.toBe('connected');
    const probe = addProbeToken('socket-probe', { DROPSCOPE_DATA_DIR: server.dataDir });
    expect(await socketOutcome({ authorization: `Bearer ${probe}` })).not.toBe('connected');
  });
});
