import { Suspense } from 'react';
import { LivePaths } from '@/components/paths/live-paths';
import { Loading } from '@/components/paths/loading';
import type { DashboardQuery } from '@/lib/dashboard/scope';
import { BadLink } from '@/components/paths/no-probes';
import { getDatabase } from '@/db/client';
import { pathsMatrix } from '@/db/queries/paths';
import { scopeOptions } from '@/db/queries/scope';
import { resolveScope, scopeQueryString } from '@/lib/dashboard/scope';
import { describeIssues } from '@/lib/http/problem';
import { queryStringOf } from '@/lib/http/search-params';
import { parsePathsQuery, presentParams } from '@/lib/paths/query';
import { withDatabasePage } from '@/app/database-page';

export const dynamic = 'force-dynamic';

export default withDatabasePage(async function PathsPage(props: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const input = presentParams(await props.searchParams);
  const parsed = parsePathsQuery(input);
  if (!parsed.success) return <BadLink message={describeIssues(parsed.issues)} reset={{ href: '/paths', label: 'Show every path over the last 24 hours' }} />;
  return (
    <Suspense fallback={<Loading what="paths" />}>
      <Matrix query={parsed.data.scope} byProbe={parsed.data.byProbe} apiQuery={queryStringOf(input)} />
    </Suspense>
  );
});

async function Matrix({ query, byProbe, apiQuery }: { query: DashboardQuery; byProbe: boolean; apiQuery: string }) {
  const scope = resolveScope(query, new Date());
  const { db } = getDatabase();
  const [matrix, options] = [await pathsMatrix(db, scope, { byProbe }), await scopeOptions(db)];
  const scopeQs = scopeQueryString(query);
  const toggle = byProbe ? `/paths${scopeQs}` : `/paths${scopeQs}${scopeQs ? '&' : '?'}by=probe`;
  const filtered = Boolean(query.probe || query.label || query.proxy || query.target || query.profile);
  // Not keyed by the query: a remount on a filter change would drop the keyboard focus from
  // the scope bar inside; the hook takes the new server render and URL instead.
  return (
    <LivePaths
      initial={matrix}
      query={apiQuery}
      options={options}
      toggleHref={toggle}
      filtered={filtered}
      scopeQuery={Object.fromEntries(new URLSearchParams(scopeQs))}
    />
  );
}
