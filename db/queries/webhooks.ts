/**
 * Webhook endpoints. The secret is generated here and returned once, by createWebhook;
 * every other read leaves it out (WebhookRecord has no secret field at all).
 */
import { asc, eq } from 'drizzle-orm';
import type { WebhookInput } from '../../lib/webhooks/endpoint';
import { generateWebhookSecret } from '../../lib/webhooks/signature';
import type { Executor } from '../client';
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

/** Create an endpoint. The secret in the result is never retrievable again. */
export async function createWebhook(db: Executor, input: WebhookInput, now: Date): Promise<{ webhook: WebhookRecord; secret: string }> {
  await nameTaken(db, input.name);
  const secret = generateWebhookSecret();
  const [row] = await db
    .insert(w)
    .values({ ...input, secret, createdAt: now, updatedAt: now })
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
