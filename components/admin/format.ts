/** How a person signs in, from better-auth's provider ids. */
export function signInMethod(provider: string): string {
  return provider === 'credential' ? 'password' : `single sign-on (${provider})`;
}
