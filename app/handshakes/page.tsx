import { ScopeBar } from '@/components/dashboard/scope-bar';
import { FailureTable } from '@/components/handshakes/failure-table';
import { RatioChart } from '@/components/handshakes/ratio-chart';
import styles from '@/components/handshakes/handshakes.module.css';
import { getDatabase } from '@/db/client';
import { handshakesReport } from '@/db/queries/handshakes';
import { scopeOptions } from '@/db/queries/scope';
import { dashboardScopeSchema, resolveScope } from '@/lib/dashboard/scope';
import { searchParamsInput } from '@/lib/http/search-params';
import { describeIssues, fieldIssues } from '@/lib/http/problem';
import { formatPercent } from '@/lib/overview/format';

// Reads the database on every request; without this, `next build` would prerender it.
export const dynamic = 'force-dynamic';

const OUTCOME_LABELS: Record<string, string> = { opened: 'upgraded (101)', upgrade_refused: 'upgrade refused', proxy_refused: 'refused by the proxy', dial_failed: 'dial failed' };

export default async function HandshakesPage(props: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const parsed = dashboardScopeSchema.safeParse(searchParamsInput(await props.searchParams));
  if (!parsed.success) {
    return (
      <div className="banner banner-error" role="alert" data-testid="bad-link">
        Bad link: {describeIssues(fieldIssues(parsed.error))}. <a href="/handshakes">Show the handshakes of the last 24 hours</a>.
      </div>
    );
  }
  const db = getDatabase().db;
  const r = await handshakesReport(db, resolveScope(parsed.data, new Date()));
  const options = await scopeOptions(db);
  const failures = r.attempts - r.upgrades;
  const span = `${r.scope.from.replace('T', ' ').slice(0, 16)} – ${r.scope.to.replace('T', ' ').slice(0, 16)} UTC`;

  return (
    <>
      <ScopeBar options={options} />
      <div className={styles.page} data-testid="handshakes" data-attempts={r.attempts} data-upgrades={r.upgrades} data-bucket={r.bucket}>
        <div className="overview-bar">
          <h1>Handshake health</h1>
          <span className="muted">{span}</span>
        </div>
        {r.attempts === 0 ? (
          <section className="card" data-testid="handshakes-empty">
            <h2>No connection attempts in this range</h2>
            <p>
              No probe reported a dial in this range and these filters. Widen the range or clear the filters; if no probe runs yet, add one (<code>npm run dropscope -- probe add NAME</code>) and
              start it (README: <em>Probes on edge hosts</em>).
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
                <div className="tile-value" data-testid="ratio">{formatPercent(r.ratio)}</div>
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
                <span className="card-meta">101 answers over attempts, per {r.bucket}</span>
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
    </>
  );
}
