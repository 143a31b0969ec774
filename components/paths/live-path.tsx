'use client';
/**
 * One path's page, live: server-rendered first, then refetched from GET /api/v1/paths/:id
 * with the page's own query string after every accepted batch, so new sessions join the
 * timeline, the figures and the session table without a reload.
 */
import type { ReactNode } from 'react';
import type { LadderRung } from '../../lib/analysis/findings';
import type { ScopeOptions } from '../../lib/dashboard/scope';
import type { ExportColumn } from '../../lib/dashboard/table-export';
import { formatPercent } from '../../lib/overview/format';
import { analysisHref } from '../../lib/paths/analysis-link';
import { dropsInData, lifeSummary } from '../../lib/paths/data-time';
import type { Health } from '../../lib/paths/health';
import { pathDetailSchema } from '../../lib/paths/schema';
import type { PathDetail } from '../../lib/paths/types';
import { ScopeBar } from '../dashboard/scope-bar';
import { TableExport } from '../dashboard/table-export';
import { Instant, useTimeZone } from '../dashboard/time-zone';
import { LiveStatusBadge, RefreshError } from '../live/live-status';
import { useLiveReport } from '../live/use-live-report';
import { approxLifetime, rate } from './format';
import { PathTimeline } from './path-timeline';
import css from './paths.module.css';
import { PhasesChart } from './phases-chart';
import { RttChart } from './rtt-chart';
import { SessionTable } from './session-table';

/** The ladder table's columns, exported as shown. */
const RUNG_COLUMNS: readonly ExportColumn<LadderRung>[] = [
  { header: 'probe', value: (r) => r.probe },
  { header: 'idle gap (ms)', value: (r) => r.gapMs },
  { header: 'survived', value: (r) => r.survived },
  { header: 'died', value: (r) => r.died },
];

const BADGE: Record<Health, string> = { healthy: 'badge-open', failing: 'badge-drop', degraded: 'badge-refused', idle: 'badge-closed' };

export function LivePath(props: { initial: PathDetail; apiPath: string; query: string; options: ScopeOptions; backHref: string; profileFiltered: boolean; sessionLimit: number }) {
  const { report: d, status, refreshing, error, retry } = useLiveReport(props.initial, { url: `${props.apiPath}${props.query}`, schema: pathDetailSchema, spans: { kind: 'scope' } });
  const s = d.summary;
  const life = s ? lifeSummary(s) : null;
  const tz = useTimeZone();

  return (
    <div className={css.page} data-testid="path" data-target={d.target} data-proxy={d.proxy} data-attempts={s?.attempts ?? 0} data-socket={status}>
      <a className={css.crumb} href={props.backHref}>
        ← All paths
      </a>
      <div className={css.heading}>
        <h1>
          {d.target} <span className="muted">via</span> {d.proxy}
        </h1>
        <div className={css.headingSide}>
          {s && <span className={`badge ${BADGE[s.health]}`}>{s.health}</span>}
          {/* Every figure below is read for one instant: say which (issue 19). */}
          <span className="muted" data-testid="as-of" data-at={d.now}>
            as of <Instant at={d.now} style="clock" />
          </span>
          <LiveStatusBadge status={status} busy={refreshing} />
        </div>
      </div>
      <ScopeBar options={props.options} />
      <RefreshError error={error} status={status} retry={retry} />
      {!s ? (
        <p className="placeholder" data-testid="empty-range">
          Nothing was attempted on this path in this range. Pick a longer range or clear a filter above, or check on the <a href="/probes">Probes</a> page that its probe is online. This page
          updates by itself when sessions arrive.
        </p>
      ) : (
        <div className={css.tiles} data-testid="path-summary">
          <Tile label="attempts" value={String(s.attempts)} note={`${s.opened} upgraded (101)`} />
          <Tile label="upgrade success" value={formatPercent(s.upgradeRatio)} note={`${s.attempts - s.opened} refused or failed`} />
          <Tile label="median life" value={approxLifetime(life!.medianMs)} note={life!.note} testId="path-life" />
          <Tile label="drops" value={String(s.drops)} note={`${formatPercent(s.dropShare)} of ended · ${rate(s.dropsPerHour)} · ${dropsInData(s.drops, s.dataMs)}`} testId="path-drops" />
          <Tile label="last attempt" value={<Instant at={s.lastAttemptAt} style="clock" />} note={<Instant at={s.lastAttemptAt} style="day" />} />
        </div>
      )}
      <PathTimeline sessions={d.timeline.sessions} total={d.timeline.total} limit={d.timeline.limit} egressChanges={d.egressChanges} from={d.from} to={d.to} now={d.now} />
      <div className={css.grid2}>
        <RttChart points={d.rtt.points} bucketMs={d.rtt.bucketMs} />
        <PhasesChart phases={d.phases} />
      </div>
      {props.profileFiltered && <p className={css.note}>RTT is kept per minute and path, not per profile: the RTT chart ignores the profile filter.</p>}
      <section className="card" aria-label="Ladder" data-testid="path-ladder" data-rungs={d.ladder.rungs.length}>
        <header className="card-header">
          <h2>Ladder</h2>
          <div className="card-meta">idle gaps each rung survived or died at</div>
        </header>
        {d.ladder.rungs.length === 0 ? (
          <p className={css.placeholder}>
            No ladder canaries ended on this path in this range. Add the built-in <code>ladder</code> profile to this path in the probe&apos;s config to bracket its idle timeout.
          </p>
        ) : (
          <>
            <ul className="findings">
              {d.ladder.findings.map((f) => (
                <li key={f.title} className={`finding finding-${f.severity}`} data-fix={f.fix?.kind === 'heartbeat' ? `heartbeat:${f.fix.intervalMs}` : undefined}>
                  <div className="finding-title">{f.title}</div>
                  <div>{f.recommendation}</div>
                </li>
              ))}
            </ul>
            {/* A ladder finding on a cut a signature also sees repeats that signature's fix (lib/analysis/fixes.ts), as the analysis of this scope does. */}
            <p className={css.note} data-testid="ladder-analysis-link">
              <a href={analysisHref(props.query, d, tz)}>The analysis of this path</a>, over this range, names the layer when a drop signature sees the same cut, with its one fix.
            </p>
            <TableExport name="ladder" rows={d.ladder.rungs} columns={RUNG_COLUMNS} />
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">probe</th>
                  <th scope="col" className="num">
                    idle gap
                  </th>
                  <th scope="col" className="num">
                    survived
                  </th>
                  <th scope="col" className="num">
                    died
                  </th>
                </tr>
              </thead>
              <tbody>
                {d.ladder.rungs.map((r) => (
                  <tr key={`${r.probe}-${r.gapMs}`} data-hit={r.died > r.survived}>
                    <td>{r.probe}</td>
                    <td className="num">{r.gapMs / 1000} s</td>
                    <td className="num">{r.survived}</td>
                    <td className="num">{r.died}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </section>
      <section aria-label="Sessions">
        <h2 style={{ margin: '0.5rem 0' }}>Sessions · newest {props.sessionLimit}</h2>
        <SessionTable sessions={d.sessions} limit={props.sessionLimit} />
      </section>
    </div>
  );
}

function Tile({ label, value, note, testId }: { label: string; value: ReactNode; note: ReactNode; testId?: string }) {
  return (
    <div className={css.tile} data-testid={testId}>
      <div className={css.tileLabel}>{label}</div>
      <div className={css.tileValue}>{value}</div>
      <div className={css.tileNote}>{note}</div>
    </div>
  );
}
