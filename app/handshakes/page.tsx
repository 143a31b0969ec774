import { ScopeBar } from '@/components/dashboard/scope-bar';
import { LiveHandshakes } from '@/components/handshakes/live-handshakes';
import { getDatabase } from '@/db/client';
import { handshakesReport } from '@/db/queries/handshakes';
import { scopeOptions } from '@/db/queries/scope';
import { dashboardScopeSchema, resolveScope } from '@/lib/dashboard/scope';
import { queryStringOf, searchParamsInput } from '@/lib/http/search-params';
import { describeIssues, fieldIssues } from '@/lib/http/problem';
import { withDatabasePage } from '@/app/database-page';

// Reads the database on every request; without this, `next build` would prerender it.
export const dynamic = 'force-dynamic';

export default withDatabasePage(async function HandshakesPage(props: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const input = searchParamsInput(await props.searchParams);
  const parsed = dashboardScopeSchema.safeParse(input);
  if (!parsed.success) {
    return (
      <div className="banner banner-error" role="alert" data-testid="bad-link">
        Bad link: {describeIssues(fieldIssues(parsed.error))}. <a href="/handshakes">Show the handshakes of the last 24 hours</a>.
      </div>
    );
  }
  const db = getDatabase().db;
  const report = await handshakesReport(db, resolveScope(parsed.data, new Date()));
  const options = await scopeOptions(db);
  const query = queryStringOf(input);
  return (
    <>
      <ScopeBar options={options} />
      <LiveHandshakes key={query} initial={report} query={query} />
    </>
  );
});
