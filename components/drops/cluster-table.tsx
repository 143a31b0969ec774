/** The drops of one signature's cluster, newest first (at most CLUSTER_LIMIT). */
import type { DropsReport } from '../../lib/drops/report';
import { formatDurationPrecise } from '../../lib/overview/format';
import { closeCodeLabel, END_KIND_LABELS } from './labels';
import styles from './drops.module.css';

export function ClusterTable({ cluster, clearHref }: { cluster: NonNullable<DropsReport['cluster']>; clearHref: string }) {
  const sig = cluster.signature;
  return (
    <section className="card" data-testid="cluster" data-n={cluster.nSeconds} data-total={cluster.total} data-rows={cluster.drops.length} aria-label="Drops in the selected cluster">
      <header className="card-header">
        <h2>
          {sig ? `Drops at ${sig.nSeconds.toFixed(1)} s (${sig.dimension === 'age' ? 'age' : 'idle time'} ${formatDurationPrecise(sig.minMs)} – ${formatDurationPrecise(sig.maxMs)})` : `No signature at ${cluster.nSeconds} s`}
        </h2>
        <a className="card-meta" href={clearHref}>
          clear selection
        </a>
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
                  <th>ended (UTC)</th>
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
                    <td className={styles.mono}>{d.endedAt.replace('T', ' ').slice(0, 19)}</td>
                    <td>{d.probe}</td>
                    <td>
                      {d.target} <span className="muted">via</span> {d.proxy} <span className="muted">· {d.profile}</span>
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
