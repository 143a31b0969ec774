'use client';
/**
 * Create or edit an alert rule. Native inputs with labels (keyboard first); the fields
 * shown follow the kind; the API's problem answer puts each message next to its field.
 */
import { useId, useState, type FormEvent } from 'react';
import { apiCall } from './api-call';
import css from './alerts.module.css';
import type { RuleWire, WebhookWire } from './types';
import { Form } from '../forms/form';

const KINDS: { value: string; label: string; threshold?: string }[] = [
  { value: 'drop_rate', label: 'drop rate above', threshold: 'drops per minute above' },
  { value: 'upgrade_ratio', label: 'upgrade ratio below', threshold: 'ratio of 101 upgrades below (0–1)' },
  { value: 'silent_deaths', label: 'silent deaths above', threshold: 'pong timeouts above' },
  { value: 'rtt_p95', label: 'RTT p95 above', threshold: 'p95 RTT above (ms)' },
  { value: 'signature', label: 'new or moved drop signature' },
  { value: 'probe_offline', label: 'probe offline' },
];
const DIMENSIONS = ['target', 'proxy', 'probe', 'profile'] as const;
const SCOPE = ['target', 'proxy', 'probe', 'profile', 'label'] as const;

type Draft = Record<string, string> & { groupBy: string; webhooks: string; enabled: string };

function draftOf(rule: RuleWire | undefined): Draft {
  return {
    name: rule?.name ?? '',
    kind: rule?.kind ?? 'drop_rate',
    severity: rule?.severity ?? 'warning',
    window: rule?.window ?? '5m',
    threshold: rule?.threshold === undefined ? '' : String(rule.threshold),
    resolveThreshold: rule?.resolveThreshold === undefined ? '' : String(rule.resolveThreshold),
    minAttempts: rule?.minAttempts === undefined ? '1' : String(rule.minAttempts),
    offlineAfter: rule?.offlineAfter ?? '5m',
    tolerance: rule?.tolerance ?? '1s',
    minCount: rule?.minCount === undefined ? '3' : String(rule.minCount),
    for: rule?.for ?? '0s',
    resolveAfter: rule?.resolveAfter ?? '0s',
    ...Object.fromEntries(SCOPE.map((k) => [`scope.${k}`, rule?.scope[k] ?? ''])),
    // Empty: no quorum. `label` asks for the key in quorum.label.
    'quorum.min': rule?.quorum ? String(rule.quorum.min) : '',
    'quorum.by': rule?.quorum?.by.startsWith('label:') ? 'label' : 'probe',
    'quorum.label': rule?.quorum?.by.startsWith('label:') ? rule.quorum.by.slice('label:'.length) : '',
    groupBy: (rule?.groupBy ?? []).join(','),
    webhooks: (rule?.webhooks ?? []).join(','),
    enabled: rule?.enabled === false ? 'false' : 'true',
  };
}

/** A number when the text is one; otherwise the text itself, so the API names the field. */
const numberOr = (text: string) => (text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text);
const list = (csv: string) => csv.split(',').filter(Boolean);

function bodyOf(d: Draft): Record<string, unknown> {
  const scope = Object.fromEntries(SCOPE.flatMap((k) => (d[`scope.${k}`] ? [[k, d[`scope.${k}`]]] : [])));
  const quorum = d['quorum.min']?.trim() ? { min: numberOr(d['quorum.min']), by: d['quorum.by'] === 'label' ? `label:${d['quorum.label'] ?? ''}` : 'probe' } : null;
  // probe_offline with a quorum is one alert for the fleet: the API refuses grouping by probe then.
  const groupBy = d.kind === 'probe_offline' && quorum ? [] : list(d.groupBy);
  const base = { name: d.name, kind: d.kind, severity: d.severity, enabled: d.enabled === 'true', for: d.for, resolveAfter: d.resolveAfter, scope, groupBy, webhooks: list(d.webhooks).map(Number), ...(quorum && { quorum }) };
  if (d.kind === 'probe_offline') return { ...base, offlineAfter: d.offlineAfter };
  // A signature rule has no quorum (its analysis is not per probe): the field is not shown.
  if (d.kind === 'signature') return { ...base, quorum: undefined, window: d.window, tolerance: d.tolerance, minCount: numberOr(d.minCount!) };
  return {
    ...base,
    window: d.window,
    threshold: numberOr(d.threshold!),
    ...(d.resolveThreshold && { resolveThreshold: numberOr(d.resolveThreshold) }),
    ...(d.kind === 'upgrade_ratio' && { minAttempts: numberOr(d.minAttempts!) }),
  };
}

export function RuleForm({ rule, webhooks, onDone }: { rule?: RuleWire; webhooks: WebhookWire[]; onDone: () => void }) {
  const [draft, setDraft] = useState<Draft>(() => draftOf(rule));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const uid = useId();
  const kind = KINDS.find((k) => k.value === draft.kind) ?? KINDS[0]!;
  const set = (key: string, value: string) => setDraft((d) => ({ ...d, [key]: value }));
  const toggle = (key: 'groupBy' | 'webhooks', value: string, on: boolean) => setDraft((d) => ({ ...d, [key]: [...list(d[key]).filter((v) => v !== value), ...(on ? [value] : [])].join(',') }));
  const errorOf = (path: string) => errors[path] ?? Object.entries(errors).find(([k]) => k.startsWith(`${path}.`))?.[1];

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    const r = await apiCall<RuleWire>(rule ? `/api/v1/alert-rules/${rule.id}` : '/api/v1/alert-rules', rule ? 'PUT' : 'POST', bodyOf(draft));
    setBusy(false);
    if (r.ok) return onDone();
    // The API names `quorum.by` for a bad label key: show it at the key's input.
    const labelKeyError = draft['quorum.by'] === 'label' ? r.fieldErrors['quorum.by'] : undefined;
    setErrors(labelKeyError ? { ...r.fieldErrors, 'quorum.label': labelKeyError } : r.fieldErrors);
    // The API's message names every bad field too: it covers one the form does not show.
    setMessage(r.message ?? 'the rule was not saved');
  }

  const text = (key: string, label: string, hint?: string, wide = false) => {
    const err = errorOf(key);
    return (
      <label className={`${css.field} ${wide ? css.wide : ''}`} key={key}>
        <span>{label}</span>
        <input id={`${uid}-${key}`} className={css.input} name={key} value={draft[key] ?? ''} onChange={(e) => set(key, e.target.value)} aria-invalid={err ? true : undefined} aria-describedby={err ? `${uid}-${key}-err` : undefined} placeholder={hint} />
        {err && (
          <span id={`${uid}-${key}-err`} className={css.error} data-testid={`error-${key}`}>
            {err}
          </span>
        )}
      </label>
    );
  };
  const select = (key: string, label: string, options: { value: string; label: string }[]) => (
    <label className={css.field} key={key}>
      <span>{label}</span>
      <select id={`${uid}-${key}`} className={css.select} name={key} value={draft[key]} onChange={(e) => set(key, e.target.value)} aria-invalid={errorOf(key) ? true : undefined}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      {errorOf(key) && <span className={css.error}>{errorOf(key)}</span>}
    </label>
  );
  const checks = (key: 'groupBy' | 'webhooks', legend: string, options: { value: string; label: string }[], empty: string) => (
    <fieldset className={`${css.fieldset} ${css.wide}`} id={`${uid}-${key}`} aria-invalid={errorOf(key) ? true : undefined}>
      <legend>{legend}</legend>
      {options.length === 0 && <span className={css.sub}>{empty}</span>}
      {options.map((o) => (
        <label key={o.value} className={css.check}>
          <input type="checkbox" name={key} value={o.value} checked={list(draft[key]).includes(o.value)} onChange={(e) => toggle(key, o.value, e.target.checked)} /> {o.label}
        </label>
      ))}
      {errorOf(key) && <span className={css.error} data-testid={`error-${key}`}>{errorOf(key)}</span>}
    </fieldset>
  );

  return (
    <Form className={css.form} onSubmit={submit} aria-label={rule ? `Edit rule ${rule.name}` : 'New alert rule'} data-testid="rule-form" noValidate>
      {message && (
        <p className={`${css.banner} ${css.bannerError} ${css.wide}`} role="alert">
          {message}
        </p>
      )}
      {text('name', 'name', 'e.g. direct path drops')}
      {select('kind', 'when', KINDS)}
      {select('severity', 'severity', [
        { value: 'critical', label: 'critical' },
        { value: 'warning', label: 'warning' },
        { value: 'info', label: 'info' },
      ])}
      {draft.kind !== 'probe_offline' && text('window', 'over the last', '5m')}
      {kind.threshold && text('threshold', kind.threshold)}
      {kind.threshold && text('resolveThreshold', 'clears at (optional, hysteresis)')}
      {draft.kind === 'upgrade_ratio' && text('minAttempts', 'at least this many attempts')}
      {draft.kind === 'probe_offline' && text('offlineAfter', 'silent for longer than', '5m')}
      {draft.kind === 'signature' && text('tolerance', 'N may move by', '1s')}
      {draft.kind === 'signature' && text('minCount', 'drops in a signature, at least')}
      {text('for', 'firing after it holds for', '0s')}
      {text('resolveAfter', 'resolved after clear for', '0s')}
      {SCOPE.map((k) => text(`scope.${k}`, `only ${k}`, k === 'label' ? 'region=eu' : 'any'))}
      {draft.kind !== 'signature' && (
        <fieldset className={`${css.fieldset} ${css.wide}`} id={`${uid}-quorum`} data-testid="quorum" aria-invalid={errors.quorum ? true : undefined}>
          <legend>quorum: fire only when this many probes agree at once (leave empty for no quorum)</legend>
          {text('quorum.min', 'at least', 'e.g. 2')}
          {select('quorum.by', 'of', [
            { value: 'probe', label: 'probes' },
            { value: 'label', label: 'distinct values of a probe label' },
          ])}
          {draft['quorum.by'] === 'label' && text('quorum.label', 'label key', 'region')}
          {errors.quorum && (
            <span className={css.error} data-testid="error-quorum">
              {errors.quorum}
            </span>
          )}
        </fieldset>
      )}
      {checks('groupBy', 'one alert per', DIMENSIONS.map((d) => ({ value: d, label: d })), '')}
      {checks('webhooks', 'send to', webhooks.map((w) => ({ value: String(w.id), label: `${w.name} (${w.format})` })), 'no webhook endpoint yet: add one below')}
      <label className={css.check}>
        <input type="checkbox" name="enabled" checked={draft.enabled === 'true'} onChange={(e) => set('enabled', String(e.target.checked))} /> enabled
      </label>
      <div className={`${css.actions} ${css.wide}`}>
        <button type="submit" className={css.primary} disabled={busy}>
          {rule ? 'Save rule' : 'Create rule'}
        </button>
        <button type="button" className={css.button} onClick={onDone}>
          Cancel
        </button>
      </div>
    </Form>
  );
}
