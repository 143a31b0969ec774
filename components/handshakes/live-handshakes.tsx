'use client';
/**
 * Handshake health, live: server-rendered first, then refetched from GET /api/v1/handshakes
 * with the page's own query string after every accepted batch, so attempts, the upgrade
 * ratio and the failure tables move without a reload.
 */
import type { Outcome } from '../../lib/contracts/ingest';
import { handshakesReportSchema } from '../../lib/handshakes/schema';
import type { HandshakesReport } from '../../lib/handshakes/report';
import { zoneLabel } from '../../lib/dashboard/time';
import { formatPercent } from '../../lib/overview/format';
import { Instant, useTimeZone } from '../dashboard/time-zone';
import { LiveStatusBadge, RefreshError } from '../live/live-status';
import { useLiveReport } from '../live/use-live-report';
import { FailureTable } from './failure-table';
import styles from './handshakes.module.css';
import { RatioChart } from './ratio-chart';

const OUTCOME_LABELS: Record<Outcome, string> = { opened: 'upgraded (101)', upgrade_refused: 'upgrade refused', proxy_refused: 'refused by the proxy', dial_failed: 'dial failed' };

export function LiveHandshakes({ initial, query }: { initial: HandshakesReport; query: string }) {
  const { report: r, status, refreshing, error, retry } = useLiveReport(initial, { url: `/api/v1/handshakes${query}`, schema: handshakesReportSchema, spans: { kind: 'scope' } });
  const tz = useTimeZone();
  const failures = r.attempts - r.upgrades;

  return (
    <div className={styles.page} data-testid="handshakes" data-attempts={r.attempts} data-upgrades={r.upgrades} data-bucket={r.bucket} data-socket={status}>
      <div className="overview-bar">
        <h1>Handshake health</h1>
        <span className={styles.barSide}>
          <span className="muted" data-testid="handshakes-span">
            <Instant at={r.scope.from} style="datetime" /> – <Instant at={r.scope.to} style="datetime" /> {zoneLabel(tz)}
          </span>
          <LiveStatusBadge status={status} busy={refreshing} />
        </span>
      </div>
      <RefreshError error={error} status={status} retry={retry} />
      {r.attempts === 0 ? (
        <section className="card" data-testid="handshakes-empty">
          <h2>No connection attempts in this range</h2>
          <p>
            No probe reported a dial in this range and these filters. Widen the range or clear the filters; if no probe runs yet, add one (<code>npm run dropscope -- probe add NAME</code>) and
            start it (README: <em>Probes on edge hosts</em>). This page updates by itself when attempts arrive.
          </p>
        </section>
      ) : (
        <>
          <div className={styles.tiles}>
            <div className="tile">
              <div className="tile-label">Attempts</div>
              <div className="tile-value">{r.attempts}</div>
              <div className="tile-note">with a known outcome</div>
            </div>
            <div className="tile" data-tone={r.ratio !== null && r.ratio < 0.95 ? 'alert' : undefined}>
              <div className="tile-label">Upgraded (101)</div>
              <div className="tile-value" data-testid="ratio">
                {formatPercent(r.ratio)}
              </div>
              <div className="tile-note">
                {r.upgrades} of {r.attempts}
              </div>
            </div>
            <div className="tile" data-tone={failures > 0 ? 'warn' : undefined}>
              <div className="tile-label">Failed</div>
              <div className="tile-value">{failures}</div>
              <div className="tile-note">
                {r.outcomes
                  .filter((o) => o.outcome !== 'opened')
                  .map((o) => `${o.count} ${OUTCOME_LABELS[o.outcome]}`)
                  .join(' · ') || 'none'}
              </div>
            </div>
            <div className="tile">
              <div className="tile-label">Resolution</div>
              <div className="tile-value">{r.bucket}</div>
              <div className="tile-note">per point on the chart</div>
            </div>
          </div>
          <section className="card" data-testid="ratio-chart" data-points={r.series.length} aria-label="Upgrade success over time">
            <header className="card-header">
              <h2>Upgrade success over time</h2>
              <span className="card-meta">101 answers over attempts, per {r.bucket} · drag to zoom</span>
            </header>
            <RatioChart series={r.series} bucketMs={r.bucketMs} />
            <ul className={styles.legend} aria-hidden="true">
              <li>
                <span className={styles.swatchRatio} /> share upgraded (left axis)
              </li>
              <li>
                <span className={styles.swatchAttempts} /> attempts (right axis)
              </li>
            </ul>
          </section>
          <FailureTable id="by-status" title="Refused upgrades by HTTP status" column="status" groups={r.byStatus} empty="No attempt was answered with an HTTP error." />
          <FailureTable id="by-proxy-reply" title="Refusals by the proxy" column="proxy reply" groups={r.byProxyReply} empty="No proxy refused a CONNECT or SOCKS request." />
          <FailureTable id="by-error-code" title="Dial failures by socket error" column="error" groups={r.byErrorCode} empty="No dial failed with a socket error." />
        </>
      )}
    </div>
  );
}
