'use client';
/**
 * People who can sign in: their role and how they sign in; add a person with a password,
 * change a role, set a new password (which ends their sessions), remove. Every write goes
 * through /api/v1/users, whose refusals (a taken email, the last admin) are shown as it
 * words them.
 */
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import type { Role } from '../../lib/auth/roles';
import { apiCall } from '../alerts/api-call';
import { TableExport } from '../dashboard/table-export';
import { Instant } from '../dashboard/time-zone';
import css from './admin.module.css';
import { USER_EXPORT_COLUMNS } from './exports';
import { FieldError, RoleSelect } from './fields';
import { signInMethod } from './format';
import { Form } from '../forms/form';

export interface UserWire {
  id: string;
  email: string;
  name: string;
  role: Role;
  providers: string[];
  createdAt: string;
}

const EMPTY = { email: '', name: '', role: 'viewer' as Role, password: '' };

function UserRow({ user, self, onResult }: { user: UserWire; self: boolean; onResult(ok: boolean, text: string): void }) {
  const router = useRouter();
  const [role, setRole] = useState<Role>(user.role);
  const [password, setPassword] = useState<string | null>(null);
  const [passwordError, setPasswordError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const pwId = `password-${user.id}`;

  async function applyRole() {
    if (self && role !== 'admin' && !window.confirm('Change your own role? You lose the admin pages at once.')) return;
    setBusy(true);
    const r = await apiCall<UserWire>(`/api/v1/users/${encodeURIComponent(user.id)}`, 'PATCH', { role });
    setBusy(false);
    if (!r.ok) {
      setRole(user.role);
      return onResult(false, `${user.email}: role not changed: ${r.message ?? 'the server refused'}`);
    }
    onResult(true, `${user.email} is now ${role}.`);
    router.refresh();
  }

  async function savePassword(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    const r = await apiCall<UserWire>(`/api/v1/users/${encodeURIComponent(user.id)}`, 'PATCH', { password });
    setBusy(false);
    if (!r.ok) return setPasswordError(r.fieldErrors.password ?? r.message ?? 'the password was not set');
    setPasswordError(undefined);
    setPassword(null);
    onResult(true, `New password set for ${user.email}; their sessions were ended.`);
    router.refresh();
  }

  async function remove() {
    if (!window.confirm(`Remove ${user.email}? They can no longer sign in; what they wrote stays in the audit log.`)) return;
    setBusy(true);
    const r = await apiCall(`/api/v1/users/${encodeURIComponent(user.id)}`, 'DELETE');
    setBusy(false);
    if (!r.ok) return onResult(false, `${user.email} not removed: ${r.message ?? 'the server refused'}`);
    onResult(true, `${user.email} removed.`);
    router.refresh();
  }

  return (
    <tr data-testid="user-row" data-email={user.email} data-role={user.role}>
      <th scope="row">
        {user.email}
        {self && <span className={css.sub}>you</span>}
      </th>
      <td>{user.name}</td>
      <td>
        <div className={css.actions}>
          <label className="sr-only" htmlFor={`role-${user.id}`}>
            Role of {user.email}
          </label>
          <RoleSelect id={`role-${user.id}`} value={role} onChange={setRole} />
          {role !== user.role && (
            <button type="button" className={css.button} disabled={busy} onClick={() => void applyRole()} aria-label={`Apply role ${role} to ${user.email}`}>
              Apply
            </button>
          )}
        </div>
      </td>
      <td>
        {user.providers.length === 0 ? <span className="muted">none yet</span> : user.providers.map((p) => (
          <span key={p} className={css.tag}>
            {signInMethod(p)}
          </span>
        ))}
      </td>
      <td>
        <Instant at={user.createdAt} />
      </td>
      <td>
        <div className={css.actions}>
          <button type="button" className={css.button} aria-expanded={password !== null} onClick={() => setPassword(password === null ? '' : null)} aria-label={`Set a new password for ${user.email}`}>
            Set password
          </button>
          <button type="button" className={css.danger} disabled={busy} onClick={() => void remove()} aria-label={`Remove ${user.email}`}>
            Remove
          </button>
        </div>
        {password !== null && (
          <Form className={css.inlineForm} onSubmit={savePassword} aria-label={`New password for ${user.email}`} noValidate>
            <label className={css.field}>
              <span>new password (12 characters or more)</span>
              <input
                className={css.input}
                type="password"
                name="password"
                autoComplete="new-password"
                value={password}
                aria-invalid={passwordError ? true : undefined}
                aria-describedby={passwordError ? `${pwId}-error` : undefined}
                onChange={(e) => setPassword(e.target.value)}
              />
            </label>
            <button type="submit" className={css.primary} disabled={busy}>
              Save password
            </button>
            <FieldError id={`${pwId}-error`} message={passwordError} testId="password-error" />
          </Form>
        )}
      </td>
    </tr>
  );
}

export function UsersPanel({ users, selfId }: { users: UserWire[]; selfId: string | null }) {
  const router = useRouter();
  const [draft, setDraft] = useState(EMPTY);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [banner, setBanner] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  async function create(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    const r = await apiCall<UserWire>('/api/v1/users', 'POST', { ...draft, email: draft.email.trim(), name: draft.name.trim() });
    setBusy(false);
    setErrors(r.fieldErrors);
    if (!r.ok || !r.data) {
      setBanner({ ok: false, text: Object.keys(r.fieldErrors).length ? 'Not added: see the fields below.' : (r.message ?? 'the person was not added') });
      return;
    }
    setBanner({ ok: true, text: `${r.data.email} added as ${r.data.role}: they sign in with the password you chose.` });
    setDraft(EMPTY);
    router.refresh();
  }
  const input = (key: 'email' | 'name' | 'password', label: string, type: string, autoComplete: string) => (
    <label className={css.field}>
      <span>{label}</span>
      <input
        className={css.input}
        name={key}
        type={type}
        autoComplete={autoComplete}
        value={draft[key]}
        aria-invalid={errors[key] ? true : undefined}
        aria-describedby={errors[key] ? `new-user-${key}-error` : undefined}
        onChange={(e) => setDraft({ ...draft, [key]: e.target.value })}
      />
      <FieldError id={`new-user-${key}-error`} message={errors[key]} testId={`new-user-error-${key}`} />
    </label>
  );

  return (
    <>
      {banner && (
        <p className={`${css.banner} ${banner.ok ? css.bannerOk : css.bannerError}`} role={banner.ok ? 'status' : 'alert'} data-testid="users-banner">
          {banner.text}
        </p>
      )}
      <section className={css.section} aria-labelledby="people-title">
        <div className={css.sectionHeader}>
          <h2 id="people-title">People</h2>
          <span className={css.tools}>
            <span className={css.note}>viewer reads · editor also changes alert rules and webhooks · admin also manages people, probes, tokens</span>
            <TableExport name="people" rows={users} columns={USER_EXPORT_COLUMNS} />
          </span>
        </div>
        <div className={css.scroll}>
          <table className={css.table} data-testid="users-table" data-rows={users.length}>
            <thead>
              <tr>
                <th scope="col">email</th>
                <th scope="col">name</th>
                <th scope="col">role</th>
                <th scope="col">signs in with</th>
                <th scope="col">added</th>
                <th scope="col">
                  <span className="sr-only">actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {users.map((u) => (
                <UserRow key={u.id} user={u} self={u.id === selfId} onResult={(ok, text) => setBanner({ ok, text })} />
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <section className={css.section} aria-labelledby="add-person-title">
        <h2 id="add-person-title">Add a person</h2>
        <Form className={css.form} onSubmit={create} aria-label="Add a person" noValidate>
          {input('email', 'email', 'email', 'off')}
          {input('name', 'name', 'text', 'off')}
          <label className={css.field}>
            <span>role</span>
            <RoleSelect name="role" value={draft.role} onChange={(role) => setDraft({ ...draft, role })} />
            <FieldError id="new-user-role-error" message={errors.role} />
          </label>
          {input('password', 'password (12 characters or more)', 'password', 'new-password')}
          <div className={`${css.actions} ${css.wide}`}>
            <button type="submit" className={css.primary} disabled={busy}>
              {busy ? 'Adding…' : 'Add person'}
            </button>
          </div>
        </Form>
      </section>
    </>
  );
}
