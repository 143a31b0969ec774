/**
 * Webhook endpoints. The secret is generated here and returned once, by createWebhook;
 * every other read leaves it out (WebhookRecord has no secret field at all). It is stored
 * sealed under the server's key (lib/webhooks/secret-at-rest.ts); only the deliverer opens
 * it, to sign.
 */
import { asc, eq, not, like, sql } from 'drizzle-orm';
import { isSealed, type SecretKey } from '../../lib/crypto/secret-box';
import type { WebhookInput } from '../../lib/webhooks/endpoint';
import { openWebhookSecret, sealWebhookSecret } from '../../lib/webhooks/secret-at-rest';
import { generateWebhookSecret } from '../../lib/webhooks/signature';
import type { Db, Executor } from '../client';
import { rowsOf } from './scope';
import { webhookEndpoints as w } from '../schema';

export interface WebhookRecord {
  id: number;
  name: string;
  url: string;
  format: 'standard' | 'slack';
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export class WebhookError extends Error {
  constructor(
    readonly code: 'WEBHOOK_ERR_NAME_TAKEN',
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'WebhookError';
  }
}

const publicColumns = { id: w.id, name: w.name, url: w.url, format: w.format, enabled: w.enabled, createdAt: w.createdAt, updatedAt: w.updatedAt };

export async function listWebhooks(db: Executor): Promise<WebhookRecord[]> {
  return db.select(publicColumns).from(w).orderBy(asc(w.name));
}

export async function getWebhook(db: Executor, id: number): Promise<WebhookRecord | null> {
  const [row] = await db.select(publicColumns).from(w).where(eq(w.id, id));
  return row ?? null;
}

async function nameTaken(db: Executor, name: string, exceptId?: number): Promise<void> {
  const [other] = await db.select({ id: w.id }).from(w).where(eq(w.name, name));
  if (other && other.id !== exceptId) throw new WebhookError('WEBHOOK_ERR_NAME_TAKEN', `a webhook named "${name}" already exists`, 'name');
}

/**
 * Create an endpoint, its secret sealed under `key`. The secret in the result is never
 * retrievable again.
 */
export async function createWebhook(db: Executor, input: WebhookInput, now: Date, key: SecretKey): Promise<{ webhook: WebhookRecord; secret: string }> {
  await nameTaken(db, input.name);
  const secret = generateWebhookSecret();
  // The id first: it is the sealed value's associated data, and the row is written once,
  // never with the plaintext in it.
  const [next] = rowsOf<{ id: number }>(await db.execute(sql`select nextval(pg_get_serial_sequence('webhook_endpoints', 'id'))::int as id`));
  const id = Number(next!.id);
  const [row] = await db
    .insert(w)
    .values({ ...input, id, secret: sealWebhookSecret(key, id, secret), createdAt: now, updatedAt: now })
    .returning(publicColumns);
  return { webhook: row!, secret };
}

/** Replace name, URL, format and enabled; the secret stays. Null when there is no such endpoint. */
export async function updateWebhook(db: Executor, id: number, input: WebhookInput, now: Date): Promise<WebhookRecord | null> {
  await nameTaken(db, input.name, id);
  const [row] = await db.update(w).set({ ...input, updatedAt: now }).where(eq(w.id, id)).returning(publicColumns);
  return row ?? null;
}

/** Delete an endpoint with its queued messages and their attempts. */
export async function deleteWebhook(db: Executor, id: number): Promise<boolean> {
  return (await db.delete(w).where(eq(w.id, id)).returning({ id: w.id })).length > 0;
}

/**
 * Seal every secret still stored in plaintext (written before secrets were encrypted), in
 * one transaction; values already sealed are left alone, so running it at every start is
 * harmless. Returns how many were sealed.
 */
export async function sealPlaintextSecrets(db: Db, key: SecretKey): Promise<number> {
  return db.transaction(async (tx) => {
    const plain = await tx.select({ id: w.id, secret: w.secret }).from(w).where(not(like(w.secret, 'v1:%'))).for('update');
    for (const row of plain) await tx.update(w).set({ secret: sealWebhookSecret(key, row.id, row.secret) }).where(eq(w.id, row.id));
    return plain.length;
  });
}

/** Endpoints whose sealed secret `key` cannot open (a wrong key), by id; for a warning at start. */
export async function secretsNotOpening(db: Executor, key: SecretKey): Promise<number[]> {
  const all = await db.select({ id: w.id, secret: w.secret }).from(w).orderBy(asc(w.id));
  return all
    .filter((row) => {
      if (!isSealed(row.secret)) return true;
      try {
        openWebhookSecret(key, row.id, row.secret);
        return false;
      } catch {
        return true;
      }
    })
    .map((row) => row.id);
}
