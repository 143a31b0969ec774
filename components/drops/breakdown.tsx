/**
 * A small horizontal bar chart in HTML: one row per value, the bar's length its share of
 * the largest. Readable by screen readers as a table, and in both colour schemes.
 */
import type { ExportColumn } from '../../lib/dashboard/table-export';
import { TableExport } from '../dashboard/table-export';
import styles from './drops.module.css';

export interface BreakdownRow {
  key: string;
  label: string;
  count: number;
}

/** The export: each row's key and words, its count and its share of `total` (a fraction, raw). */
export function breakdownColumns(total: number): ExportColumn<BreakdownRow>[] {
  return [
    { header: 'key', value: (r) => r.key },
    { header: 'label', value: (r) => r.label },
    { header: 'count', value: (r) => r.count },
    { header: 'share', value: (r) => (total === 0 ? null : r.count / total) },
  ];
}

export function Breakdown({ id, title, rows, total }: { id: string; title: string; rows: readonly BreakdownRow[]; total: number }) {
  const max = rows.reduce((m, r) => Math.max(m, r.count), 0);
  return (
    <section className="card" data-testid={id} data-rows={rows.length} aria-label={title}>
      <header className="card-header">
        <h2>{title}</h2>
        <TableExport name={id} rows={rows} columns={breakdownColumns(total)} />
      </header>
      {rows.length === 0 ? (
        <p className="muted">No drops.</p>
      ) : (
        <table className={styles.bars}>
          <tbody>
            {rows.map((r) => (
              <tr key={r.key} data-key={r.key} data-count={r.count}>
                <th scope="row">{r.label}</th>
                <td className={styles.barCell}>
                  <span className={styles.bar} style={{ width: `${max === 0 ? 0 : (100 * r.count) / max}%` }} />
                </td>
                <td className={styles.num}>{r.count}</td>
                <td className={styles.share}>{total === 0 ? '' : `${Math.round((100 * r.count) / total)}%`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
