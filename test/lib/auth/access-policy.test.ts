import { describe, expect, it } from 'vitest';
import { ACCESS_RULES, requirementFor, ruleFor } from '../../../lib/auth/access-policy';
import { appRoutes, samplePath } from '../../helpers/routes';

describe('the access policy', () => {
  const routes = appRoutes();

  it('finds the routes (the walk itself works)', () => {
    expect(routes.find((r) => r.pattern === '/api/v1/alert-rules/[id]')?.methods.sort()).toEqual(['DELETE', 'GET', 'PUT']);
    expect(routes.find((r) => r.pattern === '/api/v1/plan/paths/[id]')?.methods.sort()).toEqual(['DELETE', 'GET', 'PUT']);
    expect(routes.find((r) => r.pattern === '/api/v1/probe/plan')?.methods).toEqual(['GET']);
    expect(routes.filter((r) => r.page).length).toBeGreaterThan(8);
  });

  it('names every API route in a rule of its own, so none falls to the default by accident', () => {
    // The catch-all's rule (unknown API paths: a JSON 404) matches any API path: a real route
    // must be named by a rule before it.
    const unnamed = routes.filter((r) => !r.page && r.pattern !== '/api/[[...unknown]]' && (ruleFor(samplePath(r.pattern))?.pattern ?? '/api/[[...unknown]]') === '/api/[[...unknown]]');
    expect(unnamed.map((r) => r.pattern)).toEqual([]);
    expect(ruleFor('/api/x')?.pattern).toBe('/api/[[...unknown]]');
    // The optional catch-all: /api itself too, and nothing outside /api.
    expect(ruleFor('/api')?.pattern).toBe('/api/[[...unknown]]');
    expect(ruleFor('/apix')?.pattern).toBeUndefined();
  });

  it('opens only what must be open to anonymous callers', () => {
    const open = routes.flatMap((r) => r.methods.filter((m) => requirementFor(m, samplePath(r.pattern)).kind === 'public').map((m) => `${m} ${r.pattern}`));
    expect(open.sort()).toEqual(['GET /setup', 'GET /sign-in', 'POST /api/v1/setup']);
  });

  it('lets viewers read, editors change alerting, admins manage access', () => {
    expect(requirementFor('GET', '/api/v1/drops')).toEqual({ kind: 'role', role: 'viewer' });
    expect(requirementFor('HEAD', '/drops')).toEqual({ kind: 'role', role: 'viewer' });
    expect(requirementFor('PUT', '/api/v1/alert-rules/3')).toEqual({ kind: 'role', role: 'editor' });
    expect(requirementFor('GET', '/api/v1/webhooks')).toEqual({ kind: 'role', role: 'editor' });
    expect(requirementFor('POST', '/api/v1/probes')).toEqual({ kind: 'role', role: 'admin' });
    expect(requirementFor('GET', '/api/v1/audit')).toEqual({ kind: 'role', role: 'admin' });
    expect(requirementFor('GET', '/admin/users')).toEqual({ kind: 'role', role: 'admin' });
    expect(requirementFor('POST', '/api/v1/ingest')).toEqual({ kind: 'probe' });
    // The fleet plan: viewers read it, editors change it; probes read only their own, with their token.
    expect(requirementFor('GET', '/api/v1/plan')).toEqual({ kind: 'role', role: 'viewer' });
    expect(requirementFor('POST', '/api/v1/plan/paths')).toEqual({ kind: 'role', role: 'editor' });
    expect(requirementFor('DELETE', '/api/v1/plan/targets/3')).toEqual({ kind: 'role', role: 'editor' });
    expect(requirementFor('GET', '/api/v1/plan/profiles/3')).toEqual({ kind: 'role', role: 'viewer' });
    expect(requirementFor('GET', '/api/v1/probe/plan')).toEqual({ kind: 'probe' });
    expect(requirementFor('POST', '/api/v1/probe/plan/status')).toEqual({ kind: 'probe' });
    // Only those methods: a probe-token route is not a door for anything else.
    expect(requirementFor('POST', '/api/v1/probe/plan')).toEqual({ kind: 'role', role: 'admin' });
    expect(requirementFor('GET', '/api/v1/probe/plan/status')).toEqual({ kind: 'role', role: 'admin' });
    expect(requirementFor('GET', '/api/v1/probe')).toEqual({ kind: 'role', role: 'viewer' });
    // What no rule names: readable by viewers, writable by admins only.
    expect(requirementFor('GET', '/somewhere/new')).toEqual({ kind: 'role', role: 'viewer' });
    expect(requirementFor('POST', '/somewhere/new')).toEqual({ kind: 'role', role: 'admin' });
    // A GET of ingest (no rule for it) is not public either.
    expect(requirementFor('GET', '/api/v1/ingest')).toEqual({ kind: 'role', role: 'admin' });
    // An API path no route serves: a JSON 404 for viewers when they read, editors for a write;
    // never public, and an API route added without a rule of its own is never viewer-writable.
    expect(requirementFor('GET', '/api/v1/nothing/here')).toEqual({ kind: 'role', role: 'viewer' });
    expect(requirementFor('HEAD', '/api/v1/nothing/here')).toEqual({ kind: 'role', role: 'viewer' });
    expect(requirementFor('OPTIONS', '/api')).toEqual({ kind: 'role', role: 'viewer' });
    expect(requirementFor('DELETE', '/api/v1/nothing/here')).toEqual({ kind: 'role', role: 'editor' });
    expect(requirementFor('POST', '/api/v2/alerts')).toEqual({ kind: 'role', role: 'editor' });
    expect(requirementFor('PATCH', '/api')).toEqual({ kind: 'role', role: 'editor' });
    for (const m of ['POST', 'PUT', 'PATCH', 'DELETE']) expect(requirementFor(m, '/api/v1/some-future-route')).not.toEqual({ kind: 'role', role: 'viewer' });
  });

  it('matches patterns segment by segment, never by prefix', () => {
    // Not /api/v1/users: only the catch-all for API paths no route serves.
    expect(ruleFor('/api/v1/usersX')?.pattern).toBe('/api/[[...unknown]]');
    expect(ruleFor('/sign-in/../api/v1/users')?.pattern).toBeUndefined();
    expect(ruleFor('/api/auth')?.pattern).toBe('/api/[[...unknown]]');
    expect(ruleFor('/api/auth/sign-in/email')?.pattern).toBe('/api/auth/[...rest]');
    // "probe" (a probe's own plan) is not "probes" (the probes API).
    expect(ruleFor('/api/v1/probe/plan')?.pattern).toBe('/api/v1/probe/plan');
    expect(ruleFor('/api/v1/probes/plan')?.pattern).toBe('/api/v1/probes/[...rest]');
    expect(new Set(ACCESS_RULES.map((r) => r.pattern)).size).toBe(ACCESS_RULES.length);
  });
});
