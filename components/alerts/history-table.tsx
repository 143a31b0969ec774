/** The latest alert transitions and the alerts that are not inactive. Server-rendered. */
import { seenBy } from '../../lib/alerts/notification';
import { quorumOf } from '../../lib/alerts/quorum';
import css from './alerts.module.css';
import { stamp } from './format';
import type { AlertView, TransitionView } from './types';

const labels = (l: Record<string, string>) =>
  Object.keys(l).length === 0 ? (
    <span className={css.sub}>—</span>
  ) : (
    <span className={css.labels}>
      {Object.entries(l).map(([k, v]) => (
        <span key={k} className={css.label}>
          {k}={v}
        </span>
      ))}
    </span>
  );
/** A quorum rule's alert says which probes (or label values) saw the condition. */
function seen(evidence: Record<string, unknown>) {
  const q = quorumOf(evidence);
  return q ? (
    <span className={css.sub} data-testid="alert-quorum" data-probes={q.probes.join(' ')}>
      {seenBy(q)}
    </span>
  ) : null;
}
const value = (v: number | null) => (v === null ? '—' : Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 1000) / 1000);

export function CurrentAlerts({ alerts }: { alerts: AlertView[] }) {
  return (
    <section className={css.section} aria-labelledby="current-title">
      <div className={css.sectionHeader}>
        <h2 id="current-title">Alerts</h2>
        <span className={css.sub}>one per rule and label set</span>
      </div>
      {alerts.length === 0 ? (
        <p className={css.note}>No alert pending, firing or resolved.</p>
      ) : (
        <div className={css.scroll}>
          <table className={css.table} data-testid="alerts-table">
            <thead>
              <tr>
                <th scope="col">rule</th>
                <th scope="col">labels</th>
                <th scope="col">state</th>
                <th scope="col">since</th>
                <th scope="col" className={css.num}>value</th>
              </tr>
            </thead>
            <tbody>
              {alerts.map((a) => (
                <tr key={`${a.ruleId}-${JSON.stringify(a.labels)}`} data-testid="alert-row" data-status={a.status}>
                  <th scope="row">
                    {a.rule} <span className={`${css.severity} ${css[a.severity]}`}>{a.severity}</span>
                  </th>
                  <td>
                    {labels(a.labels)}
                    {seen(a.evidence)}
                  </td>
                  <td>
                    <span className={`${css.status} ${css[a.status]}`}>{a.status}</span>
                  </td>
                  <td>{stamp(a.since)}</td>
                  <td className={css.num}>{value(a.value)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function AlertHistory({ history }: { history: TransitionView[] }) {
  return (
    <section className={css.section} aria-labelledby="history-title">
      <div className={css.sectionHeader}>
        <h2 id="history-title">History</h2>
        <span className={css.sub}>latest {history.length} transitions</span>
      </div>
      {history.length === 0 ? (
        <p className={css.note}>Nothing has happened yet.</p>
      ) : (
        <div className={css.scroll}>
          <table className={css.table} data-testid="history-table">
            <thead>
              <tr>
                <th scope="col">at</th>
                <th scope="col">rule</th>
                <th scope="col">labels</th>
                <th scope="col">change</th>
                <th scope="col" className={css.num}>value</th>
              </tr>
            </thead>
            <tbody>
              {history.map((t) => (
                <tr key={t.id}>
                  <td>{stamp(t.at)}</td>
                  <td>{t.rule}</td>
                  <td>
                    {labels(t.labels)}
                    {seen(t.evidence)}
                  </td>
                  <td>
                    <span className={css[t.from]}>{t.from}</span> → <span className={`${css.status} ${css[t.to]}`}>{t.to}</span>
                  </td>
                  <td className={css.num}>{value(t.value)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
