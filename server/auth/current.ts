/**
 * The principal of the request being served, for the code that runs inside it (route
 * handlers record who wrote what in the audit log). The HTTP gate (gate.ts) resolves it
 * once and runs Next's handler inside an AsyncLocalStorage scope.
 *
 * Next bundles route code apart from server.ts, so the storage lives on globalThis under a
 * Symbol.for key, as the database handle does (db/client.ts).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Principal } from '../../lib/auth/roles';

const KEY = Symbol.for('dropscope.request-principal');
type Holder = { [KEY]?: AsyncLocalStorage<Principal | null> };

function storage(): AsyncLocalStorage<Principal | null> {
  const g = globalThis as Holder;
  return (g[KEY] ??= new AsyncLocalStorage<Principal | null>());
}

/** Run `serve` with `principal` as the request's. */
export function runAsPrincipal<T>(principal: Principal | null, serve: () => T): T {
  return storage().run(principal, serve);
}

/** The principal of the current request; null outside one or for a public route. */
export function currentPrincipal(): Principal | null {
  return storage().getStore() ?? null;
}

/**
 * The principal a write is made by. Writes are reachable only through the gate, which lets
 * none through without one; a missing principal is a bug, not a request to serve anonymously.
 */
export function writingPrincipal(): Principal {
  const p = currentPrincipal();
  if (!p) throw new Error('a write ran outside an authenticated request');
  return p;
}
