/**
 * Paths nothing serves, on the real built server (issue 19): under /api a JSON 404 in the
 * problem shape for every method (never Next's HTML page), without shadowing a real route,
 * ingest or sign-in; elsewhere the themed 404 page with a way back. Anonymous callers are
 * still refused first (401 on the API, the sign-in page otherwise).
 *
 * Needs a build (`npm run build`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken, startServer, type RunningServer } from '../helpers/server';

let server: RunningServer;
let viewer: string;
let admin: string;

beforeAll(async () => {
  server = await startServer();
  viewer = await createApiToken(server, 'viewer');
  admin = await createApiToken(server, 'admin');
}, 120_000);
afterAll(async () => {
  await server?.dispose();
});

interface NotFound {
  error: { code: string; message: string; path: string };
}

const call = (path: string, method: string, token: string) =>
  fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(method === 'GET' || method === 'HEAD' ? {} : { 'content-type': 'application/json' }) },
    body: method === 'GET' || method === 'HEAD' ? undefined : '{}',
  });

describe('unknown API paths', () => {
  it.each(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'])('answer %s with a JSON 404 naming the path', async (method) => {
    for (const path of ['/api/v1/nothing-here', '/api/v2/alerts', '/api/v1/paths/3/extra/segments', '/api/whatever', '/api']) {
      const res = await call(`${path}?utm_source=chat`, method, admin);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const body = (await res.json()) as NotFound;
      expect(body.error.code).toBe('API_ERR_NOT_FOUND');
      expect(body.error.path).toBe(path);
      expect(body.error.message).toContain(`${method} ${path}`);
      // The query is not echoed.
      expect(JSON.stringify(body)).not.toContain('utm_source');
    }
  });

  it('answer a viewer\'s read with the JSON 404 too, and refuse a viewer\'s write (editors write)', async () => {
    for (const path of ['/api/v1/nothing-here', '/api']) {
      const res = await call(path, 'GET', viewer);
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as NotFound).error.code).toBe('API_ERR_NOT_FOUND');
      expect((await call(path, 'POST', viewer)).status, path).toBe(403);
    }
  });

  it('answer HEAD with a 404 and no body', async () => {
    const res = await call('/api/v1/nothing-here', 'HEAD', admin);
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('');
  });

  it('refuse anonymous callers first, as every API path does', async () => {
    for (const path of ['/api/v1/nothing-here', '/api']) {
      const res = await fetch(`${server.url}${path}`, { redirect: 'manual' });
      expect(res.status, path).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('AUTH_ERR_UNAUTHENTICATED');
    }
  });

  it('shadow no real route, nor ingest, nor sign-in', async () => {
    expect((await call('/api/v1/drops', 'GET', viewer)).status).toBe(200);
    expect((await call('/api/v1/paths', 'GET', viewer)).status).toBe(200);
    // A method a real route does not serve stays that route's 405, not a 404.
    expect((await call('/api/v1/drops', 'DELETE', admin)).status).toBe(405);
    // A real route's own 404 (an id that does not exist) keeps its own code.
    const path = await call('/api/v1/paths/999999', 'GET', viewer);
    expect(path.status).toBe(404);
    expect(((await path.json()) as NotFound).error.code).not.toBe('API_ERR_NOT_FOUND');
    // Ingest without a probe token: refused by ingest itself, not "no such API".
    const ingest = await fetch(`${server.url}/api/v1/ingest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(ingest.status).toBe(401);
    // better-auth's own endpoint still answers (a bad sign-in is its 4xx, not ours).
    const signIn = await fetch(`${server.url}/api/auth/sign-in/email`, { method: 'POST', headers: { 'content-type': 'application/json', origin: server.url }, body: JSON.stringify({ email: 'nobody@example.com', password: 'wrong-password-here' }) });
    expect(signIn.status).toBeGreaterThanOrEqual(400);
    expect(((await signIn.json()) as { error?: { code?: string } }).error?.code).not.toBe('API_ERR_NOT_FOUND');
  });
});

describe('unknown pages', () => {
  it('render the themed 404 page with a way back, status 404', async () => {
    const res = await fetch(`${server.url}/handshake/nothing`, { headers: { cookie: await server.adminCookie() } });
    expect(res.status).toBe(404);
    const html = await res.text();
    expect(html).toContain('data-testid="not-found"');
    expect(html).toContain('href="/"');
    // The site's own chrome: the header and its navigation.
    expect(html).toContain('class="site-header"');
    expect(html).toMatch(/<title>Not found · dropscope<\/title>/);
  });

  it('send anonymous callers to sign in first', async () => {
    const res = await fetch(`${server.url}/nothing`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/sign-in\?next=/);
  });

  it('serve the favicon and the icon to anyone', async () => {
    for (const [path, type] of [['/favicon.ico', /^image\/(x-icon|vnd\.microsoft\.icon)/], ['/icon.svg', /^image\/svg\+xml/]] as const) {
      const res = await fetch(`${server.url}${path}`, { redirect: 'manual' });
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toMatch(type);
    }
  });
});
