import { BadLink } from '@/components/paths/no-probes';
import { LiveProbes } from '@/components/probes/live-probes';
import { getDatabase } from '@/db/client';
import { ONLINE_WITHIN_MS, probesStatus } from '@/db/queries/probes-status';
import { resolveScope } from '@/lib/dashboard/scope';
import { describeIssues } from '@/lib/http/problem';
import { queryStringOf } from '@/lib/http/search-params';
import { parseScopeQuery, presentParams } from '@/lib/paths/query';
import { withDatabasePage } from '@/app/database-page';

export const dynamic = 'force-dynamic';

export default withDatabasePage(async function ProbesPage(props: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const input = presentParams(await props.searchParams);
  const parsed = parseScopeQuery(input);
  if (!parsed.success) return <BadLink message={describeIssues(parsed.issues)} reset={{ href: '/probes', label: 'Show every probe' }} />;
  const now = new Date();
  const scope = resolveScope(parsed.data, now);
  const probes = await probesStatus(getDatabase().db, now, scope);
  const filter = [scope.probe && `probe ${scope.probe}`, scope.label && `label ${scope.label.key}=${scope.label.value}`].filter(Boolean).join(' · ');
  const query = queryStringOf(input);
  return <LiveProbes key={query} initial={{ now: now.toISOString(), onlineWithinMs: ONLINE_WITHIN_MS, probes }} query={query} filter={filter} />;
});
