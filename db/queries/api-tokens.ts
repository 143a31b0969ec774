/**
 * API tokens for automation: `dsa_<id>_<secret>`, shown once; only the sha256 of the whole
 * token is stored (the scheme of probe tokens, db/queries/probes.ts). A token acts with its
 * role until it expires or is revoked.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { and, asc, eq, isNull } from 'drizzle-orm';
import type { Role } from '../../lib/auth/roles';
import type { Executor } from '../client';
import { apiTokens } from '../schema';
import { hashToken } from './probes';

export const API_TOKEN_RE = /^dsa_([1-9][0-9]{0,9})_([A-Za-z0-9_-]{43})$/;

export interface ApiTokenRecord {
  id: number;
  name: string;
  role: Role;
  createdBy: string | null;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

const columns = {
  id: apiTokens.id,
  name: apiTokens.name,
  role: apiTokens.role,
  createdBy: apiTokens.createdBy,
  createdAt: apiTokens.createdAt,
  expiresAt: apiTokens.expiresAt,
  revokedAt: apiTokens.revokedAt,
  lastUsedAt: apiTokens.lastUsedAt,
};

/** Create a token. The token in the answer is never retrievable again. */
export async function createApiToken(
  db: Executor,
  input: { name: string; role: Role; expiresAt: Date | null; createdBy: string | null },
  now: Date,
): Promise<{ record: ApiTokenRecord; token: string }> {
  return db.transaction(async (tx) => {
    const [row] = await tx.insert(apiTokens).values({ ...input, tokenHash: '', createdAt: now }).returning(columns);
    if (!row) throw new Error('insert returned no row');
    const token = `dsa_${row.id}_${randomBytes(32).toString('base64url')}`;
    await tx.update(apiTokens).set({ tokenHash: hashToken(token) }).where(eq(apiTokens.id, row.id));
    return { record: row as ApiTokenRecord, token };
  });
}

export async function listApiTokens(db: Executor): Promise<ApiTokenRecord[]> {
  return (await db.select(columns).from(apiTokens).orderBy(asc(apiTokens.id))) as ApiTokenRecord[];
}

export async function getApiToken(db: Executor, id: number): Promise<ApiTokenRecord | null> {
  const [row] = await db.select(columns).from(apiTokens).where(eq(apiTokens.id, id));
  return (row as ApiTokenRecord | undefined) ?? null;
}

/** Revoke; null when there is no such token. Revoking twice keeps the first instant. */
export async function revokeApiToken(db: Executor, id: number, now: Date): Promise<ApiTokenRecord | null> {
  const [row] = await db
    .update(apiTokens)
    .set({ revokedAt: now })
    .where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt)))
    .returning(columns);
  return (row as ApiTokenRecord | undefined) ?? getApiToken(db, id);
}

/**
 * The token a bearer value belongs to, or null for a malformed, unknown, revoked or expired
 * one. Marks it used at most once a minute (a scrape every 15 s does not write every time).
 */
export async function authenticateApiToken(db: Executor, token: string, now: Date): Promise<{ id: number; name: string; role: Role } | null> {
  const m = API_TOKEN_RE.exec(token);
  if (!m) return null;
  const [row] = await db
    .select({ id: apiTokens.id, name: apiTokens.name, role: apiTokens.role, tokenHash: apiTokens.tokenHash, revokedAt: apiTokens.revokedAt, expiresAt: apiTokens.expiresAt, lastUsedAt: apiTokens.lastUsedAt })
    .from(apiTokens)
    .where(eq(apiTokens.id, Number(m[1])));
  if (!row || row.revokedAt || (row.expiresAt && row.expiresAt <= now)) return null;
  const presented = Buffer.from(hashToken(token), 'hex');
  const stored = Buffer.from(row.tokenHash, 'hex');
  if (presented.length !== stored.length || !timingSafeEqual(presented, stored)) return null;
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > 60_000) {
    await db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, row.id));
  }
  return { id: row.id, name: row.name, role: row.role as Role };
}
