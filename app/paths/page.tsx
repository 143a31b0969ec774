import { Suspense } from 'react';
import { ScopeBar } from '@/components/dashboard/scope-bar';
import { Loading } from '@/components/paths/loading';
import type { DashboardQuery } from '@/lib/dashboard/scope';
import { BadLink, NoProbesYet } from '@/components/paths/no-probes';
import { HealthLegend, PathsMatrix } from '@/components/paths/paths-matrix';
import css from '@/components/paths/paths.module.css';
import { getDatabase } from '@/db/client';
import { pathsMatrix } from '@/db/queries/paths';
import { scopeOptions } from '@/db/queries/scope';
import { resolveScope, scopeQueryString } from '@/lib/dashboard/scope';
import { describeIssues } from '@/lib/http/problem';
import { parsePathsQuery, presentParams } from '@/lib/paths/query';

export const dynamic = 'force-dynamic';

export default async function PathsPage(props: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const parsed = parsePathsQuery(presentParams(await props.searchParams));
  if (!parsed.success) return <BadLink message={describeIssues(parsed.issues)} reset={{ href: '/paths', label: 'Show every path over the last 24 hours' }} />;
  return (
    <Suspense fallback={<Loading what="paths" />}>
      <Matrix query={parsed.data.scope} byProbe={parsed.data.byProbe} />
    </Suspense>
  );
}

async function Matrix({ query, byProbe }: { query: DashboardQuery; byProbe: boolean }) {
  const now = new Date();
  const scope = resolveScope(query, now);
  const db = getDatabase().db;
  const [matrix, options] = [await pathsMatrix(db, scope, { byProbe }), await scopeOptions(db)];
  const scopeQs = scopeQueryString(query);
  const toggle = byProbe ? `/paths${scopeQs}` : `/paths${scopeQs}${scopeQs ? '&' : '?'}by=probe`;
  const filtered = Boolean(query.probe || query.label || query.proxy || query.target || query.profile);

  return (
    <div className={css.page} data-testid="paths" data-cells={matrix.cells.length} data-by={byProbe ? 'probe' : 'path'}>
      <div className={css.heading}>
        <h1>Paths</h1>
        <a className={css.toggle} href={toggle} data-testid="by-probe-toggle">
          {byProbe ? 'Combine probes' : 'Split by probe'}
        </a>
      </div>
      <ScopeBar options={options} keep={['by']} />
      <p className="muted">
        Every target × proxy with sessions attempted from {matrix.from.slice(0, 16).replace('T', ' ')} to {matrix.to.slice(0, 16).replace('T', ' ')} UTC. Median lifetime of
        the sessions that ended; drops per hour and dropped / ended; upgrades (HTTP 101) / attempts. Open a cell for the path&apos;s timeline, RTT and sessions.
      </p>
      {matrix.cells.length === 0 ? (
        options.targets.length === 0 && options.probes.length === 0 ? (
          <NoProbesYet what="No sessions yet" />
        ) : (
          <p className="placeholder" data-testid="empty-range">
            No sessions {filtered ? 'match these filters' : ''} in this range. Pick a longer range{filtered ? ' or clear a filter' : ''} above
            {options.probes.length > 0 ? ', or check on the Probes page that your probes are online' : ''}.
          </p>
        )
      ) : (
        <>
          <HealthLegend />
          <PathsMatrix matrix={matrix} scopeQuery={Object.fromEntries(new URLSearchParams(scopeQs))} />
        </>
      )}
    </div>
  );
}
