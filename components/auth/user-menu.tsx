'use client';
/** Who is signed in, and signing out (better-auth clears the session in the database too). */
import styles from './auth.module.css';

export function UserMenu({ name, role }: { name: string; role: string }) {
  async function signOut() {
    await fetch('/api/auth/sign-out', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).catch(() => null);
    window.location.assign('/sign-in');
  }
  return (
    <span className={styles.user}>
      <span>
        {name} · {role}
      </span>
      <button className="button" type="button" onClick={signOut}>
        Sign out
      </button>
    </span>
  );
}
