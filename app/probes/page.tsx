import { BadLink, NoProbesYet } from '@/components/paths/no-probes';
import { ProbesTable } from '@/components/probes/probes-table';
import css from '@/components/probes/probes.module.css';
import { getDatabase } from '@/db/client';
import { ONLINE_WITHIN_MS, probesStatus } from '@/db/queries/probes-status';
import { resolveScope } from '@/lib/dashboard/scope';
import { describeIssues } from '@/lib/http/problem';
import { parseScopeQuery, presentParams } from '@/lib/paths/query';

export const dynamic = 'force-dynamic';

export default async function ProbesPage(props: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const parsed = parseScopeQuery(presentParams(await props.searchParams));
  if (!parsed.success) return <BadLink message={describeIssues(parsed.issues)} reset={{ href: '/probes', label: 'Show every probe' }} />;
  const now = new Date();
  const scope = resolveScope(parsed.data, now);
  const probes = await probesStatus(getDatabase().db, now, scope);
  const count = (s: string) => probes.filter((p) => p.state === s).length;
  const filter = [scope.probe && `probe ${scope.probe}`, scope.label && `label ${scope.label.key}=${scope.label.value}`].filter(Boolean).join(' · ');

  return (
    <div className={css.page} data-testid="probes" data-count={probes.length} data-online={count('online')}>
      <h1>Probes</h1>
      {probes.length === 0 ? (
        filter ? (
          <p className="placeholder">
            No probe matches {filter}. <a href="/probes">Show every probe</a>.
          </p>
        ) : (
          <NoProbesYet what="No probe registered yet" />
        )
      ) : (
        <>
          <p className={css.summary}>
            <span>
              <strong>{count('online')}</strong> online
            </span>
            <span>
              <strong>{count('offline')}</strong> offline
            </span>
            <span>
              <strong>{count('never-seen')}</strong> never seen
            </span>
            <span>
              <strong>{count('revoked')}</strong> revoked
            </span>
            <span>
              online = heard from within {ONLINE_WITHIN_MS / 1000} s (three 30 s heartbeats){filter ? ` · ${filter}` : ''}
            </span>
          </p>
          <ProbesTable probes={probes} />
        </>
      )}
    </div>
  );
}
