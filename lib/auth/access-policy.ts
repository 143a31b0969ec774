/**
 * Who may call what: one table for every route, page and socket of the server, read by the
 * HTTP gate (server/auth/gate.ts) before anything else runs. Patterns are written as Next's
 * file routes are (`[id]` one segment, `[...rest]` one or more, `[[...rest]]` none or more);
 * the first rule that matches wins. What no rule names is readable by viewers and writable
 * by admins only, so a page or path added without a rule is never open to anonymous callers.
 * An API path no rule names falls to the catch-all of API paths no route serves (the last
 * rule): readable by viewers, writable by editors, so an API route added without a rule of
 * its own is never writable by viewers (the policy's test fails on it first).
 *
 * test/lib/auth/access-policy.test.ts checks every route file under app/ has a rule for
 * each method it exports; test/e2e/access.test.ts walks them all against a real server.
 */
import type { Role } from './roles';

export type Requirement =
  /** Anyone: sign-in, the first admin's setup, static assets, the canary target. */
  | { kind: 'public' }
  /** Probes and canary targets with their own tokens; the ingest route checks them. */
  | { kind: 'probe' }
  | { kind: 'role'; role: Role };

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface AccessRule {
  pattern: string;
  /** Per method; `*` for every method not listed. HEAD and OPTIONS count as GET. */
  methods: Partial<Record<Method | '*', Requirement>>;
}

const PUBLIC: Requirement = { kind: 'public' };
const viewer: Requirement = { kind: 'role', role: 'viewer' };
const editor: Requirement = { kind: 'role', role: 'editor' };
const admin: Requirement = { kind: 'role', role: 'admin' };
/** Readable by viewers, changed by editors. */
const edited = { GET: viewer, '*': editor } as const;

export const ACCESS_RULES: readonly AccessRule[] = [
  { pattern: '/_next/[...rest]', methods: { GET: PUBLIC } },
  { pattern: '/icon.svg', methods: { GET: PUBLIC } },
  { pattern: '/favicon.ico', methods: { GET: PUBLIC } },
  // better-auth's endpoints (sign-in, sign-out, OAuth callbacks) guard themselves: rate
  // limits, their own Origin check on writes.
  { pattern: '/api/auth/[...rest]', methods: { '*': PUBLIC } },
  { pattern: '/sign-in', methods: { GET: PUBLIC } },
  { pattern: '/setup', methods: { GET: PUBLIC } },
  { pattern: '/api/v1/setup', methods: { POST: PUBLIC } },
  { pattern: '/canary', methods: { GET: PUBLIC } },
  { pattern: '/api/v1/ingest', methods: { POST: { kind: 'probe' } } },
  // A probe's own plan and its report on it: the routes authenticate the token themselves,
  // and take no probe id (app/api/v1/probe/authenticate.ts).
  { pattern: '/api/v1/probe/plan', methods: { GET: { kind: 'probe' } } },
  { pattern: '/api/v1/probe/plan/status', methods: { POST: { kind: 'probe' } } },
  { pattern: '/metrics', methods: { GET: viewer } },
  { pattern: '/socket.io/[...rest]', methods: { '*': viewer } },
  { pattern: '/api/v1/me', methods: { GET: viewer } },
  // The reports.
  ...['overview', 'drops', 'analysis', 'paths', 'paths/[id]', 'sessions', 'sessions/[id]', 'handshakes', 'alerts'].map((r) => ({ pattern: `/api/v1/${r}`, methods: { GET: viewer } })),
  { pattern: '/api/v1/alert-rules', methods: edited },
  { pattern: '/api/v1/alert-rules/[id]', methods: edited },
  // Silences (issue 19): anyone may see what is muted; editors mute and end.
  { pattern: '/api/v1/silences', methods: edited },
  { pattern: '/api/v1/silences/[id]', methods: edited },
  // The fleet plan: what probes run. A proxy URL holds no credentials (only ${VAR}s).
  { pattern: '/api/v1/plan', methods: edited },
  { pattern: '/api/v1/plan/[...rest]', methods: edited },
  // A receiver's URL can hold its own secret (Slack puts it in the path): editors only.
  { pattern: '/api/v1/webhooks', methods: { '*': editor } },
  { pattern: '/api/v1/webhooks/[...rest]', methods: { '*': editor } },
  { pattern: '/api/v1/probes', methods: { GET: viewer, '*': admin } },
  { pattern: '/api/v1/probes/[...rest]', methods: { GET: viewer, '*': admin } },
  { pattern: '/api/v1/users', methods: { '*': admin } },
  { pattern: '/api/v1/users/[...rest]', methods: { '*': admin } },
  { pattern: '/api/v1/tokens', methods: { '*': admin } },
  { pattern: '/api/v1/tokens/[...rest]', methods: { '*': admin } },
  { pattern: '/api/v1/audit', methods: { '*': admin } },
  { pattern: '/admin', methods: { '*': admin } },
  { pattern: '/admin/[...rest]', methods: { '*': admin } },
  // Last: API paths no route serves, /api itself included (app/api/[[...unknown]]), answer a
  // JSON 404: to viewers when they read (HEAD and OPTIONS count as GET), to editors for any
  // other method. Every real API route has a rule of its own above (the policy's test checks
  // it); should one be added without, it is readable by viewers and writable by editors at
  // most, never writable by every viewer as a `*: viewer` catch-all made it.
  { pattern: '/api/[[...unknown]]', methods: edited },
];

/** What no rule names. */
export const DEFAULT_METHODS: AccessRule['methods'] = { GET: viewer, '*': admin };

function segmentsMatch(pattern: string, pathname: string): boolean {
  const want = pattern.split('/').filter(Boolean);
  const have = pathname.split('/').filter(Boolean);
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    if (w.startsWith('[[...')) return true;
    if (w.startsWith('[...')) return have.length > i;
    if (i >= have.length) return false;
    if (w.startsWith('[')) continue;
    if (w !== have[i]) return false;
  }
  return want.length === have.length;
}

function normalMethod(method: string): Method | string {
  const m = method.toUpperCase();
  return m === 'HEAD' || m === 'OPTIONS' ? 'GET' : m;
}

/** The rule for a path, or undefined when only the default applies. */
export function ruleFor(pathname: string): AccessRule | undefined {
  return ACCESS_RULES.find((r) => segmentsMatch(r.pattern, pathname));
}

/** A method a rule does not name needs an admin (the route answers 405 to them anyway). */
export function requirementFor(method: string, pathname: string): Requirement {
  const methods = ruleFor(pathname)?.methods ?? DEFAULT_METHODS;
  const m = normalMethod(method) as Method;
  return methods[m] ?? methods['*'] ?? admin;
}

/** Answered as JSON (401/403) rather than by sending the browser to the sign-in page. */
export function isApiPath(pathname: string): boolean {
  return pathname === '/api' || pathname.startsWith('/api/') || pathname === '/metrics' || pathname.startsWith('/socket.io/');
}

/** Methods that change something: cookie-authenticated ones must come from our own Origin. */
export function isWrite(method: string): boolean {
  return normalMethod(method) !== 'GET';
}
