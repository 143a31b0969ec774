'use client';
/**
 * API tokens for automation: list (never their values), create one with a name, a role and
 * an expiry (or none), shown once with a curl example and Prometheus' scrape config for
 * /metrics; revoke.
 */
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import type { Role } from '../../lib/auth/roles';
import { apiCall } from '../alerts/api-call';
import { TableExport } from '../dashboard/table-export';
import { Instant } from '../dashboard/time-zone';
import css from './admin.module.css';
import { tokenExportColumns, tokenState as stateOf } from './exports';
import { FieldError, RoleSelect } from './fields';
import { ShownOnce } from './shown-once';
import { tokenSnippets } from './token-snippets';
import { Form } from '../forms/form';

export interface TokenWire {
  id: number;
  name: string;
  role: Role;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

const EMPTY = { name: '', role: 'viewer' as Role, days: '90', never: false };

export function TokensPanel({ tokens, now }: { tokens: TokenWire[]; now: string }) {
  const router = useRouter();
  const [draft, setDraft] = useState(EMPTY);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [banner, setBanner] = useState<{ ok: boolean; text: string } | null>(null);
  const [issued, setIssued] = useState<{ name: string; role: Role; token: string } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const nowMs = Date.parse(now);

  async function create(e: FormEvent) {
    e.preventDefault();
    const days = draft.never ? null : Number(draft.days.trim());
    if (days !== null && (!draft.days.trim() || !Number.isInteger(days))) {
      setErrors({ expiresInDays: 'expected a whole number of days' });
      setBanner({ ok: false, text: 'Not created: see the fields below.' });
      return;
    }
    setBusy('create');
    const r = await apiCall<TokenWire & { token: string }>('/api/v1/tokens', 'POST', { name: draft.name.trim(), role: draft.role, expiresInDays: days });
    setBusy(null);
    setErrors(r.fieldErrors);
    if (!r.ok || !r.data) {
      setBanner({ ok: false, text: Object.keys(r.fieldErrors).length ? 'Not created: see the fields below.' : (r.message ?? 'the token was not created') });
      return;
    }
    setBanner(null);
    setIssued({ name: r.data.name, role: r.data.role, token: r.data.token });
    setDraft(EMPTY);
    router.refresh();
  }

  async function revoke(t: TokenWire) {
    if (!window.confirm(`Revoke the token "${t.name}"? Requests with it are refused from now on.`)) return;
    setBusy(`revoke-${t.id}`);
    const r = await apiCall<TokenWire>(`/api/v1/tokens/${t.id}`, 'DELETE');
    setBusy(null);
    setBanner(r.ok ? { ok: true, text: `Token ${t.name} revoked.` } : { ok: false, text: `${t.name}: ${r.message ?? 'not revoked'}` });
    router.refresh();
  }

  const err = (key: string) => <FieldError id={`new-token-${key}-error`} message={errors[key]} testId={`new-token-error-${key}`} />;

  return (
    <>
      {issued && (
        <ShownOnce
          title={`Token ${issued.name} (${issued.role})`}
          secretLabel="API token"
          secret={issued.token}
          snippets={tokenSnippets(issued.token, window.location.origin)}
          note={`It acts as a ${issued.role} until it expires or is revoked. Send it as "Authorization: Bearer …".`}
          onDone={() => setIssued(null)}
        />
      )}
      {banner && (
        <p className={`${css.banner} ${banner.ok ? css.bannerOk : css.bannerError}`} role={banner.ok ? 'status' : 'alert'} data-testid="tokens-banner">
          {banner.text}
        </p>
      )}
      <section className={css.section} aria-labelledby="tokens-title">
        <div className={css.sectionHeader}>
          <h2 id="tokens-title">API tokens</h2>
          <span className={css.tools}>
            <span className={css.note}>values are shown once, at creation; only their hash is stored</span>
            <TableExport name="api-tokens" rows={tokens} columns={tokenExportColumns(nowMs)} />
          </span>
        </div>
        {tokens.length === 0 ? (
          <p className={css.note}>No API token yet.</p>
        ) : (
          <div className={css.scroll}>
            <table className={css.table} data-testid="tokens-table" data-rows={tokens.length}>
              <thead>
                <tr>
                  <th scope="col">name</th>
                  <th scope="col">role</th>
                  <th scope="col">state</th>
                  <th scope="col">created</th>
                  <th scope="col">expires</th>
                  <th scope="col">last used</th>
                  <th scope="col">
                    <span className="sr-only">actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {tokens.map((t) => {
                  const state = stateOf(t, nowMs);
                  return (
                    <tr key={t.id} data-testid="token-row" data-token={t.name} data-state={state}>
                      <th scope="row" className={state === 'active' ? undefined : css.revoked}>
                        {t.name}
                      </th>
                      <td>{t.role}</td>
                      <td>
                        {state}
                        {state === 'revoked' && t.revokedAt && (
                          <span className={css.sub}>
                            <Instant at={t.revokedAt} />
                          </span>
                        )}
                      </td>
                      <td>
                        <Instant at={t.createdAt} />
                      </td>
                      <td>{t.expiresAt ? <Instant at={t.expiresAt} /> : 'never'}</td>
                      <td>{t.lastUsedAt ? <Instant at={t.lastUsedAt} /> : 'never'}</td>
                      <td>
                        {state !== 'revoked' && (
                          <button type="button" className={css.danger} disabled={busy === `revoke-${t.id}`} onClick={() => void revoke(t)} aria-label={`Revoke token ${t.name}`}>
                            Revoke
                          </button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section className={css.section} aria-labelledby="new-token-title">
        <h2 id="new-token-title">Create a token</h2>
        <Form className={css.form} onSubmit={create} aria-label="Create a token" noValidate>
          <label className={css.field}>
            <span>name</span>
            <input
              className={css.input}
              name="name"
              value={draft.name}
              placeholder="prometheus"
              autoComplete="off"
              aria-invalid={errors.name ? true : undefined}
              aria-describedby={errors.name ? 'new-token-name-error' : undefined}
              onChange={(e) => setDraft({ ...draft, name: e.target.value })}
            />
            {err('name')}
          </label>
          <label className={css.field}>
            <span>role</span>
            <RoleSelect name="role" value={draft.role} onChange={(role) => setDraft({ ...draft, role })} />
            {err('role')}
          </label>
          <label className={css.field}>
            <span>expires in (days)</span>
            <input
              className={css.input}
              name="expiresInDays"
              inputMode="numeric"
              value={draft.never ? '' : draft.days}
              disabled={draft.never}
              aria-invalid={errors.expiresInDays ? true : undefined}
              aria-describedby={errors.expiresInDays ? 'new-token-expiresInDays-error' : undefined}
              onChange={(e) => setDraft({ ...draft, days: e.target.value })}
            />
            {err('expiresInDays')}
          </label>
          <label className={css.check}>
            <input type="checkbox" name="never" checked={draft.never} onChange={(e) => setDraft({ ...draft, never: e.target.checked })} />
            never expires
          </label>
          <div className={`${css.actions} ${css.wide}`}>
            <button type="submit" className={css.primary} disabled={busy === 'create'}>
              {busy === 'create' ? 'Creating…' : 'Create token'}
            </button>
          </div>
        </Form>
      </section>
    </>
  );
}
