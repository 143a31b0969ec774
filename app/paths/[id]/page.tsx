import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { Suspense } from 'react';
import { IgnoredParams } from '@/components/dashboard/query-notice';
import { LivePath } from '@/components/paths/live-path';
import { Loading } from '@/components/paths/loading';
import type { DashboardQuery } from '@/lib/dashboard/scope';
import type { PathKey } from '@/lib/paths/path-id';
import { BadLink } from '@/components/paths/no-probes';
import { getDatabase } from '@/db/client';
import { earliestDataHint } from '@/db/queries/earliest-data';
import { pathDetail, pathExists, SESSION_TABLE_LIMIT } from '@/db/queries/path-detail';
import { scopeOptions } from '@/db/queries/scope';
import { knownQueryString, liveQueryString, type QueryInput } from '@/lib/dashboard/query-params';
import { fittedRange, resolveScope, scopeQueryString } from '@/lib/dashboard/scope';
import { describeIssues } from '@/lib/http/problem';
import { parsePathId, pathId } from '@/lib/paths/path-id';
import { parseScopeQuery, presentParams } from '@/lib/paths/query';
import { withDatabasePage } from '@/app/database-page';
import { inReportSlot } from '@/lib/http/report-slots';
import { layersInUse } from '@/lib/config/layers';
import { longestSessionMs } from '@/db/queries/path-activity';
import { ingestSettings } from '@/lib/config/server-env';

export const dynamic = 'force-dynamic';

type Props = { params: Promise<{ id: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> };

/** The tab says which path: `chat via corp-squid · dropscope` (the layout adds the suffix). */
export async function generateMetadata(props: Pick<Props, 'params'>): Promise<Metadata> {
  const key = parsePathId((await props.params).id);
  return { title: key ? `${key.target} via ${key.proxy}` : 'Path' };
}

export default withDatabasePage(async function PathPage(props: Props) {
  const key = parsePathId((await props.params).id);
  if (!key) notFound();
  const now = new Date();
  const parsed = parseScopeQuery(presentParams(await props.searchParams), now);
  if (!parsed.success) return <BadLink message={describeIssues(parsed.issues)} reset={{ href: '/paths', label: 'Back to all paths' }} />;
  const db = getDatabase().db;
  // Both 404s come before anything streams, so the status line can still say 404.
  if (!(await pathExists(db, key))) notFound();
  return (
    <>
      <IgnoredParams ignored={parsed.ignored} cleanHref={`/paths/${pathId(key)}${knownQueryString(parsed.known)}`} />
      <Suspense fallback={<Loading what={`${key.target} via ${key.proxy}`} />}>
        <PathBody pathKey={key} query={parsed.data} known={parsed.known} now={now} />
      </Suspense>
    </>
  );
});

async function PathBody({ pathKey: key, query, known, now }: { pathKey: PathKey; query: DashboardQuery; known: QueryInput; now: Date }) {
  const database = getDatabase();
  const db = database.db;
  const earliestData = await earliestDataHint(db, now);
  const fitted = fittedRange(earliestData, now);
  const [d, options] = [await inReportSlot(() => pathDetail(db, key, resolveScope(query, now, { earliestData }), now, { layers: layersInUse(), longestSessionMs: longestSessionMs(ingestSettings().limits) })), await scopeOptions(db)];
  // Not keyed by the query (see app/paths/page.tsx): the scope bar inside keeps its focus.
  return (
    <LivePath
      initial={d}
      apiPath={`/api/v1/paths/${pathId(key)}`}
      // Exactly this view for the live refetch: the fitted range when the URL names none.
      query={liveQueryString(known, fitted, ['tz'])}
      // The path fixes target and proxy: offer only its own in those two filters.
      options={{ ...options, targets: [key.target], proxies: [key.proxy], defaultRange: fitted }}
      backHref={`/paths${scopeQueryString({ ...query, target: undefined, proxy: undefined })}`}
      profileFiltered={Boolean(query.profile)}
      sessionLimit={SESSION_TABLE_LIMIT}
    />
  );
}
