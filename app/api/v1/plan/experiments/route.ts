import { getDatabase } from '@/db/client';
import { listExperiments } from '@/db/queries/experiments';
import { withDatabaseErrors } from '@/app/api/v1/database-errors';

export const dynamic = 'force-dynamic';

/**
 * GET /api/v1/plan/experiments: the experiments the server asks of probes (issue 18), newest
 * first, each with its state (running, concluded, expired). Read-only: the scheduler makes
 * them (server/experiments).
 */
export const GET = withDatabaseErrors(async function GET(): Promise<Response> {
  const experiments = await listExperiments(getDatabase().db, new Date());
  return Response.json({ experiments }, { headers: { 'cache-control': 'no-store' } });
});
