import { notFound } from 'next/navigation';
import { Suspense } from 'react';
import { LivePath } from '@/components/paths/live-path';
import { Loading } from '@/components/paths/loading';
import type { DashboardQuery } from '@/lib/dashboard/scope';
import type { PathKey } from '@/lib/paths/path-id';
import { BadLink } from '@/components/paths/no-probes';
import { getDatabase, readOptions } from '@/db/client';
import { pathDetail, pathExists, SESSION_TABLE_LIMIT } from '@/db/queries/path-detail';
import { scopeOptions } from '@/db/queries/scope';
import { resolveScope, scopeQueryString } from '@/lib/dashboard/scope';
import { describeIssues } from '@/lib/http/problem';
import { queryStringOf } from '@/lib/http/search-params';
import { parsePathId, pathId } from '@/lib/paths/path-id';
import { parseScopeQuery, presentParams } from '@/lib/paths/query';
import { withDatabasePage } from '@/app/database-page';
import { inReportSlot } from '@/lib/http/report-slots';

export const dynamic = 'force-dynamic';

export default withDatabasePage(async function PathPage(props: { params: Promise<{ id: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const key = parsePathId((await props.params).id);
  if (!key) notFound();
  const input = presentParams(await props.searchParams);
  const parsed = parseScopeQuery(input);
  if (!parsed.success) return <BadLink message={describeIssues(parsed.issues)} reset={{ href: '/paths', label: 'Back to all paths' }} />;
  const db = getDatabase().db;
  // Both 404s come before anything streams, so the status line can still say 404.
  if (!(await pathExists(db, key))) notFound();
  return (
    <Suspense fallback={<Loading what={`${key.target} via ${key.proxy}`} />}>
      <PathBody pathKey={key} query={parsed.data} apiQuery={queryStringOf(input)} />
    </Suspense>
  );
});

async function PathBody({ pathKey: key, query, apiQuery }: { pathKey: PathKey; query: DashboardQuery; apiQuery: string }) {
  const database = getDatabase();
  const db = database.db;
  const now = new Date();
  const [d, options] = [await inReportSlot(() => pathDetail(db, key, resolveScope(query, now), now, { concurrent: readOptions(database).concurrent })), await scopeOptions(db)];
  // Not keyed by the query (see app/paths/page.tsx): the scope bar inside keeps its focus.
  return (
    <LivePath
      initial={d}
      apiPath={`/api/v1/paths/${pathId(key)}`}
      query={apiQuery}
      // The path fixes target and proxy: offer only its own in those two filters.
      options={{ ...options, targets: [key.target], proxies: [key.proxy] }}
      backHref={`/paths${scopeQueryString({ ...query, target: undefined, proxy: undefined })}`}
      profileFiltered={Boolean(query.profile)}
      sessionLimit={SESSION_TABLE_LIMIT}
    />
  );
}
