import { currentPrincipal } from '@/server/auth/current';
import { roleOf } from '@/lib/auth/roles';

export const dynamic = 'force-dynamic';

/** GET /api/v1/me: who this request acts as (the gate has let only a signed-in caller through). */
export function GET(): Response {
  const p = currentPrincipal();
  if (!p) return Response.json({ error: { code: 'AUTH_ERR_UNAUTHENTICATED', message: 'sign in' } }, { status: 401 });
  const who = p.kind === 'user' ? { id: p.id, name: p.name, email: p.email } : { id: String('id' in p ? p.id : ''), name: p.name };
  return Response.json({ kind: p.kind, ...who, role: roleOf(p) }, { headers: { 'cache-control': 'no-store' } });
}
