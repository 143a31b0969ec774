import type { Metadata } from 'next';
import { Suspense } from 'react';
import { IgnoredParams } from '@/components/dashboard/query-notice';
import { LivePaths } from '@/components/paths/live-paths';
import { Loading } from '@/components/paths/loading';
import type { DashboardQuery } from '@/lib/dashboard/scope';
import { BadLink } from '@/components/paths/no-probes';
import { getDatabase } from '@/db/client';
import { earliestDataHint } from '@/db/queries/earliest-data';
import { pathsMatrix } from '@/db/queries/paths';
import { scopeOptions } from '@/db/queries/scope';
import { knownQueryString, liveQueryString, type QueryInput } from '@/lib/dashboard/query-params';
import { fittedRange, resolveScope, scopeQueryString } from '@/lib/dashboard/scope';
import { describeIssues } from '@/lib/http/problem';
import { parsePathsQuery, presentParams } from '@/lib/paths/query';
import { withDatabasePage } from '@/app/database-page';
import { longestSessionMs } from '@/db/queries/path-activity';
import { ingestSettings } from '@/lib/config/server-env';

export const dynamic = 'force-dynamic';

export const metadata: Metadata = { title: 'Paths' };

export default withDatabasePage(async function PathsPage(props: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const now = new Date();
  const parsed = parsePathsQuery(presentParams(await props.searchParams), now);
  if (!parsed.success) return <BadLink message={describeIssues(parsed.issues)} reset={{ href: '/paths', label: 'Show every path over the last 24 hours' }} />;
  return (
    <>
      <IgnoredParams ignored={parsed.ignored} cleanHref={`/paths${knownQueryString(parsed.known)}`} />
      <Suspense fallback={<Loading what="paths" />}>
        <Matrix query={parsed.data.scope} byProbe={parsed.data.byProbe} known={parsed.known} now={now} />
      </Suspense>
    </>
  );
});

async function Matrix({ query, byProbe, known, now }: { query: DashboardQuery; byProbe: boolean; known: QueryInput; now: Date }) {
  const { db } = getDatabase();
  const earliestData = await earliestDataHint(db, now);
  const fitted = fittedRange(earliestData, now);
  const scope = resolveScope(query, now, { earliestData });
  const [matrix, options] = [await pathsMatrix(db, scope, { byProbe, now, longestSessionMs: longestSessionMs(ingestSettings().limits) }), await scopeOptions(db)];
  const scopeQs = scopeQueryString(query);
  const toggle = byProbe ? `/paths${scopeQs}` : `/paths${scopeQs}${scopeQs ? '&' : '?'}by=probe`;
  const filtered = Boolean(query.probe || query.label || query.proxy || query.target || query.profile);
  // Not keyed by the query: a remount on a filter change would drop the keyboard focus from
  // the scope bar inside; the hook takes the new server render and URL instead.
  return (
    <LivePaths
      initial={matrix}
      // Exactly this view for the live refetch: the fitted range when the URL names none.
      query={liveQueryString(known, fitted, ['tz'])}
      options={{ ...options, defaultRange: fitted }}
      toggleHref={toggle}
      filtered={filtered}
      scopeQuery={Object.fromEntries(new URLSearchParams(scopeQs))}
    />
  );
}
