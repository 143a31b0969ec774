import { getDatabase } from '@/db/client';
import { recordAudit } from '@/db/queries/audit';
import { getProbeById, rotateProbeToken } from '@/db/queries/probe-admin';
import { parseId } from '@/lib/http/json-input';
import { writingPrincipal } from '@/server/auth/current';
import { withDatabaseErrors } from '@/app/api/v1/database-errors';
import { probeJson, probeNotFound } from '../../probe-json';

export const dynamic = 'force-dynamic';

/**
 * POST /api/v1/probes/:id/token: a new token for the probe, in this answer only (200
 * {probe, token}). The old token is refused from the commit on; a revoked probe is active
 * again with the new one.
 */
export const POST = withDatabaseErrors(async function POST(_request: Request, ctx: { params: Promise<{ id: string }> }): Promise<Response> {
  const id = parseId((await ctx.params).id);
  if (!id.ok) return id.response;
  return getDatabase().db.transaction(async (tx) => {
    const before = await getProbeById(tx, id.data);
    if (!before) return probeNotFound(id.data);
    const { probe, token } = (await rotateProbeToken(tx, id.data))!;
    await recordAudit(tx, writingPrincipal(), { action: 'probe.rotate', subjectKind: 'probe', subjectId: id.data, before: probeJson(before), after: probeJson(probe) });
    return Response.json({ probe: probeJson(probe), token }, { headers: { 'cache-control': 'no-store' } });
  });
});
