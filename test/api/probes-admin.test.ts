/**
 * The probes API for admins, through the real built server: add (the token in that answer
 * only), labels, rotate (the old token refused by a real ingest POST at once), revoke (its
 * data stays; a rotation brings it back), an audit entry for every write and never a token
 * in it, 400s and 409s that name the field, a target token that may post only its views,
 * and a viewer refused.
 *
 * Needs a build (`npm run build`).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestEvent } from '../../lib/contracts/ingest';
import { ended, heartbeat, opened, targetView } from '../helpers/events';
import { signIn, startServer, type RunningServer } from '../helpers/server';

const TOKEN = /^dsp_([1-9][0-9]*)_[A-Za-z0-9_-]{43}$/;

interface ProbeJson {
  id: number;
  name: string;
  kind: 'probe' | 'target';
  labels: Record<string, string>;
  createdAt: string;
  lastSeenAt: string | null;
  revokedAt: string | null;
}
interface Problem {
  error: { code: string; message: string; issues?: { path: string; message: string }[] };
}
interface AuditEntry {
  id: number;
  actorKind: string;
  actorName: string;
  action: string;
  subjectKind: string;
  subjectId: string | null;
  before: unknown;
  after: unknown;
}

let server: RunningServer;

beforeAll(async () => {
  server = await startServer();
}, 120_000);
afterAll(async () => {
  await server?.dispose();
});

async function call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T; text: string }> {
  const res = await server.api(path, { method, ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T, text };
}

const add = (body: unknown) => call<{ probe: ProbeJson; token: string } & Problem>('POST', '/api/v1/probes', body);

/** What a probe does: post a batch to /api/v1/ingest with its bearer token. */
async function ingest(token: string, events: IngestEvent[]): Promise<{ status: number; body: Problem & { accepted?: number } }> {
  const res = await fetch(`${server.url}/api/v1/ingest`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ events }),
  });
  return { status: res.status, body: (await res.json()) as Problem & { accepted?: number } };
}

const now = () => new Date(Date.now() - 120_000);
/** The fields named, once each (an empty name breaks both the length and the pattern rule). */
const issuePaths = (p: Problem) => [...new Set(p.error.issues?.map((i) => i.path) ?? [])];

async function auditOf(id: number): Promise<AuditEntry[]> {
  const res = await call<{ entries: AuditEntry[] }>('GET', '/api/v1/audit?subject=probe&limit=500');
  expect(res.status).toBe(200);
  return res.body.entries.filter((e) => e.subjectId === String(id));
}

describe('POST /api/v1/probes', () => {
  it('adds a probe and answers its token once; the token posts to ingest', async () => {
    const res = await add({ name: 'edge-fra-1', labels: { region: 'eu', provider: 'hetzner' } });
    expect(res.status).toBe(201);
    expect(res.body.probe).toMatchObject({ name: 'edge-fra-1', kind: 'probe', labels: { region: 'eu', provider: 'hetzner' }, revokedAt: null, lastSeenAt: null });
    expect(res.body.token).toMatch(TOKEN);
    expect(TOKEN.exec(res.body.token)![1]).toBe(String(res.body.probe.id));

    const sid = `s-${randomUUID()}`;
    const posted = await ingest(res.body.token, [opened(sid, {}, now()), ended(sid, 1000, {}, now()), heartbeat({}, now())]);
    expect(posted).toMatchObject({ status: 200, body: { accepted: 3 } });

    // Never again: not in the list, not in the probe's answers.
    const list = await call<{ probes: { name: string; state: string }[] }>('GET', '/api/v1/probes');
    expect(list.text).not.toContain(res.body.token);
    expect(list.body.probes.find((p) => p.name === 'edge-fra-1')).toMatchObject({ state: 'online' });
    const [entry] = await auditOf(res.body.probe.id);
    expect(entry).toMatchObject({ action: 'probe.create', actorKind: 'user', actorName: 'admin@dropscope.test', subjectKind: 'probe', before: null, after: { name: 'edge-fra-1', kind: 'probe', labels: { region: 'eu', provider: 'hetzner' } } });
  });

  it('adds without labels, and a canary target whose token posts only its own views', async () => {
    expect(await add({ name: 'bare' })).toMatchObject({ status: 201, body: { probe: { labels: {}, kind: 'probe' } } });

    const res = await add({ name: 'target-eu', labels: {}, kind: 'target' });
    expect(res.status).toBe(201);
    expect(res.body.probe.kind).toBe('target');
    const sid = `s-${randomUUID()}`;
    const refused = await ingest(res.body.token, [opened(sid, {}, now())]);
    expect(refused.status).toBe(403);
    expect(issuePaths(refused.body)).toEqual(['events.0.type']);
    expect(await ingest(res.body.token, [targetView(sid, 1000, { target: 'target-eu' }, now())])).toMatchObject({ status: 200, body: { accepted: 1 } });
  });

  it('answers 400 naming each bad field, and stores nothing', async () => {
    const cases: [unknown, string[]][] = [
      [{ name: '' }, ['name']],
      [{ name: '-starts-with-dash' }, ['name']],
      [{ name: 'x'.repeat(65) }, ['name']],
      [{ name: 'ok-1', labels: { '1bad': 'v' } }, ['labels.1bad']],
      [{ name: 'ok-1', labels: { region: 'v'.repeat(129) } }, ['labels.region']],
      [{ name: 'ok-1', labels: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) }, ['labels']],
      [{ name: 'ok-1', labels: 'region=eu' }, ['labels']],
      [{ name: 'ok-1', kind: 'proxy' }, ['kind']],
      [{ name: 'ok-1', token: 'dsp_1_mine' }, ['(root)']],
    ];
    for (const [body, paths] of cases) {
      const res = await add(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('API_ERR_SCHEMA');
      expect(issuePaths(res.body), JSON.stringify(body)).toEqual(paths);
    }
    const label = await add({ name: 'ok-1', labels: { '1bad': 'v' } });
    expect(label.body.error.message).toContain('expected a label name like region');

    const list = await call<{ probes: { name: string }[] }>('GET', '/api/v1/probes');
    expect(list.body.probes.map((p) => p.name)).not.toContain('ok-1');
    const res = await server.api('/api/v1/probes', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'name=x' });
    expect(res.status).toBe(415);
  });

  it('answers 409 naming `name` for a taken name', async () => {
    expect((await add({ name: 'taken' })).status).toBe(201);
    const res = await add({ name: 'taken', kind: 'target' });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('PROBE_ERR_EXISTS');
    expect(res.body.error.issues).toEqual([{ path: 'name', message: expect.stringContaining('taken') }]);
  });
});

describe('PATCH, token rotation and DELETE on /api/v1/probes/:id', () => {
  it('sets labels (200), naming a bad one (400); 404 and 400 for ids', async () => {
    const { body } = await add({ name: 'labelled', labels: { region: 'eu' } });
    const res = await call<{ probe: ProbeJson }>('PATCH', `/api/v1/probes/${body.probe.id}`, { labels: { region: 'us', isp: 'acme' } });
    expect(res.status).toBe(200);
    expect(res.body.probe).toMatchObject({ id: body.probe.id, labels: { region: 'us', isp: 'acme' } });
    const list = await call<{ probes: { name: string; labels: Record<string, string> }[] }>('GET', '/api/v1/probes?label=isp%3Dacme');
    expect(list.body.probes.map((p) => p.name)).toEqual(['labelled']);

    const bad = await call<Problem>('PATCH', `/api/v1/probes/${body.probe.id}`, { labels: { 'has space': 'x' } });
    expect(bad.status).toBe(400);
    expect(issuePaths(bad.body)).toEqual(['labels.has space']);
    expect(issuePaths((await call<Problem>('PATCH', `/api/v1/probes/${body.probe.id}`, {})).body)).toEqual(['labels']);
    expect(issuePaths((await call<Problem>('PATCH', `/api/v1/probes/${body.probe.id}`, { labels: {}, name: 'renamed' })).body)).toEqual(['(root)']);

    expect((await call<Problem>('PATCH', '/api/v1/probes/999999', { labels: {} })).body.error.code).toBe('PROBE_ERR_NOT_FOUND');
    expect((await call('PATCH', '/api/v1/probes/999999', { labels: {} })).status).toBe(404);
    const badId = await call<Problem>('PATCH', '/api/v1/probes/abc', { labels: {} });
    expect(badId.status).toBe(400);
    expect(issuePaths(badId.body)).toEqual(['id']);

    const entries = await auditOf(body.probe.id);
    expect(entries.map((e) => e.action)).toEqual(['probe.labels', 'probe.create']);
    expect(entries[0]).toMatchObject({ before: { labels: { region: 'eu' } }, after: { labels: { region: 'us', isp: 'acme' } } });
  });

  it('rotates: the old token is refused by ingest at once, the new one is accepted', async () => {
    const { body } = await add({ name: 'rotated', labels: {} });
    const old = body.token;
    expect((await ingest(old, [heartbeat({}, now())])).status).toBe(200);

    const res = await call<{ probe: ProbeJson; token: string }>('POST', `/api/v1/probes/${body.probe.id}/token`);
    expect(res.status).toBe(200);
    expect(res.body.token).toMatch(TOKEN);
    expect(res.body.token).not.toBe(old);
    expect(res.body.probe).toMatchObject({ id: body.probe.id, name: 'rotated', revokedAt: null });

    const refused = await ingest(old, [heartbeat({}, now())]);
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('INGEST_ERR_UNAUTHORIZED');
    expect((await ingest(res.body.token, [heartbeat({}, now())])).status).toBe(200);
    expect((await call('POST', '/api/v1/probes/999999/token')).status).toBe(404);
  });

  it('revokes: ingest refuses the token, the data stays, a rotation brings it back', async () => {
    const { body } = await add({ name: 'revoked', labels: {} });
    const sid = `s-${randomUUID()}`;
    expect((await ingest(body.token, [opened(sid, {}, now()), ended(sid, 2000, {}, now())])).status).toBe(200);

    const res = await call<{ probe: ProbeJson }>('DELETE', `/api/v1/probes/${body.probe.id}`);
    expect(res.status).toBe(200);
    expect(res.body.probe.revokedAt).not.toBeNull();
    expect((await ingest(body.token, [heartbeat({}, now())])).status).toBe(401);
    const list = await call<{ probes: { name: string; state: string }[] }>('GET', '/api/v1/probes');
    expect(list.body.probes.find((p) => p.name === 'revoked')).toMatchObject({ state: 'revoked' });
    const sessions = await call<{ sessions: { id: string }[] }>('GET', '/api/v1/sessions?probe=revoked');
    expect(sessions.body.sessions.map((s) => s.id)).toEqual([sid]);

    // Again: the same answer, the first instant kept, nothing more recorded.
    const again = await call<{ probe: ProbeJson }>('DELETE', `/api/v1/probes/${body.probe.id}`);
    expect(again).toMatchObject({ status: 200, body: { probe: { revokedAt: res.body.probe.revokedAt } } });
    expect((await call('DELETE', '/api/v1/probes/999999')).status).toBe(404);

    const back = await call<{ probe: ProbeJson; token: string }>('POST', `/api/v1/probes/${body.probe.id}/token`);
    expect(back.body.probe.revokedAt).toBeNull();
    expect((await ingest(back.body.token, [heartbeat({}, now())])).status).toBe(200);
    expect((await ingest(body.token, [heartbeat({}, now())])).status).toBe(401);

    const entries = await auditOf(body.probe.id);
    expect(entries.map((e) => e.action)).toEqual(['probe.rotate', 'probe.revoke', 'probe.create']);
    expect(entries[1]).toMatchObject({ before: { revokedAt: null }, after: { revokedAt: res.body.probe.revokedAt } });
    expect(entries[0]).toMatchObject({ before: { revokedAt: res.body.probe.revokedAt }, after: { revokedAt: null } });
  });

  it('never records a token or its hash in the audit log', async () => {
    const { body } = await add({ name: 'secretive', labels: {} });
    const rotated = await call<{ token: string }>('POST', `/api/v1/probes/${body.probe.id}/token`);
    const log = await call<{ entries: AuditEntry[] }>('GET', '/api/v1/audit?limit=500');
    const { createHash } = await import('node:crypto');
    for (const token of [body.token, rotated.body.token]) {
      expect(log.text).not.toContain(token.slice(-43));
      expect(log.text).not.toContain(createHash('sha256').update(token).digest('hex'));
    }
    expect(log.text).not.toMatch(/"token(Hash)?"/);
  });
});

describe('who may manage probes', () => {
  it('refuses viewers (403) and anonymous callers (401), and lets viewers read', async () => {
    const viewer = { email: 'viewer@dropscope.test', password: 'viewer-password-1', name: 'Viewer', role: 'viewer' };
    expect((await call('POST', '/api/v1/users', viewer)).status).toBe(201);
    const cookie = await signIn(server.url, viewer);
    const as = (method: string, path: string, body?: unknown) =>
      fetch(`${server.url}${path}`, { method, headers: { cookie, origin: server.url, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const { body } = await add({ name: 'guarded', labels: {} });

    expect((await as('POST', '/api/v1/probes', { name: 'by-viewer' })).status).toBe(403);
    expect((await as('PATCH', `/api/v1/probes/${body.probe.id}`, { labels: {} })).status).toBe(403);
    expect((await as('POST', `/api/v1/probes/${body.probe.id}/token`)).status).toBe(403);
    expect((await as('DELETE', `/api/v1/probes/${body.probe.id}`)).status).toBe(403);
    expect((await as('GET', '/api/v1/probes')).status).toBe(200);

    const anonymous = await fetch(`${server.url}/api/v1/probes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'anon' }) });
    expect(anonymous.status).toBe(401);
    // A probe's own token reads and manages nothing.
    const withProbeToken = await fetch(`${server.url}/api/v1/probes`, { method: 'POST', headers: { authorization: `Bearer ${body.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'by-probe' }) });
    expect(withProbeToken.status).toBe(403);
    const names = (await call<{ probes: { name: string }[] }>('GET', '/api/v1/probes')).body.probes.map((p) => p.name);
    expect(names).not.toContain('by-viewer');
    expect(names).not.toContain('anon');
    expect(names).not.toContain('by-probe');
  });
});
