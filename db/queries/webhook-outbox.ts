/**
 * The durable outbox: claiming due messages (leased, `for update skip locked` so several
 * deliverers on one PostgreSQL never take the same row; PGlite runs one statement at a
 * time anyway), recording every attempt, and reading the delivery history back.
 */
import { and, asc, count, desc, eq, inArray, isNull, lt, lte, ne, or } from 'drizzle-orm';
import { testBody } from '../../lib/alerts/notification';
import type { Delivery, DeliveryAttempt } from '../../lib/alerts/views';
import { nextAttemptAt, type RetryPolicy } from '../../lib/webhooks/retry';
import type { AttemptResult } from '../../lib/webhooks/deliver';
import type { WebhookFormat } from '../../lib/webhooks/endpoint';
import { generateMessageId } from '../../lib/webhooks/signature';
import type { Db, Executor } from '../client';
import { webhookAttempts as a, webhookEndpoints as w, webhookOutbox as o } from '../schema';
import { RESEND_EVENT } from './alerts-resend';

export interface ClaimedMessage {
  id: number;
  messageId: string;
  webhookId: number;
  /** `webhook.test` for "send test", which is tried once and never retried. */
  eventType: string;
  body: string;
  createdAt: Date;
  attempts: number;
  url: string;
  /** The endpoint's format: its provider builds the request (lib/receivers). */
  format: WebhookFormat;
  /** As stored, sealed: opened only at send time (lib/webhooks/deliver.ts). */
  sealedSecret: string;
}

/** The event type of "send test" messages. */
export const TEST_EVENT = 'webhook.test';

/** Lease up to `limit` due messages of enabled endpoints until now + leaseMs. */
export async function claimDueMessages(db: Db, now: Date, options: { limit: number; leaseMs: number }): Promise<ClaimedMessage[]> {
  return db.transaction(async (tx) => {
    const due = await tx
      .select({ id: o.id })
      .from(o)
      .innerJoin(w, eq(w.id, o.webhookId))
      .where(and(eq(o.status, 'pending'), lte(o.nextAttemptAt, now), or(isNull(o.lockedUntil), lte(o.lockedUntil, now)), eq(w.enabled, true)))
      .orderBy(asc(o.nextAttemptAt), asc(o.id))
      .limit(options.limit)
      .for('update', { of: o, skipLocked: true });
    if (due.length === 0) return [];
    const ids = due.map((d) => d.id);
    await tx.update(o).set({ lockedUntil: new Date(now.getTime() + options.leaseMs) }).where(inArray(o.id, ids));
    return tx
      .select({ id: o.id, messageId: o.messageId, webhookId: o.webhookId, eventType: o.eventType, body: o.body, createdAt: o.createdAt, attempts: o.attempts, url: w.url, format: w.format, sealedSecret: w.secret })
      .from(o)
      .innerJoin(w, eq(w.id, o.webhookId))
      .where(inArray(o.id, ids))
      .orderBy(asc(o.nextAttemptAt), asc(o.id));
  });
}

/** `failed`: a test message's one attempt failed (stored as gave_up: tests are not retried). */
export type AttemptVerdict = 'delivered' | 'retry' | 'gave_up' | 'failed';

/**
 * Record one attempt and schedule the next (or mark delivered / given up), in one
 * transaction. A test message gets one attempt: a failure ends it (status gave_up, the
 * reason in last_error), as the person who pressed "Send test" wants to know now, not to
 * have the server knock on that address for a day.
 */
export async function recordAttempt(db: Db, message: ClaimedMessage, result: AttemptResult, startedAt: Date, policy: RetryPolicy, now: Date): Promise<AttemptVerdict> {
  return db.transaction(async (tx) => {
    await tx.insert(a).values({ outboxId: message.id, startedAt, durationMs: result.durationMs, httpStatus: result.httpStatus, ok: result.ok, responseSnippet: result.responseSnippet, error: result.error });
    const attempts = message.attempts + 1;
    if (result.ok) {
      await tx.update(o).set({ status: 'delivered', deliveredAt: now, attempts, lockedUntil: null, lastError: null }).where(eq(o.id, message.id));
      return 'delivered';
    }
    const lastError = result.error ?? `HTTP ${result.httpStatus}`;
    if (message.eventType === TEST_EVENT) {
      await tx.update(o).set({ status: 'gave_up', attempts, lockedUntil: null, lastError }).where(eq(o.id, message.id));
      return 'failed';
    }
    // A receiver that refused the message itself (PagerDuty's 400 "invalid event") would
    // refuse it for the next 25 hours too.
    const next = result.permanent ? null : nextAttemptAt(message.createdAt, attempts, now, policy);
    if (next === null) {
      await tx.update(o).set({ status: 'gave_up', attempts, lockedUntil: null, lastError: result.permanent ? `${lastError} (refused by the receiver: not retried)` : lastError }).where(eq(o.id, message.id));
      return 'gave_up';
    }
    await tx.update(o).set({ attempts, nextAttemptAt: next, lockedUntil: null, lastError }).where(eq(o.id, message.id));
    return 'retry';
  });
}

/**
 * Give up a claimed message without an attempt, saying why (a re-send whose alert stopped
 * firing while it waited: db/queries/alerts-resend.ts). Nothing is sent.
 */
export async function supersedeMessage(db: Executor, id: number, reason: string): Promise<void> {
  await db.update(o).set({ status: 'gave_up', lockedUntil: null, lastError: reason }).where(and(eq(o.id, id), eq(o.status, 'pending')));
}

/** Queue a test message for an endpoint, due now (one attempt, no retry). Null when there is no such endpoint. */
export async function enqueueTestMessage(db: Executor, webhookId: number, now: Date, dashboardUrl: string): Promise<{ id: number; messageId: string } | null> {
  const [endpoint] = await db.select({ name: w.name, format: w.format }).from(w).where(eq(w.id, webhookId));
  if (!endpoint) return null;
  const messageId = generateMessageId();
  const [row] = await db
    .insert(o)
    .values({ messageId, webhookId, transitionId: null, eventType: TEST_EVENT, body: testBody(endpoint.format, endpoint.name, now, dashboardUrl), createdAt: now, nextAttemptAt: now })
    .returning({ id: o.id });
  return { id: row!.id, messageId };
}

/** Forget delivered and given-up messages (with their attempts) queued before `before`. Pending ones stay. */
export async function pruneDeliveries(db: Executor, before: Date): Promise<number> {
  return (await db.delete(o).where(and(ne(o.status, 'pending'), lt(o.createdAt, before))).returning({ id: o.id })).length;
}

/** Messages waiting for delivery (pending, including those between retries). */
export async function outboxDepth(db: Executor): Promise<number> {
  const [row] = await db.select({ n: count() }).from(o).where(eq(o.status, 'pending'));
  return row?.n ?? 0;
}
/**
 * The newest messages (of one endpoint, or all), each with its attempts, newest first.
 * Re-sends (RESEND_EVENT, one per Alertmanager endpoint per firing alert per minute) are
 * left out unless `includeResends`: they would push the firings and resolves off the list.
 */
export async function recentDeliveries(db: Executor, options: { webhookId?: number; limit?: number; attemptsPerMessage?: number; includeResends?: boolean } = {}): Promise<Delivery[]> {
  const rows = await db
    .select()
    .from(o)
    .where(and(options.webhookId === undefined ? undefined : eq(o.webhookId, options.webhookId), options.includeResends ? undefined : ne(o.eventType, RESEND_EVENT)))
    .orderBy(desc(o.createdAt), desc(o.id))
    .limit(options.limit ?? 50);
  if (rows.length === 0) return [];
  const attempts = await db
    .select()
    .from(a)
    .where(inArray(a.outboxId, rows.map((r) => r.id)))
    .orderBy(desc(a.startedAt), desc(a.id));
  const perMessage = options.attemptsPerMessage ?? 20;
  const byMessage = new Map<number, DeliveryAttempt[]>();
  for (const t of attempts) {
    const list = byMessage.get(t.outboxId) ?? [];
    if (list.length < perMessage) list.push({ startedAt: t.startedAt.toISOString(), durationMs: t.durationMs, httpStatus: t.httpStatus, ok: t.ok, responseSnippet: t.responseSnippet, error: t.error });
    byMessage.set(t.outboxId, list);
  }
  return rows.map((r) => ({
    id: r.id,
    messageId: r.messageId,
    webhookId: r.webhookId,
    eventType: r.eventType,
    body: r.body,
    status: r.status,
    createdAt: r.createdAt.toISOString(),
    attempts: r.attempts,
    nextAttemptAt: r.status === 'pending' ? r.nextAttemptAt.toISOString() : null,
    deliveredAt: r.deliveredAt?.toISOString() ?? null,
    lastError: r.lastError,
    history: byMessage.get(r.id) ?? [],
  }));
}
