import { headers } from 'next/headers';
import { TopSignatures } from '@/components/analysis/top-signatures';
import { OverviewDashboard } from '@/components/overview/overview-dashboard';
import { PathTiles } from '@/components/overview/path-tiles';
import { getDatabase, readOptions } from '@/db/client';
import { analyzeScope } from '@/db/queries/analysis';
import { overview } from '@/db/queries/overview';
import { pathsMatrix } from '@/db/queries/paths';
import { runReads } from '@/db/queries/reads';
import { layersInUse } from '@/lib/config/layers';
import { curlExample } from '@/lib/overview/curl-example';
import { HOUR_MS } from '@/lib/overview/overview';
import { withDatabasePage } from '@/app/database-page';
import { inReportSlot } from '@/lib/http/report-slots';

// Reads the database on every request; without this, `next build` would prerender it.
export const dynamic = 'force-dynamic';

export default withDatabasePage(async function Page() {
  const now = new Date();
  const database = getDatabase();
  const db = database.db;
  const origin = await requestOrigin();
  const { concurrent } = readOptions(database);
  const [data, dayAnalysis, hourPaths] = await runReads(concurrent, [
    () => overview(db, { now, windowMs: HOUR_MS }),
    () => inReportSlot(() => analyzeScope(db, { from: new Date(now.getTime() - 24 * HOUR_MS), to: now }, { now, layers: layersInUse(), concurrent })),
    () => pathsMatrix(db, { from: new Date(now.getTime() - HOUR_MS), to: now }, { byProbe: false }),
  ] as const);
  const analysis = data.hasSessions ? dayAnalysis : null;
  const paths = data.hasSessions ? hourPaths : null;
  return (
    <>
      <OverviewDashboard initial={data} windowParam="1h" origin={origin} curlCommand={curlExample(origin, now).command} />
      {paths && <PathTiles cells={paths.cells} />}
      {analysis && <TopSignatures signatures={analysis.signatures} totalDrops={analysis.totalDrops} earlyCloses={analysis.findings} />}
    </>
  );
});

/**
 * The address the browser used, for the copy-paste examples. Only shown, never fetched;
 * an implausible Host header gets a placeholder rather than being echoed into a shell command.
 */
async function requestOrigin(): Promise<string> {
  const h = await headers();
  const host = h.get('x-forwarded-host') ?? h.get('host') ?? '';
  const proto = h.get('x-forwarded-proto') === 'https' ? 'https' : 'http';
  return /^[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$/.test(host) ? `${proto}://${host}` : 'http://DROPSCOPE-HOST:3000';
}
