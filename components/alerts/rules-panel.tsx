'use client';
/** The rules with the state of their alerts; create, edit and delete in place. */
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { apiCall } from './api-call';
import css from './alerts.module.css';
import { RuleForm } from './rule-form';
import type { AlertView, RuleWire, WebhookWire } from './types';

const MARK: Record<string, string> = { firing: '●', pending: '◐', resolved: '○', ok: '○', disabled: '–' };

function describe(rule: RuleWire): string {
  switch (rule.kind) {
    case 'drop_rate':
      return `more than ${rule.threshold} drops/min over ${rule.window}`;
    case 'upgrade_ratio':
      return `upgrade ratio below ${rule.threshold} over ${rule.window}`;
    case 'silent_deaths':
      return `more than ${rule.threshold} silent deaths over ${rule.window}`;
    case 'rtt_p95':
      return `p95 RTT above ${rule.threshold} ms over ${rule.window}`;
    case 'signature':
      return `a new drop signature, or N moving by more than ${rule.tolerance}, over ${rule.window}`;
    case 'probe_offline':
      return `a probe silent for more than ${rule.offlineAfter}`;
    default:
      return rule.kind;
  }
}

/** `canEdit`: the viewer's role may change rules (editor or admin); otherwise the panel only reads. */
export function RulesPanel({ rules, alerts, webhooks, canEdit }: { rules: RuleWire[]; alerts: AlertView[]; webhooks: WebhookWire[]; canEdit: boolean }) {
  const router = useRouter();
  const [editing, setEditing] = useState<number | 'new' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const done = () => {
    setEditing(null);
    router.refresh();
  };
  async function remove(rule: RuleWire) {
    if (!window.confirm(`Delete the rule "${rule.name}" and its alert history?`)) return;
    const r = await apiCall(`/api/v1/alert-rules/${rule.id}`, 'DELETE');
    if (!r.ok) setError(r.message ?? 'delete failed');
    else router.refresh();
  }

  return (
    <section className={css.section} aria-labelledby="rules-title">
      <div className={css.sectionHeader}>
        <h2 id="rules-title">Rules</h2>
        {canEdit && editing !== 'new' && (
          <button type="button" className={css.primary} onClick={() => setEditing('new')}>
            New rule
          </button>
        )}
      </div>
      {error && <p className={`${css.banner} ${css.bannerError}`} role="alert">{error}</p>}
      {editing === 'new' && <RuleForm webhooks={webhooks} onDone={done} />}
      {rules.length === 0 ? (
        <p className={css.note}>No rule yet. A rule watches drops, upgrades, silent deaths, RTT, signatures or probes and sends its alerts to webhooks.</p>
      ) : (
        <div className={css.scroll}>
          <table className={css.table} data-testid="rules-table" data-rows={rules.length}>
            <thead>
              <tr>
                <th scope="col">rule</th>
                <th scope="col">state</th>
                <th scope="col">condition</th>
                <th scope="col">for / resolve after</th>
                <th scope="col">webhooks</th>
                <th scope="col">
                  <span className="sr-only">actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rules.map((rule) => {
                const mine = alerts.filter((a) => a.ruleId === rule.id);
                const firing = mine.filter((a) => a.status === 'firing').length;
                const pending = mine.filter((a) => a.status === 'pending').length;
                // Held by a silence: they change state, but notify no one (issue 19).
                const silenced = mine.filter((a) => (a.status === 'firing' || a.status === 'pending') && a.silencedBy !== null).length;
                const state = !rule.enabled ? 'disabled' : firing > 0 ? 'firing' : pending > 0 ? 'pending' : 'ok';
                return [
                  <tr key={rule.id} data-testid="rule-row" data-rule={rule.name} data-state={state}>
                    <th scope="row">
                      {rule.name} <span className={`${css.severity} ${css[rule.severity]}`}>{rule.severity}</span>
                      <span className={css.sub}>
                        {Object.entries(rule.scope).map(([k, v]) => `${k}=${v}`).join(' · ') || 'everywhere'}
                        {rule.groupBy.length > 0 && ` · one alert per ${rule.groupBy.join(' × ')}`}
                      </span>
                    </th>
                    <td>
                      <span className={`${css.status} ${css[state]}`}>
                        <span aria-hidden="true">{MARK[state]}</span> {state}
                      </span>
                      {firing + pending > 0 && (
                        <span className={css.sub} data-testid="rule-alert-counts">
                          {firing} firing · {pending} pending{silenced > 0 && ` · ${silenced} silenced`}
                        </span>
                      )}
                    </td>
                    <td>{describe(rule)}</td>
                    <td>
                      {rule.for} / {rule.resolveAfter}
                    </td>
                    <td>{rule.webhooks.map((id) => webhooks.find((w) => w.id === id)?.name ?? `#${id}`).join(', ') || '—'}</td>
                    <td>
                      {canEdit && <div className={css.actions}>
                        <button type="button" className={css.button} onClick={() => setEditing(rule.id)} aria-label={`Edit ${rule.name}`}>
                          Edit
                        </button>
                        <button type="button" className={css.button} onClick={() => void remove(rule)} aria-label={`Delete ${rule.name}`}>
                          Delete
                        </button>
                      </div>}
                    </td>
                  </tr>,
                  editing === rule.id && (
                    <tr key={`${rule.id}-edit`}>
                      <td colSpan={6}>
                        <RuleForm rule={rule} webhooks={webhooks} onDone={done} />
                      </td>
                    </tr>
                  ),
                ];
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
