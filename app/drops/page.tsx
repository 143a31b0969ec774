import type { Metadata } from 'next';
import { IgnoredParams } from '@/components/dashboard/query-notice';
import { ScopeBar } from '@/components/dashboard/scope-bar';
import { DropsDashboard } from '@/components/drops/drops-dashboard';
import { BadLink } from '@/components/paths/no-probes';
import { getDatabase, readOptions } from '@/db/client';
import { dropsReport } from '@/db/queries/drops';
import { earliestDataHint } from '@/db/queries/earliest-data';
import { runReads } from '@/db/queries/reads';
import { scopeOptions } from '@/db/queries/scope';
import { layersInUse } from '@/lib/config/layers';
import { knownQueryString, liveQueryString, parseScopedQuery } from '@/lib/dashboard/query-params';
import { fittedRange, resolveScope } from '@/lib/dashboard/scope';
import { dropsQuerySchema, splitDropsQuery } from '@/lib/drops/query';
import { searchParamsInput } from '@/lib/http/search-params';
import { describeIssues } from '@/lib/http/problem';
import { withDatabasePage } from '@/app/database-page';
import { inReportSlot } from '@/lib/http/report-slots';

// Reads the database on every request; without this, `next build` would prerender it.
export const dynamic = 'force-dynamic';

export const metadata: Metadata = { title: 'Drops' };

export default withDatabasePage(async function DropsPage(props: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const now = new Date();
  const parsed = parseScopedQuery(dropsQuerySchema, searchParamsInput(await props.searchParams), now);
  if (!parsed.success) return <BadLink message={describeIssues(parsed.issues)} reset={{ href: '/drops', label: 'Show the drops of the last 24 hours' }} />;
  const database = getDatabase();
  const db = database.db;
  const q = splitDropsQuery(parsed.data);
  const { concurrent } = readOptions(database);
  const earliestData = await earliestDataHint(db, now);
  const [report, options] = await runReads(concurrent, [
    () => inReportSlot(() => dropsReport(db, resolveScope(q.scope, now, { earliestData }), q, { now, layers: layersInUse(), concurrent })),
    () => scopeOptions(db),
  ] as const);
  // The same query string the API answers (without the page's own `tz` and `bar`, and the
  // ignored parameters; with the fitted range when the URL names none): the live refetch
  // asks for exactly this view.
  const query = liveQueryString(parsed.known, fittedRange(earliestData, now), ['tz', 'bar']);
  return (
    <>
      <IgnoredParams ignored={parsed.ignored} cleanHref={`/drops${knownQueryString(parsed.known)}`} />
      <ScopeBar options={{ ...options, defaultRange: fittedRange(earliestData, now) }} keep={['bin', 'scale']} />
      <DropsDashboard key={query} initial={report} query={query} />
    </>
  );
});
