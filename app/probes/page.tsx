import type { Metadata } from 'next';
import { IgnoredParams } from '@/components/dashboard/query-notice';
import { BadLink } from '@/components/paths/no-probes';
import { LiveProbes } from '@/components/probes/live-probes';
import { getDatabase } from '@/db/client';
import { listProbesForAdmin } from '@/db/queries/probe-admin';
import { ONLINE_WITHIN_MS, probesStatus } from '@/db/queries/probes-status';
import { roleAtLeast, roleOf } from '@/lib/auth/roles';
import { knownQueryString } from '@/lib/dashboard/query-params';
import { resolveScope } from '@/lib/dashboard/scope';
import { describeIssues } from '@/lib/http/problem';
import { parseScopeQuery, presentParams } from '@/lib/paths/query';
import { withDatabasePage } from '@/app/database-page';
import { currentPrincipal } from '@/server/auth/current';

export const dynamic = 'force-dynamic';

export const metadata: Metadata = { title: 'Probes' };

export default withDatabasePage(async function ProbesPage(props: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const now = new Date();
  const parsed = parseScopeQuery(presentParams(await props.searchParams), now);
  if (!parsed.success) return <BadLink message={describeIssues(parsed.issues)} reset={{ href: '/probes', label: 'Show every probe' }} />;
  // No range picker here, and GET /api/v1/probes (the live refetch) resolves without the
  // fitted default: both use the plain default, so the page and its refetch agree.
  const scope = resolveScope(parsed.data, now);
  const db = getDatabase().db;
  const probes = await probesStatus(db, now, scope);
  // Admins manage probes here (the API checks the role again on every write); everyone else sees the table alone.
  const principal = currentPrincipal();
  const role = principal && roleOf(principal);
  const admin = role && roleAtLeast(role, 'admin') ? (await listProbesForAdmin(db)).map(({ id, name, kind }) => ({ id, name, kind })) : undefined;
  const filter = [scope.probe && `probe ${scope.probe}`, scope.label && `label ${scope.label.key}=${scope.label.value}`].filter(Boolean).join(' · ');
  const query = knownQueryString(parsed.known, ['tz']);
  return (
    <>
      <IgnoredParams ignored={parsed.ignored} cleanHref={`/probes${knownQueryString(parsed.known)}`} />
      <LiveProbes key={query} initial={{ now: now.toISOString(), onlineWithinMs: ONLINE_WITHIN_MS, probes }} query={query} filter={filter} admin={admin} />
    </>
  );
});
