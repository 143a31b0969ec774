import { ScopeBar } from '@/components/dashboard/scope-bar';
import { DropsDashboard } from '@/components/drops/drops-dashboard';
import { getDatabase, readOptions } from '@/db/client';
import { dropsReport } from '@/db/queries/drops';
import { runReads } from '@/db/queries/reads';
import { scopeOptions } from '@/db/queries/scope';
import { layersInUse } from '@/lib/config/layers';
import { resolveScope } from '@/lib/dashboard/scope';
import { dropsQuerySchema, splitDropsQuery } from '@/lib/drops/query';
import { queryStringOf, searchParamsInput } from '@/lib/http/search-params';
import { describeIssues, fieldIssues } from '@/lib/http/problem';
import { withDatabasePage } from '@/app/database-page';
import { inReportSlot } from '@/lib/http/report-slots';

// Reads the database on every request; without this, `next build` would prerender it.
export const dynamic = 'force-dynamic';

export default withDatabasePage(async function DropsPage(props: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const input = searchParamsInput(await props.searchParams);
  const parsed = dropsQuerySchema.safeParse(input);
  if (!parsed.success) {
    return (
      <div className="banner banner-error" role="alert" data-testid="bad-link">
        Bad link: {describeIssues(fieldIssues(parsed.error))}. <a href="/drops">Show the drops of the last 24 hours</a>.
      </div>
    );
  }
  const now = new Date();
  const database = getDatabase();
  const db = database.db;
  const q = splitDropsQuery(parsed.data);
  const { concurrent } = readOptions(database);
  const [report, options] = await runReads(concurrent, [
    () => inReportSlot(() => dropsReport(db, resolveScope(q.scope, now), q, { now, layers: layersInUse(), concurrent })),
    () => scopeOptions(db),
  ] as const);
  // The same query string the API answers: the live refetch asks for exactly this view.
  const query = queryStringOf(input);
  return (
    <>
      <ScopeBar options={options} keep={['bin', 'scale']} />
      <DropsDashboard key={query} initial={report} query={query} />
    </>
  );
});
