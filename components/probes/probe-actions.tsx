'use client';
/**
 * An admin's controls on one probe's row: edit its labels, give it a new token (the old one
 * is refused at once; a revoked probe is active again), revoke it (its data stays). Rotate
 * and revoke ask first; the new token goes to `onIssued`, shown once.
 */
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { apiCall } from '../alerts/api-call';
import css from '../admin/admin.module.css';
import { labelErrors, labelsText, parseLabelsText } from './labels-text';
import type { IssuedToken, ProbeKind } from './types';
import { Form } from '../forms/form';

export function ProbeActions({ probe, onIssued }: { probe: { id: number; name: string; kind: ProbeKind; labels: Record<string, string>; revoked: boolean }; onIssued(issued: IssuedToken): void }) {
  const router = useRouter();
  const [editing, setEditing] = useState<string | null>(null);
  const [labelError, setLabelError] = useState<string | undefined>();
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState<'labels' | 'rotate' | 'revoke' | null>(null);
  const fieldId = `labels-${probe.id}`;

  async function saveLabels(e: FormEvent) {
    e.preventDefault();
    const parsed = parseLabelsText(editing ?? '');
    if (!parsed.ok) return setLabelError(parsed.message);
    setBusy('labels');
    const r = await apiCall(`/api/v1/probes/${probe.id}`, 'PATCH', { labels: parsed.labels });
    setBusy(null);
    if (!r.ok) {
      setLabelError(labelErrors(r.fieldErrors) ?? r.message ?? 'the labels were not saved');
      return;
    }
    setLabelError(undefined);
    setEditing(null);
    router.refresh();
  }

  async function rotate() {
    const warning = probe.revoked
      ? `Give ${probe.name} a new token? It becomes active again with it.`
      : `Give ${probe.name} a new token? Its current token stops working at once: the ${probe.kind === 'target' ? 'target' : 'agent'} must be restarted with the new one.`;
    if (!window.confirm(warning)) return;
    setBusy('rotate');
    const r = await apiCall<{ probe: { name: string; kind: ProbeKind }; token: string }>(`/api/v1/probes/${probe.id}/token`, 'POST');
    setBusy(null);
    if (!r.ok || !r.data) return setFailure(r.message ?? 'no new token was issued');
    setFailure(null);
    onIssued({ name: r.data.probe.name, kind: r.data.probe.kind, token: r.data.token, reason: 'rotated' });
    router.refresh();
  }

  async function revoke() {
    if (!window.confirm(`Revoke ${probe.name}? Its token is refused from now on; its data stays, and "New token" brings it back.`)) return;
    setBusy('revoke');
    const r = await apiCall(`/api/v1/probes/${probe.id}`, 'DELETE');
    setBusy(null);
    if (!r.ok) return setFailure(r.message ?? 'the probe was not revoked');
    setFailure(null);
    router.refresh();
  }

  return (
    <div data-testid="probe-actions" data-probe={probe.name}>
      <div className={css.actions}>
        <button type="button" className={css.button} aria-expanded={editing !== null} aria-label={`Edit labels of ${probe.name}`} onClick={() => (editing === null ? setEditing(labelsText(probe.labels)) : setEditing(null))}>
          Edit labels
        </button>
        <button type="button" className={css.button} disabled={busy === 'rotate'} aria-label={`${probe.revoked ? 'New token for' : 'Rotate token of'} ${probe.name}`} onClick={() => void rotate()}>
          {probe.revoked ? 'New token' : 'Rotate token'}
        </button>
        {!probe.revoked && (
          <button type="button" className={css.danger} disabled={busy === 'revoke'} aria-label={`Revoke ${probe.name}`} onClick={() => void revoke()}>
            Revoke
          </button>
        )}
      </div>
      {failure && (
        <p className={`${css.banner} ${css.bannerError}`} role="alert">
          {failure}
        </p>
      )}
      {editing !== null && (
        <Form className={css.inlineForm} onSubmit={saveLabels} aria-label={`Labels of ${probe.name}`} noValidate>
          <label className={css.field}>
            <span>labels (key=value, comma-separated)</span>
            <input
              id={fieldId}
              className={css.input}
              name="labels"
              value={editing}
              autoComplete="off"
              aria-invalid={labelError ? true : undefined}
              aria-describedby={labelError ? `${fieldId}-error` : undefined}
              onChange={(e) => setEditing(e.target.value)}
            />
          </label>
          <button type="submit" className={css.primary} disabled={busy === 'labels'}>
            Save
          </button>
          <button
            type="button"
            className={css.button}
            onClick={() => {
              setEditing(null);
              setLabelError(undefined);
            }}
          >
            Cancel
          </button>
          {labelError && (
            <span className={css.error} id={`${fieldId}-error`} role="alert" data-testid="labels-error">
              {labelError}
            </span>
          )}
        </Form>
      )}
    </div>
  );
}
