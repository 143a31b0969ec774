import { getDatabase } from '@/db/client';
import { readFleetPlan } from '@/db/queries/plans';
import { fleetPlanForViewer } from '@/lib/plans/redact';
import { withDatabaseErrors } from '@/app/api/v1/database-errors';
import { canEditPlan } from './can-edit';

export const dynamic = 'force-dynamic';

/** GET /api/v1/plan: the whole fleet plan (targets, proxies, profiles, paths) and its revision; header values for editors only. */
export const GET = withDatabaseErrors(async function GET(): Promise<Response> {
  const plan = await readFleetPlan(getDatabase().db);
  return Response.json(canEditPlan() ? plan : fleetPlanForViewer(plan), { headers: { 'cache-control': 'no-store' } });
});
