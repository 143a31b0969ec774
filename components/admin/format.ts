/** Instants as the admin pages show them: UTC to the second, or a dash. */
export function stamp(iso: string | null | undefined): string {
  return iso ? `${iso.slice(0, 19).replace('T', ' ')} UTC` : '—';
}

/** How a person signs in, from better-auth's provider ids. */
export function signInMethod(provider: string): string {
  return provider === 'credential' ? 'password' : `single sign-on (${provider})`;
}
