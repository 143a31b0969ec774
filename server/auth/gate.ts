/**
 * The door every HTTP request and socket.io connection passes first (server.ts): it finds
 * who is asking (a signed-in person's session cookie, an API token, a probe token), checks
 * the route's requirement (lib/auth/access-policy.ts), refuses writes that a browser sent
 * from another Origin, sets the security headers, and serves the request in the scope of
 * its principal (current.ts) so the handlers can record who wrote what.
 *
 * Anonymous callers get 401 on the API and are sent to the sign-in page otherwise; a role
 * too low for the route gets 403.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fromNodeHeaders } from 'better-auth/node';
import type { Database } from '../../db/client';
import { authenticateApiToken } from '../../db/queries/api-tokens';
import { authenticateProbe } from '../../db/queries/probes';
import { isApiPath, isWrite, requirementFor, type Requirement } from '../../lib/auth/access-policy';
import { clientAddress } from '../../lib/http/client-address';
import type { OutboundAllowList } from '../../lib/net/allow-list';
import { isRole, roleAtLeast, roleOf, type Principal, type Role } from '../../lib/auth/roles';
import type { Logger } from '../../lib/log';
import { isHealthPath } from '../health';
import { CLIENT_IP_HEADER, type Auth } from './auth';
import { runAsPrincipal } from './current';
import { createLastKnown } from './last-known';
import { securityHeaders } from './security-headers';

export interface GateOptions {
  auth: Auth;
  database: Database;
  /** DROPSCOPE_PUBLIC_URL: the one Origin writes may come from; otherwise the request's own. */
  publicUrl?: string;
  /** Next's dev server needs eval and its HMR socket. */
  dev: boolean;
  /** DROPSCOPE_TRUSTED_PROXIES: whose X-Forwarded-For names the client (sign-in limits). */
  trustedProxies?: OutboundAllowList | null;
  log: Logger;
  now?: () => Date;
}

export type Refusal = { status: 401 | 403; code: string; message: string };

export interface Gate {
  /** Refuse `req`, or call `serve` in the scope of its principal (null on public routes). */
  handle(req: IncomingMessage, res: ServerResponse, serve: () => void): void;
  /** Who is asking: a session cookie or a bearer token; null when neither is valid. */
  principalOf(req: IncomingMessage): Promise<Principal | null>;
  /** For socket.io's allowRequest: null to accept, or why not. */
  admitSocket(req: IncomingMessage): Promise<Refusal | null>;
}

export function createGate(options: GateOptions): Gate {
  const { auth, database, log } = options;
  const now = options.now ?? (() => new Date());
  const headers = securityHeaders({ dev: options.dev, https: options.publicUrl?.startsWith('https:') ?? false });
  const publicOrigin = options.publicUrl ? new URL(options.publicUrl).origin : null;

  const lastKnown = createLastKnown();

  /** What the database says of a credential; while it cannot be asked, what it said last (last-known.ts). */
  async function verified(credential: string, lookup: () => Promise<Principal | null>): Promise<Principal | null> {
    try {
      const principal = await lookup();
      lastKnown.remember(credential, principal, now().getTime());
      return principal;
    } catch (err) {
      const known = lastKnown.recall(credential, now().getTime());
      if (known) return known;
      throw err;
    }
  }

  async function principalOf(req: IncomingMessage): Promise<Principal | null> {
    const authorization = req.headers.authorization;
    if (authorization) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      if (!m) return null;
      const token = m[1]!;
      if (token.startsWith('dsa_')) {
        return verified(token, async () => {
          const t = await authenticateApiToken(database.db, token, now());
          return t && { kind: 'token', id: t.id, name: t.name, role: t.role };
        });
      }
      if (token.startsWith('dsp_')) {
        const p = await authenticateProbe(database.db, token);
        return p && { kind: 'probe', id: p.id, name: p.name, probeKind: p.kind };
      }
      return null;
    }
    // better-auth's session cookie (`__Secure-` when served over https); other cookies do not matter.
    const session = /(?:^|;\s*)(?:__Secure-)?dropscope\.session_token=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    if (!session) return null;
    return verified(session, async () => {
      const found = await auth.api.getSession({ headers: fromNodeHeaders(req.headers) });
      if (!found) return null;
      const role = (found.user as { role?: unknown }).role;
      if (!isRole(role)) return null;
      return { kind: 'user', id: found.user.id, name: found.user.name, email: found.user.email, role };
    });
  }

  /** The Origin a browser on our own pages sends. */
  function ownOrigin(req: IncomingMessage): string | null {
    if (publicOrigin) return publicOrigin;
    const host = req.headers.host;
    if (!host) return null;
    const tls = (req.socket as { encrypted?: boolean }).encrypted === true;
    return `${tls ? 'https' : 'http'}://${host}`;
  }

  /** A cookie is ambient: a browser sends it from any page, so the page must be ours. */
  function foreignOrigin(req: IncomingMessage, principal: Principal | null): boolean {
    if (principal?.kind !== 'user') return false;
    const origin = req.headers.origin;
    return !origin || origin !== ownOrigin(req);
  }

  async function check(req: IncomingMessage, pathname: string): Promise<{ principal: Principal | null } | Refusal> {
    // Load balancers and systemd probe these without credentials (server/health.ts); they say
    // only whether the process serves and is ready, never anything of the data.
    const need: Requirement = isHealthPath(pathname) ? { kind: 'public' } : requirementFor(req.method ?? 'GET', pathname);
    if (need.kind === 'public' || need.kind === 'probe') return { principal: null };
    const principal = await principalOf(req);
    if (!principal) {
      return { status: 401, code: 'AUTH_ERR_UNAUTHENTICATED', message: 'sign in, or send an API token as "Authorization: Bearer dsa_..."' };
    }
    const role = roleOf(principal);
    if (role === null) {
      return { status: 403, code: 'AUTH_ERR_FORBIDDEN', message: 'a probe token may only use /api/v1/ingest and /api/v1/probe/plan' };
    }
    if (!roleAtLeast(role, need.role)) {
      return { status: 403, code: 'AUTH_ERR_FORBIDDEN', message: `this needs the ${need.role} role; you have ${role}` };
    }
    if (isWrite(req.method ?? 'GET') && foreignOrigin(req, principal)) {
      return { status: 403, code: 'AUTH_ERR_ORIGIN', message: 'a write from a browser must come from this dashboard\'s own pages (Origin does not match)' };
    }
    return { principal };
  }

  function refuse(req: IncomingMessage, res: ServerResponse, pathname: string, refusal: Refusal): void {
    if (refusal.status === 401 && !isApiPath(pathname)) {
      const back = req.url ?? '/';
      res.writeHead(303, { location: `/sign-in?next=${encodeURIComponent(back)}` }).end();
      return;
    }
    const body = JSON.stringify({ error: { code: refusal.code, message: refusal.message } });
    res.writeHead(refusal.status, {
      'content-type': 'application/json',
      ...(refusal.status === 401 ? { 'www-authenticate': 'Bearer realm="dropscope"' } : {}),
    });
    res.end(body);
  }

  return {
    principalOf,
    handle(req, res, serve) {
      for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
      // better-auth limits sign-in per client address: the socket's (or what a trusted proxy
      // says it saw), never a header a client chose.
      req.headers[CLIENT_IP_HEADER] = clientAddress(req.socket.remoteAddress ?? '', req.headers['x-forwarded-for'], options.trustedProxies ?? null);
      const pathname = new URL(req.url ?? '/', 'http://x').pathname;
      check(req, pathname).then(
        (result) => {
          if ('status' in result) refuse(req, res, pathname, result);
          else runAsPrincipal(result.principal, serve);
        },
        (err: unknown) => {
          log.error({ err, url: pathname }, 'could not check the request\'s credentials');
          if (!res.headersSent) {
            res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '5' });
            res.end(JSON.stringify({ error: { code: 'AUTH_ERR_UNAVAILABLE', message: 'credentials cannot be checked now (is the database reachable?); retry in 5 s' } }));
          }
        },
      );
    },
    async admitSocket(req) {
      const principal = await principalOf(req);
      if (!principal) return { status: 401, code: 'AUTH_ERR_UNAUTHENTICATED', message: 'sign in first' };
      const role: Role | null = roleOf(principal);
      if (role === null) return { status: 403, code: 'AUTH_ERR_FORBIDDEN', message: 'probe tokens do not read' };
      // socket.io's WebSocket transport is not bound by CORS: check the page it came from.
      // Browsers send Origin on every upgrade and POST; a same-origin polling GET comes without
      // one (and another site could not read its answer, nor send our Lax cookie with it).
      if (principal.kind === 'user') {
        const origin = req.headers.origin;
        const bareGet = req.method === 'GET' && !req.headers.upgrade;
        if (origin === undefined ? !bareGet : origin !== ownOrigin(req)) return { status: 403, code: 'AUTH_ERR_ORIGIN', message: 'foreign Origin' };
      }
      return null;
    },
  };
}
