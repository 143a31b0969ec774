import { notFound } from 'next/navigation';
import { Suspense } from 'react';
import { Loading } from '@/components/paths/loading';
import type { DashboardQuery } from '@/lib/dashboard/scope';
import type { PathKey } from '@/lib/paths/path-id';
import { ScopeBar } from '@/components/dashboard/scope-bar';
import { lifetime, rate } from '@/components/paths/format';
import { BadLink } from '@/components/paths/no-probes';
import { PathTimeline } from '@/components/paths/path-timeline';
import css from '@/components/paths/paths.module.css';
import { PhasesChart } from '@/components/paths/phases-chart';
import { RttChart } from '@/components/paths/rtt-chart';
import { SessionTable } from '@/components/paths/session-table';
import { getDatabase } from '@/db/client';
import { pathDetail, pathExists, SESSION_TABLE_LIMIT } from '@/db/queries/path-detail';
import { scopeOptions } from '@/db/queries/scope';
import { resolveScope, scopeQueryString } from '@/lib/dashboard/scope';
import { describeIssues } from '@/lib/http/problem';
import { formatPercent } from '@/lib/overview/format';
import { parsePathId } from '@/lib/paths/path-id';
import { parseScopeQuery, presentParams } from '@/lib/paths/query';

export const dynamic = 'force-dynamic';

export default async function PathPage(props: { params: Promise<{ id: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const key = parsePathId((await props.params).id);
  if (!key) notFound();
  const parsed = parseScopeQuery(presentParams(await props.searchParams));
  if (!parsed.success) return <BadLink message={describeIssues(parsed.issues)} reset={{ href: '/paths', label: 'Back to all paths' }} />;
  const db = getDatabase().db;
  // Both 404s come before anything streams, so the status line can still say 404.
  if (!(await pathExists(db, key))) notFound();
  return (
    <Suspense fallback={<Loading what={`${key.target} via ${key.proxy}`} />}>
      <PathBody pathKey={key} query={parsed.data} />
    </Suspense>
  );
}

async function PathBody({ pathKey: key, query }: { pathKey: PathKey; query: DashboardQuery }) {
  const db = getDatabase().db;
  const parsed = { data: query };
  const now = new Date();
  const scope = resolveScope(parsed.data, now);
  const [d, options] = [await pathDetail(db, key, scope, now), await scopeOptions(db)];
  // The path fixes target and proxy: offer only its own in those two filters.
  const pathOptions = { ...options, targets: [key.target], proxies: [key.proxy] };
  const s = d.summary;
  const back = `/paths${scopeQueryString({ ...parsed.data, target: undefined, proxy: undefined })}`;

  return (
    <div className={css.page} data-testid="path" data-target={key.target} data-proxy={key.proxy} data-attempts={s?.attempts ?? 0}>
      <a className={css.crumb} href={back}>
        ← All paths
      </a>
      <div className={css.heading}>
        <h1>
          {key.target} <span className="muted">via</span> {key.proxy}
        </h1>
        {s && <span className={`badge ${s.health === 'healthy' ? 'badge-open' : s.health === 'failing' ? 'badge-drop' : s.health === 'degraded' ? 'badge-refused' : 'badge-closed'}`}>{s.health}</span>}
      </div>
      <ScopeBar options={pathOptions} />
      {!s ? (
        <p className="placeholder" data-testid="empty-range">
          Nothing was attempted on this path in this range. Pick a longer range or clear a filter above, or check on the <a href="/probes">Probes</a> page that its probe is online.
        </p>
      ) : (
        <div className={css.tiles} data-testid="path-summary">
          <Tile label="attempts" value={String(s.attempts)} note={`${s.opened} upgraded (101)`} />
          <Tile label="upgrade success" value={formatPercent(s.upgradeRatio)} note={`${s.attempts - s.opened} refused or failed`} />
          <Tile label="median lifetime" value={lifetime(s.medianLifetimeMs)} note={`of ${s.ended} ended`} />
          <Tile label="drops" value={String(s.drops)} note={`${formatPercent(s.dropShare)} of ended · ${rate(s.dropsPerHour)}`} />
          <Tile label="last attempt" value={s.lastAttemptAt.slice(11, 19)} note={`${s.lastAttemptAt.slice(0, 10)} UTC`} />
        </div>
      )}
      <PathTimeline sessions={d.timeline.sessions} total={d.timeline.total} limit={d.timeline.limit} egressChanges={d.egressChanges} from={d.from} to={d.to} now={d.now} />
      <div className={css.grid2}>
        <RttChart points={d.rtt.points} bucketMs={d.rtt.bucketMs} />
        <PhasesChart phases={d.phases} />
      </div>
      {parsed.data.profile && <p className={css.note}>RTT is kept per minute and path, not per profile: the RTT chart ignores the profile filter.</p>}
      <section className="card" aria-label="Ladder" data-testid="path-ladder" data-rungs={d.ladder.rungs.length}>
        <header className="card-header">
          <h2>Ladder</h2>
          <div className="card-meta">idle gaps each rung survived or died at</div>
        </header>
        {d.ladder.rungs.length === 0 ? (
          <p className={css.placeholder}>No ladder canaries ended on this path in this range. Add the built-in <code>ladder</code> profile to this path in the probe&apos;s config to bracket its idle timeout.</p>
        ) : (
          <>
            <ul className="findings">
              {d.ladder.findings.map((f) => (
                <li key={f.title} className={`finding finding-${f.severity}`}>
                  <div className="finding-title">{f.title}</div>
                  <div>{f.recommendation}</div>
                </li>
              ))}
            </ul>
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">probe</th>
                  <th scope="col" className="num">idle gap</th>
                  <th scope="col" className="num">survived</th>
                  <th scope="col" className="num">died</th>
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
        <h2 style={{ margin: '0.5rem 0' }}>Sessions · newest {SESSION_TABLE_LIMIT}</h2>
        <SessionTable sessions={d.sessions} limit={SESSION_TABLE_LIMIT} />
      </section>
    </div>
  );
}

function Tile({ label, value, note }: { label: string; value: string; note: string }) {
  return (
    <div className={css.tile}>
      <div className={css.tileLabel}>{label}</div>
      <div className={css.tileValue}>{value}</div>
      <div className={css.tileNote}>{note}</div>
    </div>
  );
}
