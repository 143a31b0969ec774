'use client';
/**
 * The paths matrix, live: server-rendered first, then refetched from GET /api/v1/paths with
 * the page's own query string after every accepted batch, so a new path appears as a new
 * cell and the figures move without a reload.
 */
import type { ScopeOptions } from '../../lib/dashboard/scope';
import { pathsMatrixSchema } from '../../lib/paths/schema';
import type { PathsMatrix as Matrix } from '../../lib/paths/types';
import { ScopeBar } from '../dashboard/scope-bar';
import { LiveStatusBadge, RefreshError } from '../live/live-status';
import { useLiveReport } from '../live/use-live-report';
import { Instant, useTimeZone } from '../dashboard/time-zone';
import { zoneLabel } from '../../lib/dashboard/time';
import { NoProbesYet } from './no-probes';
import { HealthLegend, PathsMatrix } from './paths-matrix';
import css from './paths.module.css';

export function LivePaths(props: { initial: Matrix; query: string; options: ScopeOptions; toggleHref: string; filtered: boolean; scopeQuery: Record<string, string> }) {
  const { report: matrix, status, refreshing, error, retry } = useLiveReport(props.initial, { url: `/api/v1/paths${props.query}`, schema: pathsMatrixSchema, spans: { kind: 'scope' } });
  const { options, filtered } = props;
  const tz = useTimeZone();

  return (
    <div className={css.page} data-testid="paths" data-cells={matrix.cells.length} data-by={matrix.byProbe ? 'probe' : 'path'} data-socket={status}>
      <div className={css.heading}>
        <h1>Paths</h1>
        <div className={css.headingSide}>
          <LiveStatusBadge status={status} busy={refreshing} />
          <a className={css.toggle} href={props.toggleHref} data-testid="by-probe-toggle">
            {matrix.byProbe ? 'Combine probes' : 'Split by probe'}
          </a>
        </div>
      </div>
      <ScopeBar options={options} keep={['by']} />
      <RefreshError error={error} status={status} retry={retry} />
      <p className="muted">
        Every target × proxy with sessions attempted from <Instant at={matrix.from} style="datetime" /> to <Instant at={matrix.to} style="datetime" /> {zoneLabel(tz)}. Median lifetime of the sessions that ended; drops per hour and dropped / ended;
        upgrades (HTTP 101) / attempts. Open a cell for the path&apos;s timeline, RTT and sessions.
      </p>
      {matrix.cells.length === 0 ? (
        options.targets.length === 0 && options.probes.length === 0 ? (
          <NoProbesYet what="No sessions yet" />
        ) : (
          <p className="placeholder" data-testid="empty-range">
            No sessions {filtered ? 'match these filters' : ''} in this range. Pick a longer range{filtered ? ' or clear a filter' : ''} above
            {options.probes.length > 0 ? ', or check on the Probes page that your probes are online' : ''}. This page updates by itself when sessions arrive.
          </p>
        )
      ) : (
        <>
          <HealthLegend />
          <PathsMatrix matrix={matrix} scopeQuery={props.scopeQuery} />
        </>
      )}
    </div>
  );
}
