'use client';
/**
 * Every probe, live: server-rendered first, then refetched from GET /api/v1/probes after
 * every accepted batch (a heartbeat moves "last seen" and the canary counts), and every
 * 15 s as well, because a probe goes offline by the clock alone: nothing is pushed when
 * a probe falls silent.
 *
 * Given `admin` (only an admin's page does), it also offers "Add probe" and each probe's
 * controls, and shows a token just issued, once.
 */
import { useMemo, useState } from 'react';
import { ShownOnce } from '../admin/shown-once';
import { probesReportSchema } from '../../lib/paths/schema';
import type { ProbesReport, ProbeState } from '../../lib/paths/types';
import { LiveStatusBadge, RefreshError } from '../live/live-status';
import { Instant, useTimeZone } from '../dashboard/time-zone';
import { zoneLabel } from '../../lib/dashboard/time';
import { useLiveReport } from '../live/use-live-report';
import { NoProbesYet } from '../paths/no-probes';
import { agentSnippets } from './agent-snippets';
import { AddProbe } from './add-probe';
import { ProbesTable } from './probes-table';
import css from './probes.module.css';
import type { AdminProbeList, IssuedToken } from './types';

/**
 * Heartbeats come every 30 s and a probe is offline after 90 s of silence: a 15 s poll
 * shows the change within 15 s of it, at four small requests a minute per open tab.
 */
export const PROBES_POLL_MS = 15_000;

export function LiveProbes({ initial, query, filter, admin }: { initial: ProbesReport; query: string; filter: string; admin?: AdminProbeList }) {
  const { report, status, refreshing, error, retry } = useLiveReport(initial, { url: `/api/v1/probes${query}`, schema: probesReportSchema, spans: { kind: 'none' }, pollMs: PROBES_POLL_MS });
  const { probes } = report;
  const count = (s: ProbeState) => probes.filter((p) => p.state === s).length;
  const unknown = unknownCanaries(probes);
  const tz = useTimeZone();
  const [issued, setIssued] = useState<IssuedToken | null>(null);
  const managed = useMemo(() => admin && { probes: new Map(admin.map((p) => [p.name, { id: p.id, kind: p.kind }])), onIssued: setIssued }, [admin]);

  return (
    <div className={css.page} data-testid="probes" data-count={probes.length} data-online={count('online')} data-now={report.now} data-socket={status}>
      <div className="overview-bar">
        <h1>Probes</h1>
        <LiveStatusBadge status={status} busy={refreshing} />
      </div>
      <RefreshError error={error} status={status} retry={retry} />
      {managed && <AddProbe onIssued={setIssued} />}
      {issued && (
        <ShownOnce
          title={`${issued.reason === 'added' ? 'Added' : 'New token for'} ${issued.kind === 'target' ? 'canary target' : 'probe'} ${issued.name}`}
          secretLabel={issued.kind === 'target' ? 'DROPSCOPE_TARGET_TOKEN' : 'probe token'}
          secret={issued.token}
          snippets={agentSnippets({ ...issued, origin: window.location.origin })}
          note={
            issued.kind === 'target'
              ? 'This token may post only the target\'s views of sessions that reach it. Put the target behind your CDN, load balancer or nginx and point probes at it.'
              : 'A start: canaries to this server\'s own canary target, direct. Add your targets, proxies and profiles ("Probes on edge hosts" in the README).'
          }
          onDone={() => setIssued(null)}
        />
      )}
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
            {unknown > 0 && (
              <span data-testid="canaries-unknown" data-count={unknown} title="Canaries their probe held open when it was last heard from. Whether they still live is unknown until it reports again; those it no longer holds are then closed as lost.">
                <strong>{unknown}</strong> {unknown === 1 ? 'canary' : 'canaries'} unknown (probe silent)
              </span>
            )}
            <span>
              online = heard from within {report.onlineWithinMs / 1000} s (three 30 s heartbeats) · as of <Instant at={report.now} style="clock" /> {zoneLabel(tz)}
              {filter ? ` · ${filter}` : ''}
            </span>
          </p>
          <ProbesTable probes={probes} admin={managed} />
        </>
      )}
    </div>
  );
}

/**
 * Canaries whose fate is unknown: those an offline probe held open when it was last heard
 * from (its last heartbeat's count). A revoked probe's were closed as lost at revocation.
 */
export function unknownCanaries(probes: readonly { state: ProbeState; canaries: { open: number | null } }[]): number {
  return probes.reduce((n, p) => n + (p.state === 'offline' ? (p.canaries.open ?? 0) : 0), 0);
}
