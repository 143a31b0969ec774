'use client';
/**
 * The latest alert transitions and the alerts that are not inactive, each marked when a
 * silence holds it (issue 19): a silenced alert changes state like any other, and its row
 * says which silence kept it from notifying anyone.
 */
import { describeMatchers, rowsForAlert } from '../../lib/alerts/silence';
import { deliveryOutcome } from '../../lib/alerts/transition-delivery';
import { Instant } from '../dashboard/time-zone';
import { TableExport } from '../dashboard/table-export';
import css from './alerts.module.css';
import { requestSilence } from './silences-panel';
import type { AlertView, SeenBy, SilenceView, TransitionView, WithSeen } from './types';

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
function seen(q: SeenBy | null) {
  return q ? (
    <span className={css.sub} data-testid="alert-quorum" data-probes={q.probes.join(' ')}>
      {q.text}
    </span>
  ) : null;
}
const value = (v: number | null) => (v === null ? '—' : Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 1000) / 1000);
const labelText = (l: Record<string, string>) => Object.entries(l).map(([k, v]) => `${k}=${v}`).join(', ');

/** "silenced" with the silence's number; its matchers and end in the title when known. */
function SilencedBadge({ id, silences, what }: { id: number | null; silences: readonly SilenceView[]; what: string }) {
  if (id === null) return null;
  const s = silences.find((x) => x.id === id);
  const title = s ? `${what} by silence #${id}: ${describeMatchers(s.matchers)}, until ${s.endsAt}${s.comment ? ` (${s.comment})` : ''}` : `${what} by silence #${id}`;
  return (
    <span className={css.silenced} title={title} data-testid="silenced-badge" data-silence={id}>
      silenced #{id}
    </span>
  );
}

/** `canEdit`: rows offer "Silence…", which opens the silence form prefilled for that alert. */
export function CurrentAlerts({ alerts, silences = [], canEdit = false }: { alerts: WithSeen<AlertView>[]; silences?: readonly SilenceView[]; canEdit?: boolean }) {
  return (
    <section className={css.section} aria-labelledby="current-title">
      <div className={css.sectionHeader}>
        <h2 id="current-title">Alerts</h2>
        <div className={css.actions}>
          <span className={css.sub}>one per rule and label set</span>
          <TableExport
            name="alerts"
            rows={alerts}
            columns={[
              { header: 'rule', value: (a) => a.rule },
              { header: 'severity', value: (a) => a.severity },
              { header: 'labels', value: (a) => labelText(a.labels) },
              { header: 'state', value: (a) => a.status },
              { header: 'silenced by', value: (a) => a.silencedBy ?? '' },
              { header: 'since', value: (a) => a.since },
              { header: 'value', value: (a) => a.value ?? '' },
            ]}
          />
        </div>
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
                <th scope="col" className={css.num}>
                  value
                </th>
                {canEdit && (
                  <th scope="col">
                    <span className="sr-only">actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {alerts.map((a) => (
                <tr key={`${a.ruleId}-${JSON.stringify(a.labels)}`} data-testid="alert-row" data-status={a.status} data-silenced={a.silencedBy ?? undefined}>
                  <th scope="row">
                    {a.rule} <span className={`${css.severity} ${css[a.severity]}`}>{a.severity}</span>
                  </th>
                  <td>
                    {labels(a.labels)}
                    {seen(a.seen)}
                  </td>
                  <td>
                    <span className={`${css.status} ${css[a.status]}`}>{a.status}</span>
                    <SilencedBadge id={a.silencedBy} silences={silences} what="notifications held back" />
                    {a.status === 'firing' && !a.notified && a.silencedBy === null && <span className={css.sub}>not sent yet: goes out at the next evaluation</span>}
                  </td>
                  <td>
                    <Instant at={a.since} />
                  </td>
                  <td className={css.num}>{value(a.value)}</td>
                  {canEdit && (
                    <td>
                      {a.status !== 'resolved' && a.silencedBy === null && (
                        <button type="button" className={css.button} onClick={() => requestSilence(rowsForAlert(a.rule, a.labels))} aria-label={`Silence ${a.rule} ${labelText(a.labels)}`.trim()}>
                          Silence…
                        </button>
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function AlertHistory({ history, silences = [] }: { history: WithSeen<TransitionView>[]; silences?: readonly SilenceView[] }) {
  return (
    <section className={css.section} aria-labelledby="history-title">
      <div className={css.sectionHeader}>
        <h2 id="history-title">History</h2>
        <div className={css.actions}>
          {history.length > 0 && <span className={css.sub}>{history.length === 1 ? 'one transition' : `latest ${history.length} transitions`}</span>}
          <TableExport
            name="alert-history"
            rows={history}
            columns={[
              { header: 'at', value: (t) => t.at },
              { header: 'rule', value: (t) => t.rule },
              { header: 'labels', value: (t) => labelText(t.labels) },
              { header: 'from', value: (t) => t.from },
              { header: 'to', value: (t) => t.to },
              { header: 'silenced by', value: (t) => t.silencedBy ?? '' },
              { header: 'notification', value: (t) => deliveryOutcome(t).text },
              { header: 'value', value: (t) => t.value ?? '' },
            ]}
          />
        </div>
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
                <th scope="col" className={css.num}>
                  value
                </th>
              </tr>
            </thead>
            <tbody>
              {history.map((t) => {
                const told = deliveryOutcome(t);
                return (
                <tr key={t.id} data-testid="history-row" data-silenced={t.silencedBy ?? undefined} data-delivery={told.state}>
                  <td>
                    <Instant at={t.at} />
                  </td>
                  <td>{t.rule}</td>
                  <td>
                    {labels(t.labels)}
                    {seen(t.seen)}
                  </td>
                  <td>
                    <span className={css[t.from]}>{t.from}</span> → <span className={`${css.status} ${css[t.to]}`}>{t.to}</span>
                    <SilencedBadge id={t.silencedBy} silences={silences} what="held back" />
                    {told.text && (
                      <span className={told.state === 'sent' ? css.sub : `${css.sub} ${css.warnText}`} data-testid="history-delivery">
                        {told.text}
                      </span>
                    )}
                  </td>
                  <td className={css.num}>{value(t.value)}</td>
                </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
