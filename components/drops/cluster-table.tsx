'use client';
/**
 * The drops of one signature's cluster, newest first (at most CLUSTER_LIMIT), each path a
 * link to its page; the rows as CSV or JSON beside the heading.
 */
import type { ExportColumn } from '../../lib/dashboard/table-export';
import type { ClusterDrop, DropsReport } from '../../lib/drops/report';
import { formatDurationPrecise } from '../../lib/overview/format';
import { pathId } from '../../lib/paths/path-id';
import { TableExport } from '../dashboard/table-export';
import { Instant } from '../dashboard/time-zone';
import { ZoneName } from '../dashboard/zone-name';
import { closeCodeLabel, END_KIND_LABELS } from './labels';
import styles from './drops.module.css';

/** The export: the table's columns with raw values (ISO instant, milliseconds, the end kind's key). */
export const CLUSTER_EXPORT_COLUMNS: readonly ExportColumn<ClusterDrop>[] = [
  { header: 'session', value: (d) => d.sessionId },
  { header: 'ended', value: (d) => d.endedAt },
  { header: 'probe', value: (d) => d.probe },
  { header: 'target', value: (d) => d.target },
  { header: 'proxy', value: (d) => d.proxy },
  { header: 'profile', value: (d) => d.profile },
  { header: 'duration ms', value: (d) => d.durationMs },
  { header: 'age ms', value: (d) => d.ageMs },
  { header: 'idle ms', value: (d) => d.idleMs },
  { header: 'ending', value: (d) => d.endKind },
  { header: 'close code', value: (d) => d.closeCode },
  { header: 'egress', value: (d) => d.egress },
];

export function ClusterTable({ cluster, clearHref }: { cluster: NonNullable<DropsReport['cluster']>; clearHref: string }) {
  const sig = cluster.signature;
  return (
    <section className="card" data-testid="cluster" data-n={cluster.nSeconds} data-total={cluster.total} data-rows={cluster.drops.length} aria-label="Drops in the selected cluster">
      <header className="card-header">
        <h2>
          {sig ? `Drops at ${sig.nSeconds.toFixed(1)} s (${sig.dimension === 'age' ? 'age' : 'idle time'} ${formatDurationPrecise(sig.minMs)} – ${formatDurationPrecise(sig.maxMs)})` : `No signature at ${cluster.nSeconds} s`}
        </h2>
        <span className="card-tools">
          {sig && <TableExport name={`drops-at-${cluster.nSeconds}s`} rows={cluster.drops} columns={CLUSTER_EXPORT_COLUMNS} />}
          <a className="card-meta" href={clearHref}>
            clear selection
          </a>
        </span>
      </header>
      {!sig ? (
        <p className="muted">The analysis finds no signature at {cluster.nSeconds} s in this range and these filters. Pick one of the signatures above.</p>
      ) : (
        <>
          <p className={styles.note}>
            {sig.verdict} {cluster.total > cluster.drops.length && `Showing the newest ${cluster.drops.length} of ${cluster.total}.`}
          </p>
          <div className={styles.tableWrap}>
            <table className="table">
              <thead>
                <tr>
                  <th>
                    ended <span className="muted">(<ZoneName />)</span>
                  </th>
                  <th>probe</th>
                  <th>path</th>
                  <th className="num">duration</th>
                  <th className="num">idle</th>
                  <th>ending</th>
                  <th>close code</th>
                  <th>egress</th>
                </tr>
              </thead>
              <tbody>
                {cluster.drops.map((d) => (
                  <tr key={d.sessionId} data-session={d.sessionId}>
                    <td className={styles.mono}>
                      <Instant at={d.endedAt} />
                    </td>
                    <td>{d.probe}</td>
                    <td>
                      <a href={`/paths/${pathId({ target: d.target, proxy: d.proxy })}`}>
                        {d.target} <span className="muted">via</span> {d.proxy}
                      </a>{' '}
                      <span className="muted">· {d.profile}</span>
                    </td>
                    <td className="num">{d.durationMs === null ? '—' : formatDurationPrecise(d.durationMs)}</td>
                    <td className="num">{d.idleMs === null ? '—' : formatDurationPrecise(d.idleMs)}</td>
                    <td>{END_KIND_LABELS[d.endKind]}</td>
                    <td>{closeCodeLabel(d.closeCode)}</td>
                    <td className={styles.mono}>{d.egress ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
