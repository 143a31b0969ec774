'use client';
/**
 * Sign in with a password, or with the configured OpenID provider. Talks to better-auth's
 * endpoints (server/auth/auth.ts) directly; the session cookie it sets is httpOnly.
 */
import { useState, type FormEvent } from 'react';
import styles from './auth.module.css';
import { Form } from '../forms/form';

/** Only paths on this dashboard: a `next` of another site would make this an open redirect. */
export function safeNext(next: string | undefined): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/';
}

async function errorText(res: Response): Promise<string> {
  if (res.status === 429) return 'Too many attempts: wait a minute and try again.';
  const body = (await res.json().catch(() => null)) as { message?: string; error?: { message?: string } } | null;
  return body?.message ?? body?.error?.message ?? `sign-in failed (HTTP ${res.status})`;
}

export function SignInForm({ next, oidcName, notice }: { next?: string; oidcName?: string; notice?: string }) {
  const [error, setError] = useState<string | null>(notice ?? null);
  const [busy, setBusy] = useState(false);
  const target = safeNext(next);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setError(null);
    const res = await fetch('/api/auth/sign-in/email', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: form.get('email'), password: form.get('password') }),
    }).catch(() => null);
    if (res?.ok) {
      window.location.assign(target);
      return;
    }
    setBusy(false);
    setError(res ? (res.status === 401 ? 'Wrong email or password.' : await errorText(res)) : 'The server cannot be reached.');
  }

  async function singleSignOn() {
    setBusy(true);
    setError(null);
    const res = await fetch('/api/auth/sign-in/social', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'oidc', callbackURL: target, errorCallbackURL: '/sign-in?error=sso', disableRedirect: true }),
    }).catch(() => null);
    const body = res?.ok ? ((await res.json()) as { url?: string }) : null;
    if (body?.url) {
      window.location.assign(body.url);
      return;
    }
    setBusy(false);
    setError(res ? await errorText(res) : 'The server cannot be reached.');
  }

  return (
    <section className={`card ${styles.panel}`} aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in to dropscope</h1>
      {error && (
        <p className={styles.error} role="alert">
          {error}
        </p>
      )}
      <Form className={styles.form} onSubmit={submit}>
        <label className={styles.field}>
          Email
          <input name="email" type="email" autoComplete="username" required />
        </label>
        <label className={styles.field}>
          Password
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        <button className={styles.primary} type="submit" disabled={busy}>
          Sign in
        </button>
      </Form>
      {oidcName && (
        <>
          <p className={styles.or}>or</p>
          <button className="button" type="button" onClick={singleSignOn} disabled={busy}>
            Sign in with {oidcName}
          </button>
        </>
      )}
    </section>
  );
}
