/**
 * The audit log: every write through the API, the CLI or a page, with who did it and the
 * subject before and after. Callers pass the subject as they would show it, secrets left
 * out (a webhook's secret, a token's hash are never part of a record).
 */
import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import { actorOf, type Principal } from '../../lib/auth/roles';
import type { Executor } from '../client';
import { auditLog } from '../schema';

export interface AuditEntry {
  action: string;
  subjectKind: string;
  subjectId: string | number | null;
  before?: unknown;
  after?: unknown;
}

export interface AuditRecord {
  id: number;
  at: Date;
  actorKind: string;
  actorId: string | null;
  actorName: string;
  action: string;
  subjectKind: string;
  subjectId: string | null;
  before: unknown;
  after: unknown;
}

/** Columns whose values never enter the log, whatever the caller passes. */
const SECRET_KEYS = new Set(['secret', 'tokenHash', 'token_hash', 'password', 'token']);

function redact(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (Array.isArray(value)) return value.map(redact);
  if (value instanceof Date) return value.toISOString();
  if (typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).filter(([k]) => !SECRET_KEYS.has(k)).map(([k, v]) => [k, redact(v)]));
}

/** Record one write; call it in the write's own transaction so both land or neither. */
export async function recordAudit(db: Executor, principal: Principal, entry: AuditEntry, now: Date = new Date()): Promise<void> {
  await db.insert(auditLog).values({
    ...actorOf(principal),
    at: now,
    action: entry.action,
    subjectKind: entry.subjectKind,
    subjectId: entry.subjectId === null ? null : String(entry.subjectId),
    before: redact(entry.before),
    after: redact(entry.after),
  });
}

/** Newest first; `before` pages back by id. */
export async function listAudit(db: Executor, options: { limit: number; beforeId?: number; subjectKind?: string }): Promise<AuditRecord[]> {
  const where: SQL[] = [];
  if (options.beforeId !== undefined) where.push(lt(auditLog.id, options.beforeId));
  if (options.subjectKind) where.push(eq(auditLog.subjectKind, options.subjectKind));
  return db
    .select()
    .from(auditLog)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(auditLog.id))
    .limit(options.limit);
}
