import { getDatabase } from '@/db/client';
import { alertHistory, currentAlerts } from '@/db/queries/alerts-history';
import { withDatabaseErrors } from '@/app/api/v1/database-errors';

export const dynamic = 'force-dynamic';

/** GET /api/v1/alerts: the alerts that are pending, firing or resolved, and the latest transitions. */
export const GET = withDatabaseErrors(async function GET(): Promise<Response> {
  const db = getDatabase().db;
  return Response.json({ now: new Date().toISOString(), alerts: await currentAlerts(db), history: await alertHistory(db, { limit: 100 }) }, { headers: { 'cache-control': 'no-store' } });
});
