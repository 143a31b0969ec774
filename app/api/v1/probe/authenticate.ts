/**
 * The probe routes' own authentication (the gate lets `kind: 'probe'` routes through
 * untouched, as it does ingest): a bearer probe token, answered 401 when missing, unknown
 * or revoked, and 403 for a canary target's token, which has no plan. The probe is always
 * the token's own: these routes take no probe id, so a token reads only its own plan.
 */
import type { Executor } from '@/db/client';
import { authenticateProbe, type AuthenticatedProbe } from '@/db/queries/probes';
import { problem } from '@/lib/http/problem';

export type ProbeAuth = { ok: true; probe: AuthenticatedProbe } | { ok: false; response: Response };

export async function authenticatePlanProbe(db: Executor, request: Request): Promise<ProbeAuth> {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get('authorization') ?? '');
  if (!m?.[1]) {
    return {
      ok: false,
      response: problem(401, 'PLAN_ERR_UNAUTHORIZED', 'missing bearer token: send "Authorization: Bearer <probe token>"', {
        headers: { 'www-authenticate': 'Bearer realm="dropscope-plan"' },
      }),
    };
  }
  const probe = await authenticateProbe(db, m[1]);
  if (!probe) {
    return {
      ok: false,
      response: problem(401, 'PLAN_ERR_UNAUTHORIZED', 'unknown or revoked probe token', {
        headers: { 'www-authenticate': 'Bearer realm="dropscope-plan", error="invalid_token"' },
      }),
    };
  }
  if (probe.kind !== 'probe') {
    return { ok: false, response: problem(403, 'PLAN_ERR_FORBIDDEN', `this token belongs to the canary target "${probe.name}", which has no plan: only probe tokens fetch plans`) };
  }
  return { ok: true, probe };
}
