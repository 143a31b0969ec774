/**
 * GET /api/v1/sessions in its drill-down form (issue 19), the route handler in this process
 * as Next calls it (no build), on every backend: a histogram bar's sessions in the scope,
 * paged by cursor; bad queries answered 400 naming the field, never 500; the plain listing
 * unchanged beside it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installDatabase, uninstallDatabase, type Database } from '../../db/client';
import { storeBatch } from '../../db/queries/ingest';
import { addProbe } from '../../db/queries/probes';
import { binSessionsAnswerSchema } from '../../lib/drops/bin-sessions';
import * as route from '../../app/api/v1/sessions/route';
import { backends } from '../helpers/databases';
import { ended, opened, path } from '../helpers/events';

const BASE = 'http://dash.test';
type Problem = { error: { code: string; message: string; issues?: { path: string }[] } };

describe.each(backends())('GET /api/v1/sessions?minDurationMs= on $name', (backend) => {
  let database: Database;
  // Recent, so a relative range holds them.
  const t = (minAgo: number) => new Date(Date.now() - minAgo * 60_000);

  beforeAll(async () => {
    database = await backend.open();
    installDatabase(database);
    const { probe } = await addProbe(database.db, { name: 'edge-a', labels: {} });
    const squid = path({ proxy: 'squid', kind: 'http' });
    const events = [];
    for (let i = 0; i < 12; i++) events.push(opened(`bar-${String(i).padStart(4, '0')}`, { path: squid }, t(30 + i)), ended(`bar-${String(i).padStart(4, '0')}`, 20_000 + i, { path: squid }, t(30 + i)));
    events.push(ended('long-0001', 582_000, { path: squid }, t(50)));
    events.push(ended('pclose-01', 20_000, { path: squid, endKind: 'probe_closed' }, t(20)));
    await storeBatch(database.db, probe.id, events, new Date());
  });
  afterAll(async () => {
    uninstallDatabase(database);
    await database.close();
  });

  const get = async (query: string) => route.GET(new Request(`${BASE}/api/v1/sessions?${query}`));

  it('answers the sessions of a bar within the scope, paged', async () => {
    const res = await get('range=1h&proxy=squid&minDurationMs=15000&maxDurationMs=25000&measure=age&kind=drops&limit=5');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const first = binSessionsAnswerSchema.parse(await res.json());
    expect(first).toMatchObject({ total: 12, measure: 'age', kind: 'drops', minDurationMs: 15_000, maxDurationMs: 25_000, scope: { proxy: 'squid' } });
    expect(first.sessions.map((s) => s.sessionId)).toEqual(['bar-0000', 'bar-0001', 'bar-0002', 'bar-0003', 'bar-0004']);
    const ids = [...first.sessions.map((s) => s.sessionId)];
    let cursor = first.nextCursor;
    for (let i = 0; cursor && i < 5; i++) {
      const page = binSessionsAnswerSchema.parse(await (await get(`range=1h&proxy=squid&minDurationMs=15000&maxDurationMs=25000&measure=age&kind=drops&limit=5&cursor=${cursor}`)).json());
      ids.push(...page.sessions.map((s) => s.sessionId));
      cursor = page.nextCursor;
    }
    expect(ids).toHaveLength(12);
    expect(new Set(ids).size).toBe(12);
  });

  it('answers an overflow bar (no upper end), every ended session for the overview', async () => {
    const over = binSessionsAnswerSchema.parse(await (await get('range=1h&minDurationMs=35000')).json());
    expect(over.sessions.map((s) => s.sessionId)).toEqual(['long-0001']);
    expect(over.maxDurationMs).toBeNull();
    const ended = binSessionsAnswerSchema.parse(await (await get('range=1h&minDurationMs=15000&maxDurationMs=25000')).json());
    expect(ended.total).toBe(13);
  });

  it.each([
    ['minDurationMs=abc', 'minDurationMs'],
    ['minDurationMs=2000&maxDurationMs=1000', 'maxDurationMs'],
    ['minDurationMs=0&measure=age', 'kind'],
    ['minDurationMs=0&limit=0', 'limit'],
    ['minDurationMs=0&cursor=zzz', 'cursor'],
    ['minDurationMs=0&range=1h&from=2026-01-01T00:00:00Z', 'range'],
    ['minDurationMs=0&minDurationMs=1', 'minDurationMs'],
  ])('refuses %s with 400 naming %s', async (query, field) => {
    const res = await get(query);
    expect(res.status).toBe(400);
    const body = (await res.json()) as Problem;
    expect(body.error.code).toBe('API_ERR_QUERY');
    expect(body.error.issues!.map((i) => i.path)).toContain(field);
  });

  it('names an unknown parameter in the header instead of refusing it', async () => {
    const res = await get('range=1h&minDurationMs=35000&utm_source=chat');
    expect(res.status).toBe(200);
    expect(res.headers.get('dropscope-ignored-params')).toBe('utm_source');
  });

  it('keeps the plain listing as it was', async () => {
    const res = await get('proxy=squid&limit=2');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { sessions: { id: string }[] };
    expect(body.sessions).toHaveLength(2);
  });
});
