'use client';
/**
 * What the four fleet forms share: a draft held as the strings the inputs show, a save
 * through the JSON API whose problem answer puts each message next to its field (as the
 * alert rule form does), and labelled native controls.
 */
import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { apiCall } from '../alerts/api-call';
import css from './fleet.module.css';
import { Form } from '../forms/form';

export type Draft = Record<string, string>;

export interface DraftForm {
  draft: Draft;
  set(key: string, value: string): void;
  /** The API's message for `path`, or for a field below it (`tls.servername` under `tls`). */
  errorOf(path: string): string | undefined;
  uid: string;
}

/**
 * A form's state and its save: `request(draft)` says where to send what; a 2xx calls
 * `onDone`, anything else keeps the draft and shows the API's messages.
 */
export function useDraftForm(initial: () => Draft, request: (draft: Draft) => { url: string; method: string; body: unknown }, onDone: () => void) {
  const [draft, setDraft] = useState<Draft>(initial);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const uid = useId();
  const form: DraftForm = {
    draft,
    set: (key, value) => setDraft((d) => ({ ...d, [key]: value })),
    errorOf: (path) => errors[path] ?? Object.entries(errors).find(([k]) => k.startsWith(`${path}.`))?.[1],
    uid,
  };
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    const { url, method, body } = request(draft);
    const r = await apiCall(url, method, body);
    setBusy(false);
    if (r.ok) return onDone();
    setErrors(r.fieldErrors);
    // The message names every bad field, which covers one this form has no input for.
    setMessage(r.message ?? 'not saved');
  }
  return { form, submit, busy, message };
}

export function TextField({ form, name, label, hint, wide, multiline, note }: { form: DraftForm; name: string; label: string; hint?: string; wide?: boolean; multiline?: boolean; note?: ReactNode }) {
  const err = form.errorOf(name);
  const id = `${form.uid}-${name}`;
  const described = [err && `${id}-err`, note && `${id}-note`].filter(Boolean).join(' ') || undefined;
  const common = { id, name, value: form.draft[name] ?? '', placeholder: hint, 'aria-invalid': err ? true : undefined, 'aria-describedby': described };
  // The label holds its words only: the note and the error are descriptions, not the name.
  return (
    <div className={`${css.field} ${wide ? css.wide : ''}`}>
      <label htmlFor={id}>{label}</label>
      {multiline ? (
        <textarea className={css.textarea} {...common} onChange={(e) => form.set(name, e.target.value)} />
      ) : (
        <input className={css.input} {...common} onChange={(e) => form.set(name, e.target.value)} />
      )}
      {note && (
        <span id={`${id}-note`} className={css.hint}>
          {note}
        </span>
      )}
      {err && (
        <span id={`${id}-err`} className={css.error} data-testid={`error-${name}`}>
          {err}
        </span>
      )}
    </div>
  );
}

export function SelectField({ form, name, label, options }: { form: DraftForm; name: string; label: string; options: { value: string; label: string }[] }) {
  const err = form.errorOf(name);
  const id = `${form.uid}-${name}`;
  return (
    <div className={css.field}>
      <label htmlFor={id}>{label}</label>
      <select id={id} className={css.select} name={name} value={form.draft[name] ?? ''} onChange={(e) => form.set(name, e.target.value)} aria-invalid={err ? true : undefined} aria-describedby={err ? `${id}-err` : undefined}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      {err && (
        <span id={`${id}-err`} className={css.error} data-testid={`error-${name}`}>
          {err}
        </span>
      )}
    </div>
  );
}

export function CheckField({ form, name, label }: { form: DraftForm; name: string; label: string }) {
  return (
    <label className={css.check}>
      <input type="checkbox" name={name} checked={form.draft[name] === 'true'} onChange={(e) => form.set(name, String(e.target.checked))} /> {label}
    </label>
  );
}

/** The form element with its error banner and buttons; `label` is its accessible name. */
export function FormShell({ label, testId, message, busy, submitLabel, onSubmit, onCancel, children }: { label: string; testId: string; message: string | null; busy: boolean; submitLabel: string; onSubmit(e: FormEvent): void; onCancel(): void; children: ReactNode }) {
  return (
    <Form className={css.form} onSubmit={onSubmit} aria-label={label} data-testid={testId} noValidate>
      {message && (
        <p className={`${css.banner} ${css.bannerError} ${css.wide}`} role="alert">
          {message}
        </p>
      )}
      {children}
      <div className={`${css.actions} ${css.wide}`}>
        <button type="submit" className={css.primary} disabled={busy}>
          {submitLabel}
        </button>
        <button type="button" className={css.button} onClick={onCancel}>
          Cancel
        </button>
      </div>
    </Form>
  );
}

/** A whole number when the text is one; otherwise the text itself, so the API names the field. */
export const numberOr = (text: string): number | string => (/^\s*-?\d+\s*$/.test(text) ? Number(text) : text);

/** `a, b` → ['a', 'b']. */
export const listOf = (text: string): string[] => text.split(/[,\s]+/).filter(Boolean);
