/**
 * The JSON 404 for API paths no route serves (app/api/[[...unknown]]), as a handler: the
 * problem shape for every method, the path named and the query not echoed; and, from the
 * route files, that it is the only catch-all at /api so every other API route is more
 * specific than it (Next matches those first). test/api/not-found.test.ts checks the same
 * through the real built server.
 */
import { describe, expect, it } from 'vitest';
import * as route from '../../../app/api/[[...unknown]]/route';
import { API_NOT_FOUND } from '../../../app/api/[[...unknown]]/not-found';
import { getSortedRoutes } from 'next/dist/shared/lib/router/utils/sorted-routes';
import { isApiPath, requirementFor } from '../../../lib/auth/access-policy';
import { appRoutes } from '../../helpers/routes';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

describe('app/api/[[...unknown]]', () => {
  it.each(METHODS)('answers %s with a 404 in the problem shape, naming the path', async (method) => {
    const res = await route[method](new Request('http://127.0.0.1:3000/api/v1/nothing/here?token=secret-value&x=1', { method, body: method === 'GET' ? undefined : '{}' }));
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as { error: { code: string; message: string; path: string } };
    expect(Object.keys(body)).toEqual(['error']);
    expect(body.error).toEqual({ code: API_NOT_FOUND, message: expect.stringContaining(`${method} /api/v1/nothing/here`), path: '/api/v1/nothing/here' });
    expect(JSON.stringify(body)).not.toContain('secret-value');
  });

  it('serves every method the API routes use', () => {
    const mine = appRoutes().find((r) => r.pattern === '/api/[[...unknown]]');
    expect(mine?.methods.sort()).toEqual([...METHODS].sort());
  });

  it('is the only catch-all at /api, so it shadows no route', () => {
    const api = appRoutes().filter((r) => !r.page && r.pattern.startsWith('/api/'));
    expect(api.length).toBeGreaterThan(20);
    const topCatchAlls = api.filter((r) => /^\/api\/\[\[?\.\.\./.test(r.pattern));
    expect(topCatchAlls.map((r) => r.pattern)).toEqual(['/api/[[...unknown]]']);
    // Every other route starts with a fixed segment (v1, ...): more specific than the catch-all.
    for (const r of api.filter((x) => x.pattern !== '/api/[[...unknown]]')) expect(r.pattern, r.pattern).toMatch(/^\/api\/[a-z0-9-]+(\/|$)/);
  });

  it('is for signed-in callers only: anonymous callers are refused by the gate first; writes need an editor', () => {
    for (const path of ['/api/v1/nothing/here', '/api']) {
      for (const m of METHODS) expect(requirementFor(m, path)).toEqual({ kind: 'role', role: m === 'GET' ? 'viewer' : 'editor' });
      expect(isApiPath(path), path).toBe(true);
    }
  });

  it('answers /api itself (an optional catch-all), and Next accepts it beside every other route', async () => {
    const res = await route.GET(new Request('http://127.0.0.1:3000/api'));
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { path: string } }).error.path).toBe('/api');
    // Next's own check of the route tree (what `next build` runs): throws on a pattern that
    // clashes with an optional catch-all, e.g. an app/api/route.ts beside it.
    const patterns = appRoutes().map((r) => r.pattern);
    expect(() => getSortedRoutes(patterns)).not.toThrow();
    expect(() => getSortedRoutes([...patterns, '/api'])).toThrow(/optional catch-all/);
  });
});
