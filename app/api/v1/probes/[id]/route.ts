import { getDatabase } from '@/db/client';
import { recordAudit } from '@/db/queries/audit';
import { getProbeById, revokeProbeById, setProbeLabels } from '@/db/queries/probe-admin';
import { parseId, parseJsonBody } from '@/lib/http/json-input';
import { writingPrincipal } from '@/server/auth/current';
import { withDatabaseErrors } from '@/app/api/v1/database-errors';
import { probePatchSchema } from '../probe-input';
import { probeJson, probeNotFound } from '../probe-json';

export const dynamic = 'force-dynamic';

type Ctx = { params: Promise<{ id: string }> };

/** PATCH /api/v1/probes/:id {labels}: replace its labels (they apply to its sessions' filters from now on). */
export const PATCH = withDatabaseErrors(async function PATCH(request: Request, ctx: Ctx): Promise<Response> {
  const id = parseId((await ctx.params).id);
  if (!id.ok) return id.response;
  const body = await parseJsonBody(request, probePatchSchema);
  if (!body.ok) return body.response;
  return getDatabase().db.transaction(async (tx) => {
    const before = await getProbeById(tx, id.data);
    if (!before) return probeNotFound(id.data);
    const after = (await setProbeLabels(tx, id.data, body.data.labels))!;
    await recordAudit(tx, writingPrincipal(), { action: 'probe.labels', subjectKind: 'probe', subjectId: id.data, before: probeJson(before), after: probeJson(after) });
    return Response.json({ probe: probeJson(after) });
  });
});

/**
 * DELETE /api/v1/probes/:id: revoke its token. Its sessions stay; POST .../token gives it
 * a new one. Revoking a revoked probe answers the same and records nothing.
 */
export const DELETE = withDatabaseErrors(async function DELETE(_request: Request, ctx: Ctx): Promise<Response> {
  const id = parseId((await ctx.params).id);
  if (!id.ok) return id.response;
  const now = new Date();
  return getDatabase().db.transaction(async (tx) => {
    const before = await getProbeById(tx, id.data);
    if (!before) return probeNotFound(id.data);
    const revoked = (await revokeProbeById(tx, id.data, now))!;
    if (revoked.changed) {
      await recordAudit(tx, writingPrincipal(), { action: 'probe.revoke', subjectKind: 'probe', subjectId: id.data, before: probeJson(before), after: probeJson(revoked.probe) }, now);
    }
    return Response.json({ probe: probeJson(revoked.probe) });
  });
});
