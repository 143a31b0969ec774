'use client';
/**
 * Webhook endpoints: add one (its secret is shown here once), send a signed test message,
 * delete; and the latest deliveries with every attempt's outcome and the next retry.
 */
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { apiCall } from './api-call';
import css from './alerts.module.css';
import { stamp } from './format';
import type { Delivery, WebhookWire } from './types';


/**
 * `canEdit`: editors and admins add, test and delete endpoints and see their URLs (a receiver's
 * URL can hold its own secret); viewers see names, formats and deliveries.
 */
export function WebhooksPanel({ webhooks, deliveries, canEdit }: { webhooks: WebhookWire[]; deliveries: Delivery[]; canEdit: boolean }) {
  const router = useRouter();
  const [draft, setDraft] = useState({ name: '', url: '', format: 'standard' });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [banner, setBanner] = useState<{ ok: boolean; text: string; secret?: string } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  async function create(e: FormEvent) {
    e.preventDefault();
    setBusy('create');
    const r = await apiCall<WebhookWire & { secret: string }>('/api/v1/webhooks', 'POST', draft);
    setBusy(null);
    setErrors(r.fieldErrors);
    if (!r.ok || !r.data) return setBanner({ ok: false, text: r.message ?? 'the endpoint was not added' });
    setBanner({ ok: true, text: `Endpoint ${r.data.name} added. Its signing secret, shown this once:`, secret: r.data.secret });
    setDraft({ name: '', url: '', format: 'standard' });
    router.refresh();
  }
  async function sendTest(w: WebhookWire) {
    setBusy(`test-${w.id}`);
    const r = await apiCall<{ messageId: string; delivery: Delivery | null }>(`/api/v1/webhooks/${w.id}/test`, 'POST');
    setBusy(null);
    const last = r.data?.delivery?.history[0];
    setBanner(
      !r.ok
        ? { ok: false, text: r.message ?? 'the test was not sent' }
        : last
          ? { ok: last.ok, text: `Test to ${w.name}: ${last.ok ? 'delivered' : 'failed'} (${last.httpStatus ?? last.error ?? 'no answer'}, ${Math.round(last.durationMs)} ms)${last.ok ? '' : '; a test is not retried'}` }
          : { ok: true, text: `Test to ${w.name} queued as ${r.data?.messageId}` },
    );
    router.refresh();
  }
  async function remove(w: WebhookWire) {
    if (!window.confirm(`Delete the endpoint "${w.name}" and its queued messages?`)) return;
    const r = await apiCall(`/api/v1/webhooks/${w.id}`, 'DELETE');
    if (!r.ok) setBanner({ ok: false, text: r.message ?? 'delete failed' });
    router.refresh();
  }
  const nameOf = (id: number) => webhooks.find((w) => w.id === id)?.name ?? `#${id}`;
  const err = (k: string) => errors[k] && <span className={css.error} data-testid={`webhook-error-${k}`}>{errors[k]}</span>;

  return (
    <section className={css.section} aria-labelledby="webhooks-title">
      <div className={css.sectionHeader}>
        <h2 id="webhooks-title">Webhook endpoints</h2>
      </div>
      <p className={css.note}>
        Signed per Standard Webhooks (<code>webhook-id</code>, <code>webhook-timestamp</code>, <code>webhook-signature</code>); retried with backoff for at least 24 h with the same id. Slack format sends <code>{'{"text": ...}'}</code>.
      </p>
      {banner && (
        <p className={`${css.banner} ${banner.ok ? css.bannerOk : css.bannerError}`} role="status" data-testid="webhook-banner">
          {banner.text} {banner.secret && <span className={css.secret} data-testid="webhook-secret">{banner.secret}</span>}
        </p>
      )}
      {webhooks.length > 0 && (
        <div className={css.scroll}>
          <table className={css.table} data-testid="webhooks-table">
            <thead>
              <tr>
                <th scope="col">endpoint</th>
                <th scope="col">URL</th>
                <th scope="col">format</th>
                <th scope="col">
                  <span className="sr-only">actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {webhooks.map((w) => (
                <tr key={w.id} data-testid="webhook-row" data-webhook={w.name}>
                  <th scope="row">
                    {w.name}
                    {!w.enabled && <span className={css.sub}>disabled</span>}
                  </th>
                  <td className={css.mono}>{canEdit ? w.url : <span className={css.sub}>shown to editors</span>}</td>
                  <td>{w.format}</td>
                  <td>
                    {canEdit && <div className={css.actions}>
                      <button type="button" className={css.button} onClick={() => void sendTest(w)} disabled={busy === `test-${w.id}`} aria-label={`Send test to ${w.name}`}>
                        {busy === `test-${w.id}` ? 'Sending…' : 'Send test'}
                      </button>
                      <button type="button" className={css.button} onClick={() => void remove(w)} aria-label={`Delete ${w.name}`}>
                        Delete
                      </button>
                    </div>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {canEdit && <form className={css.form} onSubmit={create} aria-label="New webhook endpoint" noValidate>
        <label className={css.field}>
          <span>name</span>
          <input className={css.input} name="name" value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} aria-invalid={errors.name ? true : undefined} />
          {err('name')}
        </label>
        <label className={css.field}>
          <span>URL</span>
          <input className={css.input} name="url" value={draft.url} placeholder="https://hooks.example.com/dropscope" onChange={(e) => setDraft({ ...draft, url: e.target.value })} aria-invalid={errors.url ? true : undefined} />
          {err('url')}
        </label>
        <label className={css.field}>
          <span>format</span>
          <select className={css.select} name="format" value={draft.format} onChange={(e) => setDraft({ ...draft, format: e.target.value })}>
            <option value="standard">standard JSON</option>
            <option value="slack">Slack ({'{"text"}'})</option>
          </select>
        </label>
        <div className={css.actions}>
          <button type="submit" className={css.primary} disabled={busy === 'create'}>
            Add endpoint
          </button>
        </div>
      </form>}

      <h3 className={css.note}>Latest deliveries</h3>
      {deliveries.length === 0 ? (
        <p className={css.note}>Nothing sent yet.</p>
      ) : (
        <div className={css.scroll}>
          <table className={css.table} data-testid="deliveries-table" data-rows={deliveries.length}>
            <thead>
              <tr>
                <th scope="col">queued</th>
                <th scope="col">endpoint</th>
                <th scope="col">event</th>
                <th scope="col">status</th>
                <th scope="col" className={css.num}>attempts</th>
                <th scope="col">last answer</th>
                <th scope="col">next retry</th>
                <th scope="col">webhook-id</th>
              </tr>
            </thead>
            <tbody>
              {deliveries.map((d) => {
                const last = d.history[0];
                return (
                  <tr key={d.id} data-testid="delivery-row" data-status={d.status} data-event={d.eventType}>
                    <td>{stamp(d.createdAt)}</td>
                    <td>{nameOf(d.webhookId)}</td>
                    <td>{d.eventType}</td>
                    <td>
                      <span className={`${css.status} ${css[d.status]}`}>{d.status.replace('_', ' ')}</span>
                    </td>
                    <td className={css.num}>{d.attempts}</td>
                    <td>
                      {last ? (last.httpStatus ?? 'no answer') : '—'}
                      {last && <span className={css.sub}>{last.error ?? last.responseSnippet?.slice(0, 80) ?? ''} · {Math.round(last.durationMs)} ms</span>}
                      {d.history.length > 1 && (
                        <details>
                          <summary className={css.sub}>all {d.history.length} attempts</summary>
                          <ol className={css.attempts}>
                            {d.history.map((a) => (
                              <li key={a.startedAt}>
                                {stamp(a.startedAt)}: {a.httpStatus ?? a.error ?? 'no answer'} · {Math.round(a.durationMs)} ms
                              </li>
                            ))}
                          </ol>
                        </details>
                      )}
                    </td>
                    <td>{stamp(d.nextAttemptAt)}</td>
                    <td className={css.mono}>{d.messageId}</td>
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
