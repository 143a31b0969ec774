/**
 * `dropscope user ...` and `dropscope token ...`: the arguments and the output of the
 * commands in server/user-commands.ts. That module (users, tokens, password hashing) is
 * imported only when a command is parsed, so the usage text costs nothing to load.
 */
import { describeIssues, fieldIssues } from '../lib/http/problem';
import { parseRetention } from '../lib/retention/partitions';
import type { UserCommand, UserCommandResult } from '../server/user-commands';

export const ACCESS_USAGE = `  dropscope user add <email> --role viewer|editor|admin [--name <name>]   prints a generated password once
  dropscope user list
  dropscope user role <email> <role>
  dropscope user password <email>        a new generated password (their sessions end)
  dropscope user remove <email>
  dropscope token add <name> --role <role> [--expires 90d|never]   prints the token once
  dropscope token list
  dropscope token revoke <id>`;

export class AccessUsageError extends Error {}

/** `argv` after the noun and the flags common to every command (--data-dir, --database-url) were taken out. */
export async function parseAccessArgs(noun: 'user' | 'token', argv: string[]): Promise<UserCommand> {
  const positional: string[] = [];
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^--(role|name|expires)(?:=(.*))?$/.exec(a);
    if (m) {
      const value = m[2] ?? argv[++i];
      if (value === undefined) throw new AccessUsageError(`--${m[1]} needs a value`);
      flags[m[1]!] = value;
    } else if (a.startsWith('-')) throw new AccessUsageError(`unknown option ${a}`);
    else positional.push(a);
  }
  const [verb, arg, extra, ...rest] = positional;
  if (rest.length > 0) throw new AccessUsageError(`unexpected arguments: ${rest.join(' ')}`);
  let raw: Record<string, unknown>;
  if (noun === 'user') {
    if (verb === 'add') raw = { command: 'user-add', email: arg, role: flags.role, ...(flags.name ? { name: flags.name } : {}) };
    else if (verb === 'list') raw = { command: 'user-list' };
    else if (verb === 'role') raw = { command: 'user-role', email: arg, role: extra ?? flags.role };
    else if (verb === 'password') raw = { command: 'user-password', email: arg };
    else if (verb === 'remove') raw = { command: 'user-remove', email: arg };
    else throw new AccessUsageError(verb ? `unknown command user ${verb}` : '');
  } else {
    if (verb === 'add') {
      const expires = flags.expires ?? '90d';
      const ms = expires === 'never' ? null : parseRetention(expires);
      if (expires !== 'never' && ms === null) throw new AccessUsageError(`--expires expects a period such as 90d, or never; got "${expires}"`);
      raw = { command: 'token-add', name: arg, role: flags.role, expiresInDays: ms === null ? null : Math.max(1, Math.round(ms / 86_400_000)) };
    } else if (verb === 'list') raw = { command: 'token-list' };
    else if (verb === 'revoke') raw = { command: 'token-revoke', id: Number(arg) };
    else throw new AccessUsageError(verb ? `unknown command token ${verb}` : '');
  }
  const { userCommandSchema } = await import('../server/user-commands');
  const parsed = userCommandSchema.safeParse(raw);
  if (!parsed.success) throw new AccessUsageError(describeIssues(fieldIssues(parsed.error)).replace(/^(role|name):/, '--$1:'));
  return parsed.data;
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

const iso = (d: Date | string | null) => (d ? new Date(d).toISOString() : '-');

export function formatAccessResult(r: UserCommandResult): string {
  switch (r.command) {
    case 'user-add':
      return `${r.user.email} added as ${r.user.role}.\npassword (shown once; they can be given a new one with \`dropscope user password\`):\n${r.password}\n`;
    case 'user-password':
      return `${r.user.email} has a new password (their sessions ended):\n${r.password}\n`;
    case 'user-role':
      return `${r.user.email} is now ${r.user.role}\n`;
    case 'user-remove':
      return `${r.user.email} removed\n`;
    case 'user-list':
      return r.users.length === 0
        ? 'nobody has an account yet: dropscope user add <email> --role admin\n'
        : table(['EMAIL', 'ROLE', 'SIGNS IN WITH', 'SINCE'], r.users.map((u) => [u.email, u.role, u.providers.join(',') || '-', iso(u.createdAt)]));
    case 'token-add':
      return `API token ${r.record.id} (${r.record.name}, ${r.record.role}, ${r.record.expiresAt ? `expires ${iso(r.record.expiresAt)}` : 'does not expire'}).\ntoken (shown once; send it as "Authorization: Bearer <token>"):\n${r.token}\n`;
    case 'token-revoke':
      return `API token ${r.record.id} (${r.record.name}) revoked at ${iso(r.record.revokedAt)}\n`;
    case 'token-list':
      return r.tokens.length === 0
        ? 'no API tokens: dropscope token add <name> --role viewer\n'
        : table(
            ['ID', 'NAME', 'ROLE', 'STATE', 'EXPIRES', 'LAST USED'],
            r.tokens.map((t) => [String(t.id), t.name, t.role, t.revokedAt ? 'revoked' : t.expiresAt && new Date(t.expiresAt) <= new Date() ? 'expired' : 'active', iso(t.expiresAt), iso(t.lastUsedAt)]),
          );
  }
}
