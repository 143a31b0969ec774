/**
 * One-time setup links for an empty database (server/auth/first-admin.ts). A link's token
 * is stored as its sha256 in better-auth's verification table; using one creates the first
 * admin and deletes every link, in one transaction under a lock, so two people (or two
 * servers) racing for the same empty database make one admin.
 */
import { randomBytes } from 'node:crypto';
import { and, eq, gt, sql } from 'drizzle-orm';
import type { Executor } from '../client';
import { authVerifications } from '../schema';
import { hashToken } from './probes';
import { countUsers, createPasswordUser, type UserRecord } from './users';

const IDENTIFIER = 'dropscope-setup';

export async function issueSetupToken(db: Executor, expiresAt: Date, now: Date): Promise<string> {
  const token = randomBytes(24).toString('base64url');
  await db.insert(authVerifications).values({ id: crypto.randomUUID(), identifier: IDENTIFIER, value: hashToken(token), expiresAt, createdAt: now, updatedAt: now });
  return token;
}

export class SetupError extends Error {
  constructor(
    readonly code: 'SETUP_ERR_TOKEN' | 'SETUP_ERR_DONE',
    message: string,
  ) {
    super(message);
  }
}

/** Create the first admin with a setup link's token. */
export async function completeSetup(
  db: Executor,
  token: string,
  admin: { email: string; name: string; password: string },
  now: Date,
): Promise<UserRecord> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('dropscope-setup'))`);
    if ((await countUsers(tx)) > 0) throw new SetupError('SETUP_ERR_DONE', 'dropscope is set up already: sign in, or ask an admin for an account');
    const [valid] = await tx
      .select({ id: authVerifications.id })
      .from(authVerifications)
      .where(and(eq(authVerifications.identifier, IDENTIFIER), eq(authVerifications.value, hashToken(token)), gt(authVerifications.expiresAt, now)));
    if (!valid) throw new SetupError('SETUP_ERR_TOKEN', 'this setup link is not valid (expired, or from another start): restart the server for a new one');
    const user = await createPasswordUser(tx, { ...admin, role: 'admin' }, now);
    await tx.delete(authVerifications).where(eq(authVerifications.identifier, IDENTIFIER));
    return user;
  });
}
