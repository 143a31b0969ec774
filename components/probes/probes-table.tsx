/**
 * Every probe: online or not (and for how long it has been silent), version, labels, canaries,
 * spool, and its plan (issue 17: which version it fetched when, and below its row the paths
 * it runs or could not run). Given `admin` (the page is an admin's), each row also says
 * whether it is a canary target and carries the probe's controls; without it, the table is
 * the viewers' table.
 */
import type { ExportColumn } from '../../lib/dashboard/table-export';
import { formatDurationShort } from '../../lib/overview/format';
import type { ProbeState, ProbeStatus } from '../../lib/paths/types';
import { TableExport } from '../dashboard/table-export';
import { Instant } from '../dashboard/time-zone';
import { ProbeActions } from './probe-actions';
import { PlanCell, ProbePlan } from './probe-plan';
import css from './probes.module.css';
import type { AdminProbes, IssuedToken } from './types';

const STATE: Record<ProbeState, { mark: string; word: string; className: string }> = {
  online: { mark: '●', word: 'online', className: css.online! },
  offline: { mark: '○', word: 'offline', className: css.offline! },
  'never-seen': { mark: '◌', word: 'never seen', className: css.neverSeen! },
  revoked: { mark: '✕', word: 'revoked', className: css.revoked! },
};

/** The viewers' columns; an admin's table has one more, the controls. */
const COLUMNS = 10;

const n = (x: number | null) => (x === null ? '—' : String(x));

/** The export: the table's columns with raw values (ISO instants, milliseconds); labels as `k=v` pairs. */
export const PROBES_EXPORT_COLUMNS: readonly ExportColumn<ProbeStatus>[] = [
  { header: 'probe', value: (p) => p.name },
  { header: 'state', value: (p) => p.state },
  { header: 'registered', value: (p) => p.createdAt },
  { header: 'first seen', value: (p) => p.firstSeenAt },
  { header: 'last seen', value: (p) => p.lastSeenAt },
  { header: 'silent for ms', value: (p) => p.silentForMs },
  { header: 'revoked', value: (p) => p.revokedAt },
  { header: 'version', value: (p) => p.agentVersion },
  { header: 'labels', value: (p) => Object.entries(p.labels).map(([k, v]) => `${k}=${v}`).join(' ') },
  { header: 'open', value: (p) => p.canaries.open },
  { header: 'connecting', value: (p) => p.canaries.connecting },
  { header: 'backoff', value: (p) => p.canaries.backoff },
  { header: 'spool', value: (p) => p.spoolDepth },
  { header: 'plan version', value: (p) => p.plan?.version ?? null },
];

export function ProbesTable({ probes, admin }: { probes: ProbeStatus[]; admin?: { probes: AdminProbes; onIssued(issued: IssuedToken): void } }) {
  return (
    <div className={css.block}>
      <div className={css.tools}>
        <TableExport name="probes" rows={probes} columns={PROBES_EXPORT_COLUMNS} />
      </div>
      <div className={css.scroll}>
        <table className={css.table} data-testid="probes-table" data-rows={probes.length}>
          <caption className="sr-only">Probes</caption>
          <thead>
            <tr>
              <th scope="col">probe</th>
              <th scope="col">state</th>
              <th scope="col">version</th>
              <th scope="col">labels</th>
              <th scope="col" className={css.num}>open</th>
              <th scope="col" className={css.num}>connecting</th>
              <th scope="col" className={css.num}>backoff</th>
              <th scope="col">last seen</th>
              <th scope="col" className={css.num}>spool</th>
              <th scope="col">plan</th>
              {admin && (
                <th scope="col">
                  <span className="sr-only">actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {probes.map((p) => {
              const st = STATE[p.state];
              const managed = admin?.probes.get(p.name);
              return [
                <tr key={p.name} className={p.plan ? css.withPlan : undefined} data-testid="probe-row" data-probe={p.name} data-state={p.state}>
                  <th scope="row" className={css.name}>
                    {p.name}
                    <span className={css.sub}>
                      registered <Instant at={p.createdAt} style="datetime" />
                    </span>
                    {managed?.kind === 'target' && <span className={css.sub} data-testid="probe-kind">canary target</span>}
                  </th>
                  <td>
                    <span className={`${css.state} ${st.className}`}>
                      <span aria-hidden="true">{st.mark}</span> {st.word}
                    </span>
                    {p.state === 'offline' && p.silentForMs !== null && <span className={css.sub}>silent {formatDurationShort(p.silentForMs)}</span>}
                    {p.state === 'revoked' && p.revokedAt && (
                      <span className={css.sub}>
                        <Instant at={p.revokedAt} />
                      </span>
                    )}
                    {p.state === 'never-seen' && <span className={css.sub}>start its agent with the token</span>}
                  </td>
                  <td>{p.agentVersion ?? '—'}</td>
                  <td>
                    {Object.keys(p.labels).length === 0 ? (
                      <span className="muted">none</span>
                    ) : (
                      <span className={css.labels}>
                        {Object.entries(p.labels).map(([k, v]) => (
                          <span key={k} className={css.label}>
                            {k}={v}
                          </span>
                        ))}
                      </span>
                    )}
                  </td>
                  <td className={css.num}>{n(p.canaries.open)}</td>
                  <td className={css.num}>{n(p.canaries.connecting)}</td>
                  <td className={css.num}>{n(p.canaries.backoff)}</td>
                  <td>
                    {p.lastSeenAt ? <Instant at={p.lastSeenAt} /> : '—'}
                    {p.silentForMs !== null && p.state === 'online' && <span className={css.sub}>{formatDurationShort(Math.max(1000, p.silentForMs))} ago</span>}
                  </td>
                  <td className={css.num}>{n(p.spoolDepth)}</td>
                  <td>
                    <PlanCell plan={p.plan} />
                  </td>
                  {admin && (
                    <td>
                      {managed ? (
                        <ProbeActions probe={{ id: managed.id, name: p.name, kind: managed.kind, labels: p.labels, revoked: p.state === 'revoked' }} onIssued={admin.onIssued} />
                      ) : (
                        <span className="muted">reload to manage</span>
                      )}
                    </td>
                  )}
                </tr>,
                // The plan's paths on a row of their own, under the probe's: a list is too wide for a cell.
                p.plan && (
                  <tr key={`${p.name}-plan`} className={css.planRow} data-testid="probe-plan-row" data-probe={p.name}>
                    <td colSpan={admin ? COLUMNS + 1 : COLUMNS}>
                      <ProbePlan probe={p.name} plan={p.plan} />
                    </td>
                  </tr>
                ),
              ];
            })}
          </tbody>
        </table>
      </div>
    </div>
  );
}
