'use client';
/**
 * "Add probe" for admins: name, labels and kind (a probe, or a standalone canary target
 * whose token may post only its views of sessions). The token comes back once and is handed
 * to `onIssued`, which shows it with the agent's config.
 */
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { apiCall } from '../alerts/api-call';
import css from '../admin/admin.module.css';
import { labelErrors, parseLabelsText } from './labels-text';
import type { IssuedToken, ProbeKind } from './types';
import { Form } from '../forms/form';

const EMPTY = { name: '', labels: '', kind: 'probe' as ProbeKind };

export function AddProbe({ onIssued }: { onIssued(issued: IssuedToken): void }) {
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const [draft, setDraft] = useState(EMPTY);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const labels = parseLabelsText(draft.labels);
    if (!labels.ok) {
      setErrors({ labels: labels.message });
      setFailure(null);
      return;
    }
    setBusy(true);
    const r = await apiCall<{ probe: { name: string; kind: ProbeKind }; token: string }>('/api/v1/probes', 'POST', { name: draft.name.trim(), labels: labels.labels, kind: draft.kind });
    setBusy(false);
    setErrors(r.fieldErrors);
    if (!r.ok || !r.data) {
      setFailure(Object.keys(r.fieldErrors).length ? 'Not added: see the fields below.' : (r.message ?? 'the probe was not added'));
      return;
    }
    setFailure(null);
    setDraft(EMPTY);
    setOpen(false);
    onIssued({ name: r.data.probe.name, kind: r.data.probe.kind, token: r.data.token, reason: 'added' });
    router.refresh();
  }

  if (!open) {
    return (
      <div className={css.actions}>
        <button type="button" className={css.primary} onClick={() => setOpen(true)}>
          Add probe
        </button>
      </div>
    );
  }
  const labelError = labelErrors(errors);
  return (
    <Form className={css.form} onSubmit={submit} aria-label="Add probe" noValidate>
      {failure && (
        <p className={`${css.banner} ${css.bannerError} ${css.wide}`} role="alert" data-testid="add-probe-error">
          {failure}
        </p>
      )}
      <label className={css.field}>
        <span>name</span>
        <input
          className={css.input}
          name="name"
          value={draft.name}
          placeholder="edge-fra-1"
          autoComplete="off"
          required
          aria-invalid={errors.name ? true : undefined}
          aria-describedby={errors.name ? 'add-probe-name-error' : undefined}
          onChange={(e) => setDraft({ ...draft, name: e.target.value })}
        />
        {errors.name && (
          <span className={css.error} id="add-probe-name-error" role="alert" data-testid="add-probe-error-name">
            {errors.name}
          </span>
        )}
      </label>
      <label className={css.field}>
        <span>labels</span>
        <input
          className={css.input}
          name="labels"
          value={draft.labels}
          placeholder="region=eu, provider=hetzner"
          autoComplete="off"
          aria-invalid={labelError ? true : undefined}
          aria-describedby={labelError ? 'add-probe-labels-error' : 'add-probe-labels-hint'}
          onChange={(e) => setDraft({ ...draft, labels: e.target.value })}
        />
        {labelError ? (
          <span className={css.error} id="add-probe-labels-error" role="alert" data-testid="add-probe-error-labels">
            {labelError}
          </span>
        ) : (
          <span className={css.sub} id="add-probe-labels-hint">
            key=value, separated by commas
          </span>
        )}
      </label>
      <fieldset className={css.fieldset}>
        <legend>kind</legend>
        <label className={css.check}>
          <input type="radio" name="kind" value="probe" checked={draft.kind === 'probe'} onChange={() => setDraft({ ...draft, kind: 'probe' })} />
          probe (holds canaries)
        </label>
        <label className={css.check}>
          <input type="radio" name="kind" value="target" checked={draft.kind === 'target'} onChange={() => setDraft({ ...draft, kind: 'target' })} />
          canary target (posts only its views)
        </label>
        {errors.kind && (
          <span className={css.error} role="alert">
            {errors.kind}
          </span>
        )}
      </fieldset>
      <div className={`${css.actions} ${css.wide}`}>
        <button type="submit" className={css.primary} disabled={busy}>
          {busy ? 'Adding…' : 'Add and show its token'}
        </button>
        <button
          type="button"
          className={css.button}
          onClick={() => {
            setOpen(false);
            setErrors({});
            setFailure(null);
          }}
        >
          Cancel
        </button>
      </div>
    </Form>
  );
}
