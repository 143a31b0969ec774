'use client';
/** The first admin, with the one-time setup link's token; then signs them in. */
import { useState, type FormEvent } from 'react';
import styles from './auth.module.css';
import { Form } from '../forms/form';

export function SetupForm({ token }: { token: string }) {
  const [error, setError] = useState<string | null>(token ? null : 'This page needs the link printed by the server at its first start.');
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const admin = { email: String(form.get('email')), name: String(form.get('name')), password: String(form.get('password')) };
    setBusy(true);
    setError(null);
    const res = await fetch('/api/v1/setup', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, ...admin }) }).catch(() => null);
    if (!res?.ok) {
      const body = (await res?.json().catch(() => null)) as { error?: { message?: string } } | null;
      setBusy(false);
      setError(body?.error?.message ?? (res ? `setup failed (HTTP ${res.status})` : 'The server cannot be reached.'));
      return;
    }
    const signIn = await fetch('/api/auth/sign-in/email', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: admin.email, password: admin.password }) });
    window.location.assign(signIn.ok ? '/' : '/sign-in');
  }

  return (
    <section className={`card ${styles.panel}`} aria-labelledby="setup-title">
      <h1 id="setup-title">Create the first admin</h1>
      <p className={styles.hint}>Nobody can sign in yet. The admin you create here adds everyone else (Admin → People).</p>
      {error && (
        <p className={styles.error} role="alert">
          {error}
        </p>
      )}
      <Form className={styles.form} onSubmit={submit}>
        <label className={styles.field}>
          Name
          <input name="name" autoComplete="name" required />
        </label>
        <label className={styles.field}>
          Email
          <input name="email" type="email" autoComplete="username" required />
        </label>
        <label className={styles.field}>
          Password (12 characters or more)
          <input name="password" type="password" autoComplete="new-password" minLength={12} required />
        </label>
        <button className={styles.primary} type="submit" disabled={busy || !token}>
          Create admin and sign in
        </button>
      </Form>
    </section>
  );
}
