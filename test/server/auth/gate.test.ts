/**
 * The gate with real parts: better-auth over PGlite and PostgreSQL, a real HTTP server,
 * real sign-in with a password. The handler behind the gate answers with the principal it
 * was given, so each test sees exactly what a route handler would.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../db/client';
import { createApiToken, revokeApiToken } from '../../../db/queries/api-tokens';
import { addProbe } from '../../../db/queries/probes';
import { createPasswordUser } from '../../../db/queries/users';
import { parseAuthConfig } from '../../../lib/config/auth-env';
import { SecretKey } from '../../../lib/crypto/secret-box';
import { rootLogger } from '../../../lib/log';
import { AUTH_BASE_PATH, createAuth, createAuthHandler } from '../../../server/auth/auth';
import { currentPrincipal } from '../../../server/auth/current';
import { createGate } from '../../../server/auth/gate';
import { backends } from '../../helpers/databases';

const PASSWORD = 'correct horse battery';
const log = rootLogger().child({}, { level: 'silent' });

for (const backend of backends()) {
  describe(`the gate (${backend.name})`, () => {
    let database: Database;
    let server: Server;
    let base: string;
    const cookies: Record<string, string> = {};
    let closed = false;

    beforeAll(async () => {
      database = await backend.open();
      const auth = createAuth({ database, config: parseAuthConfig({}), secretKey: new SecretKey(Buffer.alloc(32, 7)), log });
      const gate = createGate({ auth, database, dev: false, log });
      const serveAuth = createAuthHandler(auth);
      server = createServer((req, res) =>
        gate.handle(req, res, () => {
          if (req.url?.startsWith(`${AUTH_BASE_PATH}/`)) return void serveAuth(req, res);
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ principal: currentPrincipal() }));
        }),
      );
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const now = new Date();
      for (const role of ['viewer', 'editor', 'admin'] as const) {
        await createPasswordUser(database.db, { email: `${role}@example.test`, name: role, role, password: PASSWORD }, now);
        const res = await fetch(`${base}/api/auth/sign-in/email`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin: base },
          body: JSON.stringify({ email: `${role}@example.test`, password: PASSWORD }),
        });
        expect(res.status).toBe(200);
        cookies[role] = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
        expect(cookies[role]).toMatch(/dropscope\.session_token=/);
      }
    }, 60_000);

    afterAll(async () => {
      await new Promise<void>((resolve) => server?.close(() => resolve()));
      if (!closed) await database?.close();
    });

    const as = (role: string, init: RequestInit = {}) => ({ ...init, headers: { ...(init.headers as Record<string, string>), cookie: cookies[role]! } });

    it('sends anonymous API callers a 401 and pages to the sign-in page', async () => {
      const api = await fetch(`${base}/api/v1/drops?range=24h`);
      expect(api.status).toBe(401);
      expect(api.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(((await api.json()) as { error: { code: string } }).error.code).toBe('AUTH_ERR_UNAUTHENTICATED');
      const page = await fetch(`${base}/drops?range=24h`, { redirect: 'manual' });
      expect(page.status).toBe(303);
      expect(page.headers.get('location')).toBe('/sign-in?next=%2Fdrops%3Frange%3D24h');
      expect((await fetch(`${base}/sign-in`)).status).toBe(200);
    });

    it('hands the handler the signed-in person, with their role', async () => {
      const res = await fetch(`${base}/api/v1/drops`, as('viewer'));
      expect(res.status).toBe(200);
      const { principal } = (await res.json()) as { principal: { kind: string; email: string; role: string } };
      expect(principal).toMatchObject({ kind: 'user', email: 'viewer@example.test', role: 'viewer' });
    });

    it('refuses a write below its role, and a cookie write from another Origin or none', async () => {
      const body = { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', origin: base } };
      expect((await fetch(`${base}/api/v1/alert-rules`, as('viewer', body))).status).toBe(403);
      expect((await fetch(`${base}/api/v1/alert-rules`, as('editor', body))).status).toBe(200);
      expect((await fetch(`${base}/api/v1/users`, as('editor', body))).status).toBe(403);
      expect((await fetch(`${base}/api/v1/users`, as('admin', body))).status).toBe(200);
      const foreign = await fetch(`${base}/api/v1/alert-rules`, as('editor', { ...body, headers: { ...body.headers, origin: 'http://evil.example' } }));
      expect(foreign.status).toBe(403);
      expect(((await foreign.json()) as { error: { code: string } }).error.code).toBe('AUTH_ERR_ORIGIN');
      const none = await fetch(`${base}/api/v1/alert-rules`, as('editor', { method: 'DELETE' }));
      expect(none.status).toBe(403);
    });

    it('takes API tokens with their role until revoked or expired, without an Origin', async () => {
      const now = new Date();
      const { record, token } = await createApiToken(database.db, { name: 'ci', role: 'editor', expiresAt: null, createdBy: null }, now);
      const bearer = (t: string, init: RequestInit = {}) => ({ ...init, headers: { authorization: `Bearer ${t}` } });
      expect((await fetch(`${base}/api/v1/alert-rules`, bearer(token, { method: 'POST' }))).status).toBe(200);
      expect((await fetch(`${base}/api/v1/tokens`, bearer(token, { method: 'POST' }))).status).toBe(403);
      await revokeApiToken(database.db, record.id, now);
      expect((await fetch(`${base}/api/v1/drops`, bearer(token))).status).toBe(401);
      const expired = await createApiToken(database.db, { name: 'old', role: 'viewer', expiresAt: new Date(now.getTime() - 1000), createdBy: null }, now);
      expect((await fetch(`${base}/api/v1/drops`, bearer(expired.token))).status).toBe(401);
      expect((await fetch(`${base}/api/v1/drops`, bearer(`${token.slice(0, -2)}AA`))).status).toBe(401);
    });

    it('lets a probe token post to ingest only', async () => {
      const { token } = await addProbe(database.db, { name: 'edge-1', labels: {} });
      const read = await fetch(`${base}/api/v1/drops`, { headers: { authorization: `Bearer ${token}` } });
      expect(read.status).toBe(403);
      // Ingest authenticates probes itself: the gate lets it through with no principal.
      const ingest = await fetch(`${base}/api/v1/ingest`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      expect(((await ingest.json()) as { principal: unknown }).principal).toBeNull();
    });

    it('limits password guesses per client address', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) {
        const res = await fetch(`${base}/api/auth/sign-in/email`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin: base, 'x-forwarded-for': `10.0.0.${i}`, 'x-dropscope-client-ip': `10.9.9.${i}` },
          body: JSON.stringify({ email: 'admin@example.test', password: 'wrong password!' }),
        });
        statuses.push(res.status);
      }
      // Five sign-ins a minute from one address (the three in beforeAll count), whatever
      // forwarding headers the client sets: they do not change the address.
      expect(statuses).toEqual([401, 401, 429, 429, 429, 429, 429]);
    });

    it('keeps serving credentials it verified while the database is away, and no others', async () => {
      const { token } = await createApiToken(database.db, { name: 'scraper', role: 'viewer', expiresAt: null, createdBy: null }, new Date());
      const bearer = (t: string) => ({ headers: { authorization: `Bearer ${t}` } });
      expect((await fetch(`${base}/metrics`, bearer(token))).status).toBe(200);
      const never = await createApiToken(database.db, { name: 'never used', role: 'viewer', expiresAt: null, createdBy: null }, new Date());
      await database.close();
      closed = true;
      expect((await fetch(`${base}/api/v1/drops`, as('viewer'))).status).toBe(200);
      expect((await fetch(`${base}/metrics`, bearer(token))).status).toBe(200);
      // Never checked while the database was up: cannot be now.
      const unknown = await fetch(`${base}/metrics`, bearer(never.token));
      expect(unknown.status).toBe(503);
      expect(unknown.headers.get('retry-after')).toBe('5');
      expect((await fetch(`${base}/api/v1/drops`)).status).toBe(401);
    });

    it('sets the security headers on every answer', async () => {
      for (const res of [await fetch(`${base}/sign-in`), await fetch(`${base}/api/v1/drops`)]) {
        expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('x-frame-options')).toBe('DENY');
        expect(res.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
      }
    });
  });
}
