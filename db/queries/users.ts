/**
 * People who sign in. Sign-in itself is better-auth's (server/auth/auth.ts); here are the
 * writes it does not make: the first admin, people an admin adds with a password, roles,
 * removal. Passwords are hashed with better-auth's own function (scrypt), so that its
 * sign-in verifies what is stored here.
 */
import { randomUUID } from 'node:crypto';
import { hashPassword } from 'better-auth/crypto';
import { and, asc, count, eq } from 'drizzle-orm';
import type { Role } from '../../lib/auth/roles';
import type { Executor } from '../client';
import { authAccounts, authSessions, users } from '../schema';

export interface UserRecord {
  id: string;
  name: string;
  email: string;
  role: Role;
  createdAt: Date;
  /** How the person signs in: `credential` (password) and/or OpenID providers' ids. */
  providers: string[];
}

export class UserExistsError extends Error {
  readonly code = 'USER_ERR_EXISTS';
  constructor(email: string) {
    super(`a person with the email ${email} already exists`);
  }
}

/** Emails are compared and stored in lower case (better-auth does the same at sign-in). */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export async function countUsers(db: Executor): Promise<number> {
  const [row] = await db.select({ n: count() }).from(users);
  return row?.n ?? 0;
}

/** Add a person who signs in with a password. */
export async function createPasswordUser(
  db: Executor,
  input: { email: string; name: string; role: Role; password: string },
  now: Date,
): Promise<UserRecord> {
  const email = normaliseEmail(input.email);
  const hash = await hashPassword(input.password);
  return db.transaction(async (tx) => {
    const [existing] = await tx.select({ id: users.id }).from(users).where(eq(users.email, email));
    if (existing) throw new UserExistsError(email);
    const id = randomUUID();
    await tx.insert(users).values({ id, email, name: input.name, role: input.role, emailVerified: true, createdAt: now, updatedAt: now });
    await tx.insert(authAccounts).values({ id: randomUUID(), accountId: id, providerId: 'credential', userId: id, password: hash, createdAt: now, updatedAt: now });
    return { id, email, name: input.name, role: input.role, createdAt: now, providers: ['credential'] };
  });
}

export async function listUsers(db: Executor): Promise<UserRecord[]> {
  const rows = await db
    .select({ id: users.id, name: users.name, email: users.email, role: users.role, createdAt: users.createdAt, provider: authAccounts.providerId })
    .from(users)
    .leftJoin(authAccounts, eq(authAccounts.userId, users.id))
    .orderBy(asc(users.email));
  const byId = new Map<string, UserRecord>();
  for (const r of rows) {
    const u = byId.get(r.id) ?? { id: r.id, name: r.name, email: r.email, role: r.role as Role, createdAt: r.createdAt, providers: [] };
    if (r.provider && !u.providers.includes(r.provider)) u.providers.push(r.provider);
    byId.set(r.id, u);
  }
  return [...byId.values()];
}

export async function getUser(db: Executor, id: string): Promise<UserRecord | null> {
  return (await listUsers(db)).find((u) => u.id === id) ?? null;
}

export async function findUserByEmail(db: Executor, email: string): Promise<UserRecord | null> {
  const [row] = await db.select({ id: users.id }).from(users).where(eq(users.email, normaliseEmail(email)));
  return row ? getUser(db, row.id) : null;
}

/** Change a role; the person's next request acts with it (sessions read the role each time). */
export async function setUserRole(db: Executor, id: string, role: Role, now: Date): Promise<UserRecord | null> {
  const [row] = await db.update(users).set({ role, updatedAt: now }).where(eq(users.id, id)).returning({ id: users.id });
  return row ? getUser(db, id) : null;
}

/** Set a password (adds one to a person who had only single sign-on); ends their sessions. */
export async function setUserPassword(db: Executor, id: string, password: string, now: Date): Promise<boolean> {
  const hash = await hashPassword(password);
  return db.transaction(async (tx) => {
    const [user] = await tx.select({ id: users.id }).from(users).where(eq(users.id, id));
    if (!user) return false;
    const updated = await tx
      .update(authAccounts)
      .set({ password: hash, updatedAt: now })
      .where(and(eq(authAccounts.userId, id), eq(authAccounts.providerId, 'credential')))
      .returning({ id: authAccounts.id });
    if (updated.length === 0) {
      await tx.insert(authAccounts).values({ id: randomUUID(), accountId: id, providerId: 'credential', userId: id, password: hash, createdAt: now, updatedAt: now });
    }
    await tx.delete(authSessions).where(eq(authSessions.userId, id));
    return true;
  });
}

/** Remove a person, their accounts and sessions. */
export async function deleteUser(db: Executor, id: string): Promise<UserRecord | null> {
  const user = await getUser(db, id);
  if (!user) return null;
  await db.delete(users).where(eq(users.id, id));
  return user;
}

/** How many admins there are: the last one cannot be demoted or removed. */
export async function countAdmins(db: Executor): Promise<number> {
  const [row] = await db.select({ n: count() }).from(users).where(eq(users.role, 'admin'));
  return row?.n ?? 0;
}
