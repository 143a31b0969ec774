/**
 * People and API tokens from the server's host (`dropscope user ...`, `dropscope token
 * ...`), for the first admin of an unattended install, a locked-out admin, or a token for
 * Prometheus. Run by the CLI on the database, or through the admin socket when a server holds
 * the PGlite directory, like the probe commands. Passwords are generated and printed once,
 * never taken as arguments (arguments show up in `ps`). Each write is in the audit log as
 * the CLI's.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Database } from '../db/client';
import { createApiToken, listApiTokens, revokeApiToken, type ApiTokenRecord } from '../db/queries/api-tokens';
import { recordAudit } from '../db/queries/audit';
import { countAdmins, createPasswordUser, deleteUser, findUserByEmail, listUsers, setUserPassword, setUserRole, type UserRecord } from '../db/queries/users';
import { CLI_PRINCIPAL, ROLES } from '../lib/auth/roles';

const email = z.email({ error: 'expected an email address' });
const role = z.enum(ROLES, { error: 'expected viewer, editor or admin' });

export const userCommandSchema = z.discriminatedUnion('command', [
  z.strictObject({ command: z.literal('user-add'), email, role, name: z.string().min(1).max(100).optional() }),
  z.strictObject({ command: z.literal('user-list') }),
  z.strictObject({ command: z.literal('user-role'), email, role }),
  z.strictObject({ command: z.literal('user-password'), email }),
  z.strictObject({ command: z.literal('user-remove'), email }),
  z.strictObject({ command: z.literal('token-add'), name: z.string().min(1).max(100), role, expiresInDays: z.number().int().min(1).max(3650).nullable() }),
  z.strictObject({ command: z.literal('token-list') }),
  z.strictObject({ command: z.literal('token-revoke'), id: z.number().int().min(1) }),
]);
export type UserCommand = z.infer<typeof userCommandSchema>;

export type UserCommandResult =
  | { command: 'user-add' | 'user-password'; user: UserRecord; password: string }
  | { command: 'user-role' | 'user-remove'; user: UserRecord }
  | { command: 'user-list'; users: UserRecord[] }
  | { command: 'token-add'; token: string; record: ApiTokenRecord }
  | { command: 'token-list'; tokens: ApiTokenRecord[] }
  | { command: 'token-revoke'; record: ApiTokenRecord };

export class UserCommandError extends Error {
  constructor(
    readonly code: 'USER_ERR_NOT_FOUND' | 'USER_ERR_LAST_ADMIN' | 'TOKEN_ERR_NOT_FOUND',
    message: string,
  ) {
    super(message);
  }
}

const CLI = CLI_PRINCIPAL;

/** 24 characters from 18 random bytes: well past any guessing, easy to paste. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

export async function runUserCommand(database: Database, cmd: UserCommand, now: Date): Promise<UserCommandResult> {
  const db = database.db;
  const person = async (address: string) => {
    const user = await findUserByEmail(db, address);
    if (!user) throw new UserCommandError('USER_ERR_NOT_FOUND', `nobody with the email ${address}`);
    return user;
  };
  switch (cmd.command) {
    case 'user-add': {
      const password = generatePassword();
      const user = await db.transaction(async (tx) => {
        const u = await createPasswordUser(tx, { email: cmd.email, name: cmd.name ?? cmd.email.split('@')[0]!, role: cmd.role, password }, now);
        await recordAudit(tx, CLI, { action: 'user.create', subjectKind: 'user', subjectId: u.id, after: u }, now);
        return u;
      });
      return { command: 'user-add', user, password };
    }
    case 'user-list':
      return { command: 'user-list', users: await listUsers(db) };
    case 'user-role': {
      const before = await person(cmd.email);
      if (before.role === 'admin' && cmd.role !== 'admin' && (await countAdmins(db)) <= 1) {
        throw new UserCommandError('USER_ERR_LAST_ADMIN', 'the last admin cannot be demoted: make someone else admin first');
      }
      const user = (await setUserRole(db, before.id, cmd.role, now))!;
      await recordAudit(db, CLI, { action: 'user.update', subjectKind: 'user', subjectId: user.id, before, after: user }, now);
      return { command: 'user-role', user };
    }
    case 'user-password': {
      const user = await person(cmd.email);
      const password = generatePassword();
      await setUserPassword(db, user.id, password, now);
      await recordAudit(db, CLI, { action: 'user.password', subjectKind: 'user', subjectId: user.id }, now);
      return { command: 'user-password', user, password };
    }
    case 'user-remove': {
      const user = await person(cmd.email);
      if (user.role === 'admin' && (await countAdmins(db)) <= 1) throw new UserCommandError('USER_ERR_LAST_ADMIN', 'the last admin cannot be removed');
      await deleteUser(db, user.id);
      await recordAudit(db, CLI, { action: 'user.delete', subjectKind: 'user', subjectId: user.id, before: user }, now);
      return { command: 'user-remove', user };
    }
    case 'token-add': {
      const expiresAt = cmd.expiresInDays === null ? null : new Date(now.getTime() + cmd.expiresInDays * 86_400_000);
      const made = await createApiToken(db, { name: cmd.name, role: cmd.role, expiresAt, createdBy: null }, now);
      await recordAudit(db, CLI, { action: 'token.create', subjectKind: 'token', subjectId: made.record.id, after: made.record }, now);
      return { command: 'token-add', ...made };
    }
    case 'token-list':
      return { command: 'token-list', tokens: await listApiTokens(db) };
    case 'token-revoke': {
      const record = await revokeApiToken(db, cmd.id, now);
      if (!record) throw new UserCommandError('TOKEN_ERR_NOT_FOUND', `no API token with id ${cmd.id}`);
      await recordAudit(db, CLI, { action: 'token.revoke', subjectKind: 'token', subjectId: cmd.id, after: record }, now);
      return { command: 'token-revoke', record };
    }
  }
}
