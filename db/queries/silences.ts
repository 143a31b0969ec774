/**
 * Silences in the database (lib/alerts/silence.ts): create, list by state, end early, and
 * the ones in force for an evaluation. Each write is in the audit log in its own
 * transaction. A silence is never deleted: ending it early sets `ends_at` to that moment,
 * so the history of who muted what stays readable and transitions keep their reference.
 */
import { and, asc, desc, eq, gt, lte, type SQL } from 'drizzle-orm';
import { silenceState, type SilenceSpec, type SilenceState, type SilenceView } from '../../lib/alerts/silence';
import { actorOf, type Principal } from '../../lib/auth/roles';
import type { Db, Executor } from '../client';
import { alertStates, silences } from '../schema';
import { recordAudit } from './audit';

export type SilenceRow = typeof silences.$inferSelect;

export class SilenceError extends Error {
  constructor(
    readonly code: 'SILENCE_ERR_NOT_FOUND' | 'SILENCE_ERR_ENDED',
    message: string,
  ) {
    super(message);
    this.name = 'SilenceError';
  }
}

/** The most silences one list answers with: a list, not an export of years. */
export const SILENCE_LIST_LIMIT = 500;

export function silenceView(row: SilenceRow, now: Date): SilenceView {
  return {
    id: row.id,
    matchers: row.matchers,
    startsAt: row.startsAt.toISOString(),
    endsAt: row.endsAt.toISOString(),
    comment: row.comment,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    endedBy: row.endedBy,
    state: silenceState(row, now),
  };
}

/** Create a silence as `actor` (its name is the silence's `createdBy`). */
export async function createSilence(db: Db, spec: SilenceSpec, actor: Principal, now: Date): Promise<SilenceView> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(silences)
      .values({ matchers: spec.matchers, startsAt: spec.startsAt, endsAt: spec.endsAt, comment: spec.comment, createdBy: actorOf(actor).actorName, createdAt: now })
      .returning();
    const view = silenceView(row!, now);
    await recordAudit(tx, actor, { action: 'silence.create', subjectKind: 'silence', subjectId: row!.id, after: view }, now);
    return view;
  });
}

function stateFilter(state: SilenceState | 'all', now: Date): SQL | undefined {
  switch (state) {
    case 'active':
      return and(lte(silences.startsAt, now), gt(silences.endsAt, now));
    case 'pending':
      return gt(silences.startsAt, now);
    case 'expired':
      return lte(silences.endsAt, now);
    case 'all':
      return undefined;
  }
}

/**
 * Silences in `state` at `now`: those in force and planned first (soonest end first),
 * then the expired ones, latest end first.
 */
export async function listSilences(db: Executor, options: { state: SilenceState | 'all'; now: Date; limit?: number }): Promise<SilenceView[]> {
  const { now } = options;
  const limit = Math.min(options.limit ?? SILENCE_LIST_LIMIT, SILENCE_LIST_LIMIT);
  const where = stateFilter(options.state, now);
  // Not over yet first, by end; then the expired, newest end first.
  const live = options.state === 'expired' ? [] : await db.select().from(silences).where(and(where, gt(silences.endsAt, now))).orderBy(asc(silences.endsAt), asc(silences.id)).limit(limit);
  const over = options.state === 'active' || options.state === 'pending' || live.length >= limit ? [] : await db.select().from(silences).where(and(where, lte(silences.endsAt, now))).orderBy(desc(silences.endsAt), desc(silences.id)).limit(limit - live.length);
  return [...live, ...over].map((r) => silenceView(r, now));
}

export async function getSilence(db: Executor, id: number, now: Date): Promise<SilenceView | null> {
  const [row] = await db.select().from(silences).where(eq(silences.id, id));
  return row ? silenceView(row, now) : null;
}

/** The silences in force at `now`, for one evaluation (matched in lib/alerts/silence.ts). */
export async function activeSilences(db: Executor, now: Date): Promise<SilenceRow[]> {
  return db.select().from(silences).where(and(lte(silences.startsAt, now), gt(silences.endsAt, now))).orderBy(asc(silences.id));
}

/**
 * End a silence now, as `actor`. A planned one that never began ends before it starts:
 * both its start and end become now, so it never takes effect. The alerts it held are
 * shown unsilenced at once, and get their firing delivered at the next evaluation. Throws SILENCE_ERR_NOT_FOUND, or
 * SILENCE_ERR_ENDED when it is already over.
 */
export async function endSilence(db: Db, id: number, actor: Principal, now: Date): Promise<SilenceView> {
  return db.transaction(async (tx) => {
    const [row] = await tx.select().from(silences).where(eq(silences.id, id)).for('update');
    if (!row) throw new SilenceError('SILENCE_ERR_NOT_FOUND', `no silence with id ${id}`);
    if (row.endsAt.getTime() <= now.getTime()) throw new SilenceError('SILENCE_ERR_ENDED', `silence ${id} is already over (it ended at ${row.endsAt.toISOString()})`);
    const before = silenceView(row, now);
    const startsAt = row.startsAt.getTime() > now.getTime() ? now : row.startsAt;
    const [ended] = await tx.update(silences).set({ startsAt, endsAt: now, endedBy: actorOf(actor).actorName }).where(eq(silences.id, id)).returning();
    // Its alerts stop being shown silenced now, not at their next evaluation (which sets
    // silenced_by again if another silence still holds them).
    await tx.update(alertStates).set({ silencedBy: null }).where(eq(alertStates.silencedBy, id));
    const after = silenceView(ended!, now);
    await recordAudit(tx, actor, { action: 'silence.end', subjectKind: 'silence', subjectId: id, before, after }, now);
    return after;
  });
}
