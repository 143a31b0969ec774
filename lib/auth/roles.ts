/**
 * Roles and the principals that hold them. A viewer reads; an editor also changes alert
 * rules, webhooks and silences; an admin also manages people, probes, tokens and reads the
 * audit log. Each role holds every right of the roles before it.
 */
export const ROLES = ['viewer', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** True when `have` grants everything `need` does. */
export function roleAtLeast(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

/**
 * Who is asking. People sign in (kind `user`); scripts use an API token (`token`); probes
 * and standalone canary targets post with their own tokens (`probe`; they never read);
 * the CLI on the server's host acts as `cli`.
 */
export type Principal =
  | { kind: 'user'; id: string; name: string; email: string; role: Role }
  | { kind: 'token'; id: number; name: string; role: Role }
  | { kind: 'probe'; id: number; name: string; probeKind: 'probe' | 'target' }
  | { kind: 'cli'; name: string };

/** The administration CLI on the server's host (`dropscope ...`), as the audit log names it. */
export const CLI_PRINCIPAL: Principal = { kind: 'cli', name: 'dropscope CLI' };

/** The role a principal acts with on the dashboard and its API; null for probes. */
export function roleOf(principal: Principal): Role | null {
  switch (principal.kind) {
    case 'user':
    case 'token':
      return principal.role;
    case 'cli':
      return 'admin';
    case 'probe':
      return null;
  }
}

/** What the audit log says of an actor. */
export function actorOf(principal: Principal): { actorKind: Principal['kind']; actorId: string | null; actorName: string } {
  switch (principal.kind) {
    case 'user':
      return { actorKind: 'user', actorId: principal.id, actorName: principal.email };
    case 'token':
    case 'probe':
      return { actorKind: principal.kind, actorId: String(principal.id), actorName: principal.name };
    case 'cli':
      return { actorKind: 'cli', actorId: null, actorName: principal.name };
  }
}
