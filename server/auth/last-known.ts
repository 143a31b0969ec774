/**
 * Who a credential belonged to when the database last said so, for while it cannot be asked.
 * During a PostgreSQL outage a session or a token cannot be checked; rather than lock everyone
 * out of the stale-data banner and Prometheus out of /metrics (the moment both matter most),
 * the gate takes a credential it verified within the last STALE_FOR_MS. Fail-static, as an
 * Envoy ext_authz cache or a service mesh's last-known-good policy: nothing new is let in, a
 * credential never seen is refused, and revocations resume with the database (they could not
 * be read during the outage anyway).
 *
 * Keys are sha256 digests of the credential; the map is bounded (oldest dropped first).
 */
import { createHash } from 'node:crypto';
import type { Principal } from '../../lib/auth/roles';

export const STALE_FOR_MS = 15 * 60_000;
const MAX_ENTRIES = 10_000;

export interface LastKnown {
  remember(credential: string, principal: Principal | null, now: number): void;
  /** The principal verified for `credential` within STALE_FOR_MS of `now`, or null. */
  recall(credential: string, now: number): Principal | null;
}

export function createLastKnown(): LastKnown {
  const seen = new Map<string, { principal: Principal; at: number }>();
  const key = (credential: string) => createHash('sha256').update(credential).digest('base64url');
  return {
    remember(credential, principal, now) {
      const k = key(credential);
      seen.delete(k);
      if (!principal) return;
      seen.set(k, { principal, at: now });
      if (seen.size > MAX_ENTRIES) seen.delete(seen.keys().next().value!);
    },
    recall(credential, now) {
      const hit = seen.get(key(credential));
      return hit && now - hit.at <= STALE_FOR_MS ? hit.principal : null;
    },
  };
}
