import type { Metadata } from 'next';
import { IgnoredParams } from '@/components/dashboard/query-notice';
import { ScopeBar } from '@/components/dashboard/scope-bar';
import { LiveHandshakes } from '@/components/handshakes/live-handshakes';
import { BadLink } from '@/components/paths/no-probes';
import { getDatabase } from '@/db/client';
import { earliestDataHint } from '@/db/queries/earliest-data';
import { handshakesReport } from '@/db/queries/handshakes';
import { scopeOptions } from '@/db/queries/scope';
import { knownQueryString, liveQueryString, parseScopedQuery } from '@/lib/dashboard/query-params';
import { dashboardScopeSchema, fittedRange, resolveScope } from '@/lib/dashboard/scope';
import { searchParamsInput } from '@/lib/http/search-params';
import { describeIssues } from '@/lib/http/problem';
import { withDatabasePage } from '@/app/database-page';

// Reads the database on every request; without this, `next build` would prerender it.
export const dynamic = 'force-dynamic';

export const metadata: Metadata = { title: 'Handshakes' };

export default withDatabasePage(async function HandshakesPage(props: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const now = new Date();
  const parsed = parseScopedQuery(dashboardScopeSchema, searchParamsInput(await props.searchParams), now);
  if (!parsed.success) return <BadLink message={describeIssues(parsed.issues)} reset={{ href: '/handshakes', label: 'Show the handshakes of the last 24 hours' }} />;
  const db = getDatabase().db;
  const earliestData = await earliestDataHint(db, now);
  const report = await handshakesReport(db, resolveScope(parsed.data, now, { earliestData }));
  const options = await scopeOptions(db);
  // Exactly this view for the live refetch: the fitted range when the URL names none.
  const query = liveQueryString(parsed.known, fittedRange(earliestData, now), ['tz']);
  return (
    <>
      <IgnoredParams ignored={parsed.ignored} cleanHref={`/handshakes${knownQueryString(parsed.known)}`} />
      <ScopeBar options={{ ...options, defaultRange: fittedRange(earliestData, now) }} />
      <LiveHandshakes key={query} initial={report} query={query} />
    </>
  );
});
