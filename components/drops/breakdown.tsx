/**
 * A small horizontal bar chart in HTML: one row per value, the bar's length its share of
 * the largest. Readable by screen readers as a table, and in both colour schemes.
 */
import styles from './drops.module.css';

export interface BreakdownRow {
  key: string;
  label: string;
  count: number;
}

export function Breakdown({ id, title, rows, total }: { id: string; title: string; rows: readonly BreakdownRow[]; total: number }) {
  const max = rows.reduce((m, r) => Math.max(m, r.count), 0);
  return (
    <section className="card" data-testid={id} data-rows={rows.length} aria-label={title}>
      <header className="card-header">
        <h2>{title}</h2>
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
