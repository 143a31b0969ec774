/**
 * The plan and probe-plan route handlers behind the real access gate, in this process: a
 * node HTTP server on 127.0.0.1:0 whose requests pass the gate (API tokens, probe tokens)
 * and then reach the route modules as Next would call them, and (with `ingest`) the ingest
 * handler as server.ts serves it, so a real probe can run against it. No build needed.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { installDatabase, uninstallDatabase, type Database } from '../../../../../db/client';
import { createApiToken } from '../../../../../db/queries/api-tokens';
import { addProbe } from '../../../../../db/queries/probes';
import { parseAuthConfig } from '../../../../../lib/config/auth-env';
import { SecretKey } from '../../../../../lib/crypto/secret-box';
import { rootLogger } from '../../../../../lib/log';
import { createAuth } from '../../../../../server/auth/auth';
import { createGate } from '../../../../../server/auth/gate';
import * as planRoute from '../../../../../app/api/v1/plan/route';
import * as targets from '../../../../../app/api/v1/plan/targets/route';
import * as target from '../../../../../app/api/v1/plan/targets/[id]/route';
import * as proxies from '../../../../../app/api/v1/plan/proxies/route';
import * as proxy from '../../../../../app/api/v1/plan/proxies/[id]/route';
import * as profiles from '../../../../../app/api/v1/plan/profiles/route';
import * as profile from '../../../../../app/api/v1/plan/profiles/[id]/route';
import * as paths from '../../../../../app/api/v1/plan/paths/route';
import * as pathItem from '../../../../../app/api/v1/plan/paths/[id]/route';
import * as chains from '../../../../../app/api/v1/plan/chains/route';
import * as chain from '../../../../../app/api/v1/plan/chains/[id]/route';
import * as experiments from '../../../../../app/api/v1/plan/experiments/route';
import { ingestDeps } from '../../../../../app/api/v1/ingest/deps';
import { isIngestRequest } from '../../../../../app/api/v1/ingest/node';
import { serveIngest } from '../../../../../lib/ingest/serve-node';
import * as probePlan from '../../../../../app/api/v1/probe/plan/route';
import * as probePlanStatus from '../../../../../app/api/v1/probe/plan/status/route';

type Handler = (request: Request, ctx: { params: Promise<{ id: string }> }) => Promise<Response>;
type RouteModule = Partial<Record<'GET' | 'POST' | 'PUT' | 'DELETE', Handler>>;

const COLLECTIONS: Record<string, [RouteModule, RouteModule]> = {
  targets: [targets, target],
  proxies: [proxies, proxy],
  profiles: [profiles, profile],
  paths: [paths, pathItem],
  chains: [chains, chain],
};

function route(pathname: string): { module: RouteModule; id?: string } | null {
  if (pathname === '/api/v1/plan') return { module: planRoute };
  if (pathname === '/api/v1/plan/experiments') return { module: experiments };
  if (pathname === '/api/v1/probe/plan') return { module: probePlan };
  if (pathname === '/api/v1/probe/plan/status') return { module: probePlanStatus };
  const m = /^\/api\/v1\/plan\/([a-z]+)(?:\/([^/]+))?$/.exec(pathname);
  const pair = m && COLLECTIONS[m[1]!];
  if (!pair) return null;
  return m[2] === undefined ? { module: pair[0] } : { module: pair[1], id: decodeURIComponent(m[2]) };
}

async function toRequest(req: IncomingMessage, base: string): Promise<Request> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  return new Request(new URL(req.url ?? '/', base), { method: req.method, headers, ...(hasBody && { body: Buffer.concat(chunks) }) });
}

export interface PlanRoutesServer {
  base: string;
  close(): Promise<void>;
}

/** Serve the routes on `database`, which is installed as the process's until close(). */
export async function servePlanRoutes(database: Database, options: { ingest?: boolean } = {}): Promise<PlanRoutesServer> {
  installDatabase(database);
  const log = rootLogger().child({}, { level: 'silent' });
  const auth = createAuth({ database, config: parseAuthConfig({}), secretKey: new SecretKey(Buffer.alloc(32, 7)), log });
  const gate = createGate({ auth, database, dev: false, log });
  const ingest = options.ingest ? ingestDeps(database.db, { publisher: { publish() {} }, maxBodyBytes: 1024 * 1024, log }) : null;
  let base = '';
  const server: Server = createServer((req, res) =>
    gate.handle(req, res, () => {
      void (async () => {
        if (ingest && isIngestRequest(req)) return void (await serveIngest(req, res, ingest));
        const found = route(new URL(req.url ?? '/', base).pathname);
        const handler = found?.module[req.method as 'GET'];
        const response = handler ? await handler(await toRequest(req, base), { params: Promise.resolve({ id: found!.id ?? '' }) }) : new Response(null, { status: found ? 405 : 404 });
        res.writeHead(response.status, Object.fromEntries(response.headers));
        res.end(Buffer.from(await response.arrayBuffer()));
      })().catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String((err as Error).stack ?? err));
      });
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    close: async () => {
      // A probe's keep-alive connections would hold close() open.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      uninstallDatabase(database);
    },
  };
}

/** Who calls the plan API in its tests: a viewer's or an editor's API token, or a probe's. */
export type PlanCaller = 'viewer' | 'editor' | 'probe';

/** A token of each caller, issued on `database` (the probe is `edge-1`). */
export async function planTokens(database: Database): Promise<Record<PlanCaller, string>> {
  const now = new Date();
  return {
    viewer: (await createApiToken(database.db, { name: 'v', role: 'viewer', expiresAt: null, createdBy: null }, now)).token,
    editor: (await createApiToken(database.db, { name: 'e', role: 'editor', expiresAt: null, createdBy: null }, now)).token,
    probe: (await addProbe(database.db, { name: 'edge-1', labels: {} })).token,
  };
}

/** `method` `route` on `server` with `token`, and `body` as JSON when given. */
export function callWith(server: PlanRoutesServer, token: string, route: string, method = 'GET', body?: unknown): Promise<Response> {
  return fetch(`${server.base}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
}
