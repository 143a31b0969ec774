'use client';
/**
 * Receiver endpoints: add one of the four formats with the fields its provider needs
 * (lib/receivers/catalog.ts: Standard Webhooks and Slack get a signing secret shown here
 * once; PagerDuty asks for its routing key, stored encrypted and never shown again;
 * Alertmanager asks for its base URL), send a test, delete; and the latest deliveries with
 * every attempt's outcome and the next retry. Both tables export as CSV and JSON; times
 * follow the URL's time zone.
 */
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { addedMessage, endpointRequestBody, RECEIVER_FORMS, type EndpointDraft } from '../../lib/receivers/catalog';
import { deliveryExportColumns, endpointExportColumns, type EndpointRow } from '../../lib/receivers/table-columns';
import { WEBHOOK_FORMATS, type WebhookFormat } from '../../lib/webhooks/endpoint';
import { TableExport } from '../dashboard/table-export';
import { Instant } from '../dashboard/time-zone';
import { apiCall } from './api-call';
import css from './alerts.module.css';
import type { Delivery } from './types';
import { Form } from '../forms/form';

const EMPTY: EndpointDraft = { name: '', url: '', format: 'standard', routingKey: '' };

const when = (iso: string | null) => (iso ? <Instant at={iso} /> : '—');

/**
 * `canEdit`: editors and admins add, test and delete endpoints and see their URLs (a receiver's
 * URL can hold its own secret); viewers see names, formats and deliveries.
 */
export function WebhooksPanel({ webhooks, deliveries, canEdit }: { webhooks: EndpointRow[]; deliveries: Delivery[]; canEdit: boolean }) {
  const router = useRouter();
  const [draft, setDraft] = useState<EndpointDraft>(EMPTY);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [banner, setBanner] = useState<{ ok: boolean; text: string; secret?: string } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const form = RECEIVER_FORMS[draft.format];

  async function create(e: FormEvent) {
    e.preventDefault();
    setBusy('create');
    const r = await apiCall<EndpointRow & { secret?: string }>('/api/v1/webhooks', 'POST', endpointRequestBody(draft));
    setBusy(null);
    setErrors(r.fieldErrors);
    if (!r.ok || !r.data) return setBanner({ ok: false, text: r.message ?? 'the endpoint was not added' });
    setBanner({ ok: true, text: addedMessage(r.data.name, r.data.format, r.data.secret !== undefined), ...(r.data.secret !== undefined && { secret: r.data.secret }) });
    setDraft(EMPTY);
    router.refresh();
  }
  async function sendTest(w: EndpointRow) {
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
  async function remove(w: EndpointRow) {
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
        <h2 id="webhooks-title">Receivers</h2>
        <TableExport name="webhook-endpoints" rows={webhooks} columns={endpointExportColumns(canEdit)} />
      </div>
      <p className={css.note}>
        Standard Webhooks are signed (<code>webhook-id</code>, <code>webhook-timestamp</code>, <code>webhook-signature</code>); Slack gets <code>{'{"text": ...}'}</code>; PagerDuty gets Events API v2 triggers and resolves with one <code>dedup_key</code> per alert; Alertmanager gets its own <code>/api/v2/alerts</code>, re-sent every minute while an alert fires. Every message is retried with backoff for at least 24 h.
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
                <tr key={w.id} data-testid="webhook-row" data-webhook={w.name} data-format={w.format}>
                  <th scope="row">
                    {w.name}
                    {!w.enabled && <span className={css.sub}>disabled</span>}
                  </th>
                  <td className={css.mono}>{canEdit ? w.url : <span className={css.sub}>shown to editors</span>}</td>
                  <td>{RECEIVER_FORMS[w.format]?.label ?? w.format}</td>
                  <td>
                    {canEdit && (
                      <div className={css.actions}>
                        <button type="button" className={css.button} onClick={() => void sendTest(w)} disabled={busy === `test-${w.id}`} aria-label={`Send test to ${w.name}`}>
                          {busy === `test-${w.id}` ? 'Sending…' : 'Send test'}
                        </button>
                        <button type="button" className={css.button} onClick={() => void remove(w)} aria-label={`Delete ${w.name}`}>
                          Delete
                        </button>
                      </div>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {canEdit && (
        <Form className={css.form} onSubmit={create} aria-label="New webhook endpoint" noValidate>
          <label className={css.field}>
            <span>name</span>
            <input className={css.input} name="name" value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} aria-invalid={errors.name ? true : undefined} />
            {err('name')}
          </label>
          <label className={css.field}>
            <span>format</span>
            <select className={css.select} name="format" value={draft.format} onChange={(e) => setDraft({ ...draft, format: e.target.value as WebhookFormat })}>
              {WEBHOOK_FORMATS.map((f) => (
                <option key={f} value={f}>
                  {RECEIVER_FORMS[f].label}
                </option>
              ))}
            </select>
            {err('format')}
          </label>
          <label className={css.field}>
            <span>{draft.format === 'alertmanager' ? 'Alertmanager base URL' : form.defaultUrl ? 'URL (optional)' : 'URL'}</span>
            <input className={css.input} name="url" value={draft.url} placeholder={form.urlHint} onChange={(e) => setDraft({ ...draft, url: e.target.value })} aria-invalid={errors.url ? true : undefined} />
            {form.defaultUrl && <span className={css.sub}>empty: {form.defaultUrl}</span>}
            {err('url')}
          </label>
          {form.secretField && (
            <label className={css.field}>
              <span>{form.secretField.label}</span>
              <input
                className={css.input}
                name={form.secretField.field}
                type="password"
                autoComplete="off"
                spellCheck={false}
                value={draft.routingKey}
                onChange={(e) => setDraft({ ...draft, routingKey: e.target.value })}
                aria-invalid={errors[form.secretField.field] ? true : undefined}
                aria-describedby="routing-key-hint"
              />
              <span className={css.sub} id="routing-key-hint">
                {form.secretField.hint}; stored encrypted, never shown again
              </span>
              {err(form.secretField.field)}
            </label>
          )}
          <div className={css.actions}>
            <button type="submit" className={css.primary} disabled={busy === 'create'}>
              Add endpoint
            </button>
          </div>
        </Form>
      )}

      <div className={css.sectionHeader}>
        <h3 className={css.note}>Latest deliveries</h3>
        <TableExport name="webhook-deliveries" rows={deliveries} columns={deliveryExportColumns(nameOf)} />
      </div>
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
                    <td>{when(d.createdAt)}</td>
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
                                <Instant at={a.startedAt} />: {a.httpStatus ?? a.error ?? 'no answer'} · {Math.round(a.durationMs)} ms
                              </li>
                            ))}
                          </ol>
                        </details>
                      )}
                    </td>
                    <td>{when(d.nextAttemptAt)}</td>
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
