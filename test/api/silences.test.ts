/**
 * The silences API's route handlers in this process, on every backend, as Next calls them
 * (no build): create (201, createdBy the caller), list by state, end early (endedBy), 404
 * and 409, bad bodies and queries answered 400 naming the field, never 500; the alerts
 * list shows which silence holds each alert and each transition. Also: who may call them
 * (the access policy: viewers read, editors write).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installDatabase, uninstallDatabase, type Database } from '../../db/client';
import { createRule } from '../../db/queries/alert-rules';
import { applyEvaluation } from '../../db/queries/alerts-evaluate';
import { alertRuleInputSchema } from '../../lib/alerts/rule';
import type { SilenceView } from '../../lib/alerts/silence';
import { requirementFor } from '../../lib/auth/access-policy';
import type { Principal } from '../../lib/auth/roles';
import { runAsPrincipal } from '../../server/auth/current';
import * as alertsRoute from '../../app/api/v1/alerts/route';
import * as collection from '../../app/api/v1/silences/route';
import * as item from '../../app/api/v1/silences/[id]/route';
import { backends } from '../helpers/databases';

const EDITOR: Principal = { kind: 'user', id: 'u1', name: 'Eda', email: 'eda@example.com', role: 'editor' };
const TOKEN: Principal = { kind: 'token', id: 3, name: 'maintenance-bot', role: 'editor' };
type Problem = { error: { code: string; message: string; issues?: { path: string; message: string }[] } };

const BASE = 'http://dash.test';
const post = (body: unknown, contentType = 'application/json') =>
  new Request(`${BASE}/api/v1/silences`, { method: 'POST', headers: { 'content-type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body) });
const ctx = (id: string) => ({ params: Promise.resolve({ id }) });
const as = <T>(p: Principal, fn: () => Promise<T>) => runAsPrincipal(p, fn);

describe.each(backends())('the silences API on $name', (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await backend.open();
    installDatabase(database);
  });
  afterAll(async () => {
    uninstallDatabase(database);
    await database.close();
  });

  const create = async (body: unknown, who: Principal = EDITOR) => as(who, () => collection.POST(post(body)));
  const list = async (query = '') => collection.GET(new Request(`${BASE}/api/v1/silences${query}`));

  it('creates a silence as the caller, lists it, ends it early once', async () => {
    const res = await create({ matchers: { target: 'builtin' }, duration: '1h', comment: 'target maintenance' });
    expect(res.status).toBe(201);
    const s = (await res.json()) as SilenceView;
    expect(res.headers.get('location')).toBe(`/api/v1/silences/${s.id}`);
    expect(s).toMatchObject({ matchers: { target: 'builtin' }, comment: 'target maintenance', createdBy: 'eda@example.com', endedBy: null, state: 'active' });
    expect(Date.parse(s.endsAt) - Date.parse(s.startsAt)).toBe(3_600_000);

    const active = (await (await list('?state=active')).json()) as { silences: SilenceView[] };
    expect(active.silences.map((x) => x.id)).toContain(s.id);
    expect(((await (await list('?state=expired')).json()) as { silences: SilenceView[] }).silences.map((x) => x.id)).not.toContain(s.id);
    expect((await item.GET(new Request(`${BASE}/api/v1/silences/${s.id}`), ctx(String(s.id)))).status).toBe(200);

    const ended = await as(TOKEN, () => item.DELETE(new Request(`${BASE}/api/v1/silences/${s.id}`, { method: 'DELETE' }), ctx(String(s.id))));
    expect(ended.status).toBe(200);
    expect(await ended.json()).toMatchObject({ id: s.id, state: 'expired', endedBy: 'maintenance-bot' });
    const again = await as(TOKEN, () => item.DELETE(new Request(`${BASE}/api/v1/silences/${s.id}`, { method: 'DELETE' }), ctx(String(s.id))));
    expect(again.status).toBe(409);
    expect(((await again.json()) as Problem).error.code).toBe('SILENCE_ERR_ENDED');
    expect(((await (await list('?state=expired')).json()) as { silences: SilenceView[] }).silences.map((x) => x.id)).toContain(s.id);
  });

  it('answers 404 for an unknown id and 400 for one that is not an id', async () => {
    const missing = await as(EDITOR, () => item.DELETE(new Request(`${BASE}/api/v1/silences/999999`, { method: 'DELETE' }), ctx('999999')));
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as Problem).error.code).toBe('SILENCE_ERR_NOT_FOUND');
    expect((await item.GET(new Request(`${BASE}/api/v1/silences/999999`), ctx('999999'))).status).toBe(404);
    const bad = await item.GET(new Request(`${BASE}/api/v1/silences/abc`), ctx('abc'));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Problem).error.issues?.map((i) => i.path)).toEqual(['id']);
  });

  it.each([
    [{ matchers: {}, duration: '2m' }, 'matchers'],
    [{ matchers: { where: 'x' }, duration: '2m' }, 'matchers.where'],
    [{ matchers: { target: '' }, duration: '2m' }, 'matchers.target'],
    [{ matchers: { target: 'builtin' } }, 'duration'],
    [{ matchers: { target: 'builtin' }, duration: 'forever' }, 'duration'],
    [{ matchers: { target: 'builtin' }, duration: '31d' }, 'duration'],
    [{ matchers: { target: 'builtin' }, startsAt: '2020-01-01T00:00:00Z', endsAt: '2020-01-01T01:00:00Z' }, 'endsAt'],
    [{ matchers: { target: 'builtin' }, startsAt: '2999-01-01T00:00:00Z', duration: '1h' }, 'startsAt'],
    [{ matchers: { target: 'builtin' }, duration: '1h', createdBy: 'someone else' }, '(root)'],
  ])('refuses %j with 400 naming %s', async (body, field) => {
    const res = await create(body);
    expect(res.status).toBe(400);
    const p = (await res.json()) as Problem;
    expect(p.error.issues?.map((i) => i.path)).toContain(field);
    expect(p.error.message).toContain(field);
  });

  it('refuses a body that is not JSON, or not declared as JSON, and a bad state', async () => {
    expect((await as(EDITOR, () => collection.POST(post('{nope')))).status).toBe(400);
    expect((await as(EDITOR, () => collection.POST(post(JSON.stringify({ matchers: { target: 'x' }, duration: '1m' }), 'text/plain')))).status).toBe(415);
    const res = await list('?state=soon');
    expect(res.status).toBe(400);
    expect(((await res.json()) as Problem).error.issues).toEqual([{ path: 'state', message: 'expected active, pending, expired or all' }]);
  });

  it('shows on /api/v1/alerts which silence holds each alert and each transition', async () => {
    const rule = await createRule(
      database.db,
      alertRuleInputSchema.parse({ name: 'api drops', kind: 'drop_rate', severity: 'critical', window: '1m', threshold: 1, scope: { proxy: 'direct' }, groupBy: ['target'] }),
      new Date(),
      EDITOR,
    );
    const s = (await (await create({ matchers: { proxy: 'direct', target: 'builtin' }, duration: '10m' })).json()) as SilenceView;
    await applyEvaluation(database.db, rule, [{ labels: { target: 'builtin' }, value: 3, verdict: 'breach', evidence: {} }, { labels: { target: 'other' }, value: 3, verdict: 'breach', evidence: {} }], { now: new Date(), publicUrl: BASE });
    const body = (await (await alertsRoute.GET()).json()) as { alerts: { ruleId: number; labels: Record<string, string>; silencedBy: number | null; notified: boolean }[]; history: { ruleId: number; labels: Record<string, string>; silencedBy: number | null }[] };
    const mine = body.alerts.filter((a) => a.ruleId === rule.id).map((a) => [a.labels.target, a.silencedBy, a.notified]).sort();
    expect(mine).toEqual([
      ['builtin', s.id, false],
      ['other', null, true],
    ]);
    expect(body.history.filter((t) => t.ruleId === rule.id).map((t) => [t.labels.target, t.silencedBy]).sort()).toEqual([
      ['builtin', s.id],
      ['other', null],
    ]);
  });
});

describe('who may call the silences API', () => {
  it('lets viewers read and editors write', () => {
    for (const path of ['/api/v1/silences', '/api/v1/silences/12']) {
      expect(requirementFor('GET', path)).toEqual({ kind: 'role', role: 'viewer' });
      expect(requirementFor(path.endsWith('12') ? 'DELETE' : 'POST', path)).toEqual({ kind: 'role', role: 'editor' });
    }
  });
});
