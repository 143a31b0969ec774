/**
 * Webhook endpoints. What the secret is depends on the format's provider
 * (lib/receivers/types.ts SecretKind): generated here and returned once by createWebhook
 * (Standard Webhooks), given by the user (a PagerDuty routing key, never returned), or none
 * (Alertmanager: an empty value, sealed like the others so every row has the same shape).
 * Every read leaves it out (WebhookRecord has no secret field at all). It is stored sealed
 * under the server's key (lib/webhooks/secret-at-rest.ts); only the deliverer opens it.
 */
import { asc, eq, not, like, sql } from 'drizzle-orm';
import { isSealed, type SecretKey } from '../../lib/crypto/secret-box';
import { receiverFor } from '../../lib/receivers';
import type { WebhookFormat, WebhookInput } from '../../lib/webhooks/endpoint';
import { openWebhookSecret, sealWebhookSecret } from '../../lib/webhooks/secret-at-rest';
import { generateWebhookSecret } from '../../lib/webhooks/signature';
import type { Db, Executor } from '../client';
import { rowsOf } from './scope';
import { webhookEndpoints as w } from '../schema';

export interface WebhookRecord {
  id: number;
  name: string;
  url: string;
  format: WebhookFormat;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export class WebhookError extends Error {
  constructor(
    readonly code: 'WEBHOOK_ERR_NAME_TAKEN' | 'WEBHOOK_ERR_SECRET_REQUIRED',
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
 * The secret a new endpoint of `input.format` gets: the user's (required), a new one
 * (generated; `shown` then carries it, to be returned once), or '' (none).
 */
function secretFor(input: WebhookInput): { secret: string; shown: string | null } {
  const kind = receiverFor(input.format).secret;
  if (kind === 'required') {
    const field = receiverFor(input.format).secretInput?.field ?? 'secret';
    if (input.secret === undefined) throw new WebhookError('WEBHOOK_ERR_SECRET_REQUIRED', `a ${input.format} endpoint needs its ${field}`, field);
    return { secret: input.secret, shown: null };
  }
  if (kind === 'generated') {
    const secret = generateWebhookSecret();
    return { secret, shown: secret };
  }
  return { secret: '', shown: null };
}

const columnsOf = (input: WebhookInput) => ({ name: input.name, url: input.url, format: input.format, enabled: input.enabled });

/**
 * Create an endpoint, its secret sealed under `key`. `secret` in the result is the
 * generated one, for the one answer that shows it; null when the user gave it or there is
 * none. Throws WebhookError (name taken; a required secret missing).
 */
export async function createWebhook(db: Executor, input: WebhookInput, now: Date, key: SecretKey): Promise<{ webhook: WebhookRecord; secret: string | null }> {
  await nameTaken(db, input.name);
  const { secret, shown } = secretFor(input);
  // The id first: it is the sealed value's associated data, and the row is written once,
  // never with the plaintext in it.
  const [next] = rowsOf<{ id: number }>(await db.execute(sql`select nextval(pg_get_serial_sequence('webhook_endpoints', 'id'))::int as id`));
  const id = Number(next!.id);
  const [row] = await db
    .insert(w)
    .values({ ...columnsOf(input), id, secret: sealWebhookSecret(key, id, secret), createdAt: now, updatedAt: now })
    .returning(publicColumns);
  return { webhook: row!, secret: shown };
}

/**
 * Replace name, URL, format and enabled. The secret stays while the format keeps the same
 * kind of secret; a user-given one (a new routing key) replaces it; a change to a format of
 * another kind gets that kind's secret (a generated one is returned in `secret`, once).
 * A user-given secret must be given again when the URL changes (WEBHOOK_ERR_SECRET_REQUIRED
 * naming its field): the stored one is never sent to an address it was not given for.
 * Null when there is no such endpoint. Throws WebhookError.
 */
export async function updateWebhook(db: Executor, id: number, input: WebhookInput, now: Date, key: SecretKey): Promise<{ webhook: WebhookRecord; secret: string | null } | null> {
  const [before] = await db.select({ format: w.format, url: w.url }).from(w).where(eq(w.id, id));
  if (!before) return null;
  await nameTaken(db, input.name, id);
  const kindBefore = receiverFor(before.format).secret;
  const kindAfter = receiverFor(input.format).secret;
  // A user-given secret goes with the address it was given for: whoever can edit an
  // endpoint must not be able to point it elsewhere and have the stored key sent there.
  if (kindAfter === 'required' && input.secret === undefined && before.url !== input.url) {
    const field = receiverFor(input.format).secretInput?.field ?? 'secret';
    throw new WebhookError('WEBHOOK_ERR_SECRET_REQUIRED', `give the ${field === 'routingKey' ? 'routing key' : field} again when the URL changes`, field);
  }
  let secret: { secret: string; shown: string | null } | null = null;
  if (input.secret !== undefined || kindBefore !== kindAfter || (kindAfter === 'required' && before.format !== input.format)) secret = secretFor(input);
  const [row] = await db
    .update(w)
    .set({ ...columnsOf(input), ...(secret && { secret: sealWebhookSecret(key, id, secret.secret) }), updatedAt: now })
    .where(eq(w.id, id))
    .returning(publicColumns);
  return row ? { webhook: row, secret: secret?.shown ?? null } : null;
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
