/** Failed handshakes grouped by one value (status, proxy reply, error code), with the paths hit. */
import type { ExportColumn } from '../../lib/dashboard/table-export';
import type { FailureGroup } from '../../lib/handshakes/report';
import { TableExport } from '../dashboard/table-export';
import styles from './handshakes.module.css';

/**
 * The export: the value (raw and in words), its count, and every path it hit as
 * `target via proxy ×n` (the table shows the first six).
 */
export function failureColumns<V extends string | number>(column: string, describe?: (v: V) => string): ExportColumn<FailureGroup<V>>[] {
  return [
    { header: column, value: (g) => g.value },
    ...(describe ? [{ header: `${column} meaning`, value: (g: FailureGroup<V>) => describe(g.value) }] : []),
    { header: 'count', value: (g) => g.count },
    { header: 'paths hit', value: (g) => g.paths.map((p) => `${p.target} via ${p.proxy} ×${p.count}`).join('; ') },
  ];
}

export function FailureTable<V extends string | number>(props: { id: string; title: string; column: string; groups: readonly FailureGroup<V>[]; describe?: (v: V) => string; empty: string }) {
  const max = props.groups.reduce((m, g) => Math.max(m, g.count), 0);
  return (
    <section className="card" data-testid={props.id} data-rows={props.groups.length} aria-label={props.title}>
      <header className="card-header">
        <h2>{props.title}</h2>
        <span className="card-tools">
          <span className="card-meta">{plural(props.groups.reduce((n, g) => n + g.count, 0), 'attempt')}</span>
          <TableExport name={props.id} rows={props.groups} columns={failureColumns(props.column, props.describe)} />
        </span>
      </header>
      {props.groups.length === 0 ? (
        <p className="muted">{props.empty}</p>
      ) : (
        <table className={`table ${styles.failures}`}>
          <thead>
            <tr>
              <th>{props.column}</th>
              <th className="num">count</th>
              <th className={styles.barHead} aria-hidden="true" />
              <th>paths hit (target via proxy)</th>
            </tr>
          </thead>
          <tbody>
            {props.groups.map((g) => (
              <tr key={String(g.value)} data-value={String(g.value)} data-count={g.count}>
                <td className={styles.value}>{props.describe ? props.describe(g.value) : String(g.value)}</td>
                <td className="num">{g.count}</td>
                <td className={styles.barCell} aria-hidden="true">
                  <span className={styles.bar} style={{ width: `${(100 * g.count) / max}%` }} />
                </td>
                <td>
                  {g.paths.slice(0, 6).map((p) => (
                    <span key={`${p.target}/${p.proxy}`} className={styles.path}>
                      {p.target} <span className="muted">via</span> {p.proxy} <span className="muted">×{p.count}</span>
                    </span>
                  ))}
                  {g.paths.length > 6 && <span className="muted">and {g.paths.length - 6} more</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
