/**
 * The dashboard endpoints' query strings (issue 19): an unknown parameter is ignored and named
 * in the dropscope-ignored-params header, a bad known one is a 400 naming its field, and
 * every way of asking for a range is held to the same 31-day limit. The route handlers run
 * as Next runs them, on an installed database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GET as analysisGET } from '../../app/api/v1/analysis/route';
import { GET as dropsGET } from '../../app/api/v1/drops/route';
import { GET as handshakesGET } from '../../app/api/v1/handshakes/route';
import { GET as overviewGET } from '../../app/api/v1/overview/route';
import { GET as pathGET } from '../../app/api/v1/paths/[id]/route';
import { GET as pathsGET } from '../../app/api/v1/paths/route';
import { installDatabase, uninstallDatabase, type Database } from '../../db/client';
import { storeBatch } from '../../db/queries/ingest';
import { addProbe } from '../../db/queries/probes';
import { IGNORED_PARAMS_HEADER } from '../../lib/dashboard/query-params';
import { pathId } from '../../lib/paths/path-id';
import { backends } from '../helpers/databases';
import { ended, opened } from '../helpers/events';

type Handler = (request: Request) => Promise<Response>;
const PATH_ID = pathId({ target: 'canary', proxy: 'direct' });
const withId = (get: (r: Request, p: { params: Promise<{ id: string }> }) => Promise<Response>): Handler => (r) => get(r, { params: Promise.resolve({ id: PATH_ID }) });

const SCOPED: [string, string, Handler][] = [
  ['drops', '/api/v1/drops', dropsGET],
  ['paths', '/api/v1/paths', pathsGET],
  ['path', `/api/v1/paths/${PATH_ID}`, withId(pathGET)],
  ['handshakes', '/api/v1/handshakes', handshakesGET],
  ['analysis', '/api/v1/analysis', analysisGET],
];

const call = (handler: Handler, path: string, query: string) => handler(new Request(`http://127.0.0.1${path}${query}`));

const longAgo = '2020-01-01T00:00:00Z';
const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');

for (const backend of backends()) {
  describe(`dashboard endpoint queries on ${backend.name}`, () => {
    let database: Database;
    beforeAll(async () => {
      database = await backend.open();
      installDatabase(database);
      const { probe } = await addProbe(database.db, { name: 'edge-1', labels: {} });
      const base = new Date(Date.now() - 10 * 60_000);
      await storeBatch(database.db, probe.id, [opened('s-q0000001', {}, base), ended('s-q0000001', 20_000, {}, base)], new Date());
    });
    afterAll(async () => {
      if (database) uninstallDatabase(database);
      await database?.close();
    });

    it.each(SCOPED)('%s: ignores an unknown parameter, answers 200 and names it in a header', async (_name, path, handler) => {
      const res = await call(handler, path, '?range=1h&utm_source=chat&fbclid=x');
      expect(res.status).toBe(200);
      expect(res.headers.get(IGNORED_PARAMS_HEADER)).toBe('fbclid,utm_source');
      const plain = await call(handler, path, '?range=1h');
      expect(plain.status).toBe(200);
      expect(plain.headers.get(IGNORED_PARAMS_HEADER)).toBeNull();
    });

    it.each(SCOPED)('%s: still refuses a bad known parameter, naming it', async (_name, path, handler) => {
      const res = await call(handler, path, '?range=2h&utm_source=chat');
      expect(res.status).toBe(400);
      expect(res.headers.get(IGNORED_PARAMS_HEADER)).toBe('utm_source');
      expect(await res.json()).toMatchObject({ error: { code: 'API_ERR_QUERY', issues: [{ path: 'range' }] } });
    });

    it.each(SCOPED)('%s: holds from alone, from with to, and from with range to the range limit', async (_name, path, handler) => {
      for (const [query, field] of [
        [`?from=${longAgo}`, 'from'],
        [`?from=${longAgo}&to=2020-03-01T00:00:00Z`, 'to'],
        [`?from=${longAgo}&range=1h`, 'range'],
      ] as const) {
        const res = await call(handler, path, query);
        expect(res.status, query).toBe(400);
        const body = (await res.json()) as { error: { issues: { path: string }[] } };
        expect(body.error.issues.map((i) => i.path), query).toContain(field);
      }
      expect((await call(handler, path, `?from=${daysAgo(30)}`)).status).toBe(200);
      expect((await call(handler, path, `?to=${daysAgo(0.5)}`)).status).toBe(200);
    });

    it.each(SCOPED)('%s: names a filter holding a NUL character (PostgreSQL cannot compare it) with a 400, not a 500', async (_name, path, handler) => {
      for (const field of ['probe', 'target', 'proxy', 'profile', 'label']) {
        const value = field === 'label' ? 'region=e%00u' : 'a%00b';
        const res = await call(handler, path, `?range=1h&${field}=${value}`);
        expect(res.status, field).toBe(400);
        expect(await res.json(), field).toMatchObject({ error: { code: 'API_ERR_QUERY', issues: [{ path: field, message: 'expected text without NUL characters' }] } });
      }
    });

    it('refuses a path id whose names hold a NUL character as no such path', async () => {
      for (const id of ['a%00b~direct', 'canary~di%00rect']) {
        const res = await pathGET(new Request(`http://127.0.0.1/api/v1/paths/${id}`), { params: Promise.resolve({ id }) });
        expect(res.status, id).toBe(404);
      }
    });

    it('the overview ignores unknown parameters too and still names a bad window', async () => {
      const ok = await call(overviewGET, '/api/v1/overview', '?window=15m&ref=chat');
      expect(ok.status).toBe(200);
      expect(ok.headers.get(IGNORED_PARAMS_HEADER)).toBe('ref');
      const bad = await call(overviewGET, '/api/v1/overview', '?window=soon');
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ error: { issues: [{ path: 'window' }] } });
    });

    it('fits the default range to a fresh install: ten minutes of data show 15 minutes, an explicit range wins', async () => {
      const fitted = (await (await call(pathsGET, '/api/v1/paths', '')).json()) as { from: string; to: string };
      expect(Date.parse(fitted.to) - Date.parse(fitted.from)).toBe(15 * 60_000);
      const explicit = (await (await call(pathsGET, '/api/v1/paths', '?range=24h')).json()) as { from: string; to: string };
      expect(Date.parse(explicit.to) - Date.parse(explicit.from)).toBe(86_400_000);
    });
  });
}
