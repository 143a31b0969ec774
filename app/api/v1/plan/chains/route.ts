import { getDatabase } from '@/db/client';
import { listPlanChains } from '@/db/queries/chains';
import { withDatabaseErrors } from '@/app/api/v1/database-errors';
import { createHandler } from '../entry-handlers';
import { chains } from './store';

export const dynamic = 'force-dynamic';

/** GET /api/v1/plan/chains: every chain of entry points, by name (viewers). */
export const GET = withDatabaseErrors(async function GET(): Promise<Response> {
  return Response.json(await listPlanChains(getDatabase().db), { headers: { 'cache-control': 'no-store' } });
});

/** POST /api/v1/plan/chains: declare one (editors). */
export const POST = createHandler(chains);
