import type { Metadata } from 'next';
import { headers } from 'next/headers';
import { z } from 'zod';
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
import { IgnoredParams } from '@/components/dashboard/query-notice';
import { BadLink } from '@/components/paths/no-probes';
import { knownQueryString, parseQuery } from '@/lib/dashboard/query-params';
import { TIME_ZONE_MODES } from '@/lib/dashboard/time';
import { barParamSchema } from '@/lib/drops/bin-sessions';
import { describeIssues } from '@/lib/http/problem';
import { searchParamsInput } from '@/lib/http/search-params';
import { inReportSlot } from '@/lib/http/report-slots';
import { longestSessionMs } from '@/db/queries/path-activity';
import { ingestSettings } from '@/lib/config/server-env';

// Reads the database on every request; without this, `next build` would prerender it.
export const dynamic = 'force-dynamic';

// The root layout's template does not apply to its own segment's page.
export const metadata: Metadata = { title: { absolute: 'Overview · dropscope' } };

/**
 * The overview's own window is fixed (its live numbers cover the last hour); the URL carries
 * only the zone and the duration histogram's open bar and the instant its window ended
 * (lib/drops/bin-sessions.ts).
 */
const overviewPageQuery = z.strictObject({ tz: z.enum(TIME_ZONE_MODES).optional(), bar: barParamSchema.optional(), barTo: z.iso.datetime({ offset: true }).optional() });

export default withDatabasePage(async function Page(props: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const parsed = parseQuery(overviewPageQuery, searchParamsInput(await props.searchParams));
  if (!parsed.success) return <BadLink message={describeIssues(parsed.issues)} reset={{ href: '/', label: 'Show the overview' }} />;
  const now = new Date();
  const database = getDatabase();
  const db = database.db;
  const origin = await requestOrigin();
  const { concurrent } = readOptions(database);
  const [data, dayAnalysis, hourPaths] = await runReads(concurrent, [
    () => overview(db, { now, windowMs: HOUR_MS }),
    () => inReportSlot(() => analyzeScope(db, { from: new Date(now.getTime() - 24 * HOUR_MS), to: now }, { now, layers: layersInUse(), concurrent })),
    () => pathsMatrix(db, { from: new Date(now.getTime() - HOUR_MS), to: now }, { byProbe: false, now, longestSessionMs: longestSessionMs(ingestSettings().limits) }),
  ] as const);
  const analysis = data.hasSessions ? dayAnalysis : null;
  const paths = data.hasSessions ? hourPaths : null;
  return (
    <>
      <IgnoredParams ignored={parsed.ignored} cleanHref={`/${knownQueryString(parsed.known)}`} />
      <OverviewDashboard initial={data} windowParam="1h" origin={origin} curlCommand={curlExample(origin, now).command} />
      {paths && <PathTiles cells={paths.cells} asOf={paths.to} />}
      {analysis && <TopSignatures signatures={analysis.signatures} totalDrops={analysis.totalDrops} earlyCloses={analysis.findings} asOf={now.toISOString()} />}
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
