'use client';
/**
 * Silences (issue 19): what is muted, from when to when, by whom and why; a form to mute a
 * scope for a while; "End now". A silenced alert still changes state and is listed with
 * its silence; only its notifications are held back.
 */
import { useRouter } from 'next/navigation';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { describeMatchers, matchersFromRows, SILENCE_DURATION_PRESETS, type MatcherRow } from '../../lib/alerts/silence';
import { Instant } from '../dashboard/time-zone';
import { TableExport } from '../dashboard/table-export';
import { apiCall } from './api-call';
import css from './alerts.module.css';
import type { SilenceView } from './types';
import { Form } from '../forms/form';

const FILTERS = ['all', 'active', 'pending', 'expired'] as const;
type Filter = (typeof FILTERS)[number];
const KEYS: MatcherRow['key'][] = ['target', 'proxy', 'probe', 'rule', 'label'];
const MARK: Record<SilenceView['state'], string> = { active: '●', pending: '◐', expired: '○' };

const emptyRow = (): MatcherRow => ({ key: 'target', labelKey: '', value: '' });

/** The window event an alert row's "Silence…" button sends with the rows that match it (rowsForAlert). */
export const SILENCE_ALERT_EVENT = 'dropscope:silence-alert';

/** Open the form prefilled with `rows` (from the alerts table). */
export function requestSilence(rows: MatcherRow[]): void {
  window.dispatchEvent(new CustomEvent<MatcherRow[]>(SILENCE_ALERT_EVENT, { detail: rows }));
}

/** "active", "pending", "expired", or "ended" for one ended early. */
const stateWord = (s: SilenceView) => (s.endedBy ? 'ended' : s.state);

function SilenceForm({ initialRows, onDone, onCancel }: { initialRows: MatcherRow[] | null; onDone: () => void; onCancel: () => void }) {
  const [rows, setRows] = useState<MatcherRow[]>(initialRows ?? [emptyRow()]);
  const [preset, setPreset] = useState<string>('1h');
  const [custom, setCustom] = useState('');
  const [comment, setComment] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [rowErrors, setRowErrors] = useState<Record<number, string>>({});
  const [busy, setBusy] = useState(false);

  const setRow = (i: number, patch: Partial<MatcherRow>) => setRows((rs) => rs.map((r, j) => (j === i ? { ...r, ...patch } : r)));

  async function submit(e: FormEvent) {
    e.preventDefault();
    const { matchers, errors: local } = matchersFromRows(rows);
    setRowErrors(local);
    if (Object.keys(local).length > 0) return;
    setBusy(true);
    const r = await apiCall<SilenceView>('/api/v1/silences', 'POST', { matchers, duration: preset === 'custom' ? custom : preset, comment });
    setBusy(false);
    if (r.ok) return onDone();
    // The API names `matchers.<key>`: show it beside the row with that key.
    const byRow: Record<number, string> = {};
    for (const [path, message] of Object.entries(r.fieldErrors)) {
      if (!path.startsWith('matchers.')) continue;
      const key = path.slice('matchers.'.length);
      const i = rows.findIndex((row) => (row.key === 'label' ? `label:${row.labelKey.trim()}` : row.key) === key);
      if (i >= 0) byRow[i] = message;
    }
    setRowErrors(byRow);
    setErrors({ ...r.fieldErrors, ...(Object.keys(r.fieldErrors).length === 0 && { '(root)': r.message ?? 'the silence was not created' }) });
  }

  const fieldError = (name: string) =>
    errors[name] ? (
      <span className={css.error} data-testid={`silence-error-${name}`} id={`silence-error-${name}`}>
        {errors[name]}
      </span>
    ) : null;

  return (
    <Form className={css.form} aria-label="New silence" onSubmit={(e) => void submit(e)} data-testid="silence-form" noValidate>
      <fieldset className={`${css.fieldset} ${css.wide}`}>
        <legend>matchers: alerts matching all of these are silenced</legend>
        {rows.map((row, i) => (
          <div key={i} className={css.matcherRow} data-testid="matcher-row">
            <select className={css.select} aria-label={`matcher ${i + 1} key`} value={row.key} onChange={(e) => setRow(i, { key: e.target.value as MatcherRow['key'] })}>
              {KEYS.map((k) => (
                <option key={k} value={k}>
                  {k === 'label' ? 'probe label' : k}
                </option>
              ))}
            </select>
            {row.key === 'label' && (
              <input className={css.input} aria-label={`matcher ${i + 1} label key`} placeholder="region" value={row.labelKey} onChange={(e) => setRow(i, { labelKey: e.target.value })} />
            )}
            <span aria-hidden="true">=</span>
            <input
              className={css.input}
              aria-label={`matcher ${i + 1} value`}
              placeholder={row.key === 'rule' ? 'rule name' : row.key === 'label' ? 'eu' : 'builtin'}
              value={row.value}
              aria-invalid={rowErrors[i] ? true : undefined}
              aria-describedby={rowErrors[i] ? `matcher-error-${i}` : undefined}
              onChange={(e) => setRow(i, { value: e.target.value })}
            />
            {rows.length > 1 && (
              <button type="button" className={css.button} aria-label={`Remove matcher ${i + 1}`} onClick={() => setRows((rs) => rs.filter((_, j) => j !== i))}>
                ×
              </button>
            )}
            {rowErrors[i] && (
              <span className={css.error} id={`matcher-error-${i}`} data-testid="matcher-error">
                {rowErrors[i]}
              </span>
            )}
          </div>
        ))}
        <button type="button" className={css.button} onClick={() => setRows((rs) => [...rs, emptyRow()])}>
          Add matcher
        </button>
        {fieldError('matchers')}
      </fieldset>
      <label className={css.field}>
        <span>for</span>
        <select className={css.select} aria-label="silence for" value={preset} onChange={(e) => setPreset(e.target.value)} aria-invalid={errors.duration ? true : undefined}>
          {SILENCE_DURATION_PRESETS.map((d) => (
            <option key={d} value={d}>
              {d}
            </option>
          ))}
          <option value="custom">custom…</option>
        </select>
      </label>
      {preset === 'custom' && (
        <label className={css.field}>
          <span>duration (e.g. 90m, 1h30m, 2d)</span>
          <input className={css.input} value={custom} onChange={(e) => setCustom(e.target.value)} aria-invalid={errors.duration ? true : undefined} />
        </label>
      )}
      <label className={`${css.field} ${css.wide}`}>
        <span>comment (why, and who to ask)</span>
        <input className={css.input} value={comment} maxLength={500} onChange={(e) => setComment(e.target.value)} aria-invalid={errors.comment ? true : undefined} />
      </label>
      <div className={`${css.wide} ${css.actions}`}>
        {fieldError('duration')}
        {fieldError('comment')}
        {fieldError('(root)')}
      </div>
      <div className={`${css.wide} ${css.actions}`}>
        <button type="submit" className={css.primary} disabled={busy}>
          Create silence
        </button>
        <button type="button" className={css.button} onClick={onCancel}>
          Cancel
        </button>
      </div>
    </Form>
  );
}

/** `canEdit`: the viewer's role may create and end silences (editor or admin). */
export function SilencesPanel({ silences, canEdit }: { silences: SilenceView[]; canEdit: boolean }) {
  const router = useRouter();
  const [filter, setFilter] = useState<Filter>('all');
  // null: closed; otherwise the rows the form opens with (empty for "New silence").
  const [creating, setCreating] = useState<{ rows: MatcherRow[] | null; n: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const panel = useRef<HTMLElement>(null);
  useEffect(() => {
    if (!canEdit) return;
    const open = (e: Event) => {
      setCreating((c) => ({ rows: (e as CustomEvent<MatcherRow[]>).detail, n: (c?.n ?? 0) + 1 }));
      panel.current?.scrollIntoView({ block: 'start' });
    };
    window.addEventListener(SILENCE_ALERT_EVENT, open);
    return () => window.removeEventListener(SILENCE_ALERT_EVENT, open);
  }, [canEdit]);
  const shown = silences.filter((s) => filter === 'all' || s.state === filter);
  const count = (f: Filter) => (f === 'all' ? silences.length : silences.filter((s) => s.state === f).length);

  async function end(s: SilenceView) {
    if (!window.confirm(`End silence ${s.id} (${describeMatchers(s.matchers)}) now? Alerts it holds notify again.`)) return;
    const r = await apiCall<SilenceView>(`/api/v1/silences/${s.id}`, 'DELETE');
    if (!r.ok) setError(r.message ?? 'ending the silence failed');
    else {
      setError(null);
      router.refresh();
    }
  }

  return (
    <section className={css.section} aria-labelledby="silences-title" data-testid="silences-panel" ref={panel}>
      <div className={css.sectionHeader}>
        <h2 id="silences-title">Silences</h2>
        <div className={css.actions}>
          <TableExport
            name="silences"
            rows={shown}
            columns={[
              { header: 'id', value: (s) => s.id },
              { header: 'state', value: (s) => stateWord(s) },
              { header: 'matchers', value: (s) => describeMatchers(s.matchers) },
              { header: 'starts', value: (s) => s.startsAt },
              { header: 'ends', value: (s) => s.endsAt },
              { header: 'created by', value: (s) => s.createdBy },
              { header: 'ended by', value: (s) => s.endedBy ?? '' },
              { header: 'comment', value: (s) => s.comment },
            ]}
          />
          {canEdit && !creating && (
            <button type="button" className={css.primary} onClick={() => setCreating({ rows: null, n: 0 })}>
              New silence
            </button>
          )}
        </div>
      </div>
      <p className={css.note}>A silenced alert still changes state and shows here as silenced, but notifies no one. A firing still on when its silence ends is sent then.</p>
      {error && (
        <p className={`${css.banner} ${css.bannerError}`} role="alert">
          {error}
        </p>
      )}
      {creating && (
        <SilenceForm
          // A new request from an alert row starts a fresh form with its rows.
          key={creating.n}
          initialRows={creating.rows}
          onCancel={() => setCreating(null)}
          onDone={() => {
            setCreating(null);
            router.refresh();
          }}
        />
      )}
      <div className={css.actions} role="group" aria-label="Show silences">
        {FILTERS.map((f) => (
          <button key={f} type="button" className={css.button} aria-pressed={filter === f} onClick={() => setFilter(f)} data-filter={f}>
            {f} ({count(f)})
          </button>
        ))}
      </div>
      {shown.length === 0 ? (
        <p className={css.note}>{silences.length === 0 ? 'No silence yet. Silence a target, proxy, probe, probe label or rule for a maintenance window.' : `No ${filter} silence.`}</p>
      ) : (
        <div className={css.scroll}>
          <table className={css.table} data-testid="silences-table" data-rows={shown.length}>
            <thead>
              <tr>
                <th scope="col">id</th>
                <th scope="col">state</th>
                <th scope="col">matchers</th>
                <th scope="col">from</th>
                <th scope="col">until</th>
                <th scope="col">by</th>
                <th scope="col">comment</th>
                <th scope="col">
                  <span className="sr-only">actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {shown.map((s) => (
                <tr key={s.id} data-testid="silence-row" data-id={s.id} data-state={stateWord(s)}>
                  <td>#{s.id}</td>
                  <td>
                    <span className={`${css.status} ${css[`silence_${s.state}`]}`}>
                      <span aria-hidden="true">{MARK[s.state]}</span> {stateWord(s)}
                    </span>
                  </td>
                  <td>
                    <span className={css.labels}>
                      {Object.entries(s.matchers).map(([k, v]) => (
                        <span key={k} className={css.label}>
                          {k}={v}
                        </span>
                      ))}
                    </span>
                  </td>
                  <td>
                    <Instant at={s.startsAt} />
                  </td>
                  <td>
                    <Instant at={s.endsAt} />
                  </td>
                  <td>
                    {s.createdBy}
                    {s.endedBy && <span className={css.sub}>ended by {s.endedBy}</span>}
                  </td>
                  <td className={css.comment}>{s.comment || <span className={css.sub}>—</span>}</td>
                  <td>
                    {canEdit && s.state !== 'expired' && (
                      <button type="button" className={css.button} onClick={() => void end(s)} aria-label={`End silence ${s.id} now`}>
                        End now
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
