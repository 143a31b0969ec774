/** Reading canary sessions back, reshaped for the API (dates as ISO strings). */
import { and, desc, eq, gte, isNotNull, lt, ne, sql, type SQL } from 'drizzle-orm';
import type { SessionListQuery } from '../../lib/contracts/session-query';
import type { DashboardScope } from '../../lib/dashboard/scope';
import { formatCursor, parseCursor, type BarKind, type BarMeasure, type BinSession, type BinSessionsAnswer } from '../../lib/drops/bin-sessions';
import type { Db, Executor } from '../client';
import { canarySessions, probes, targetSessionViews } from '../schema';
import { AGE, IDLE } from './drop-values';
import { sessionFilters } from './scope';

export type SessionView = Omit<typeof canarySessions.$inferSelect, 'openedAt' | 'endedAt' | 'attemptedAt' | 'updatedAt'> & {
  probeName: string;
  attemptedAt: string;
  openedAt: string | null;
  endedAt: string | null;
  updatedAt: string;
  /** Opened and not ended yet. */
  live: boolean;
  /** The canary target's own record of this session's end, when it reported one. */
  targetView: (Omit<typeof targetSessionViews.$inferSelect, 'openedAt' | 'endedAt' | 'receivedAt'> & { openedAt: string; endedAt: string }) | null;
};

export async function getSession(db: Executor, id: string): Promise<SessionView | null> {
  const [row] = await db
    .select({ session: canarySessions, probeName: probes.name, view: targetSessionViews })
    .from(canarySessions)
    .innerJoin(probes, eq(probes.id, canarySessions.probeId))
    .leftJoin(targetSessionViews, eq(targetSessionViews.sessionId, canarySessions.id))
    .where(eq(canarySessions.id, id));
  return row ? toView(row) : null;
}

/** Sessions matching the filters, newest attempt first. */
export async function listSessions(db: Executor, q: SessionListQuery): Promise<SessionView[]> {
  const where: (SQL | undefined)[] = [
    q.probe ? eq(probes.name, q.probe) : undefined,
    q.target ? eq(canarySessions.targetName, q.target) : undefined,
    q.proxy ? eq(canarySessions.proxyName, q.proxy) : undefined,
    q.profile ? eq(canarySessions.profile, q.profile) : undefined,
    q.outcome ? eq(canarySessions.outcome, q.outcome) : undefined,
    q.endKind ? eq(canarySessions.endKind, q.endKind) : undefined,
    q.from ? gte(canarySessions.attemptedAt, new Date(q.from)) : undefined,
    q.to ? lt(canarySessions.attemptedAt, new Date(q.to)) : undefined,
  ];
  const rows = await db
    .select({ session: canarySessions, probeName: probes.name, view: targetSessionViews })
    .from(canarySessions)
    .innerJoin(probes, eq(probes.id, canarySessions.probeId))
    .leftJoin(targetSessionViews, eq(targetSessionViews.sessionId, canarySessions.id))
    .where(and(...where))
    .orderBy(desc(canarySessions.attemptedAt), desc(canarySessions.id))
    .limit(q.limit);
  return rows.map(toView);
}

function toView(row: { session: typeof canarySessions.$inferSelect; probeName: string; view: typeof targetSessionViews.$inferSelect | null }): SessionView {
  const s = row.session;
  return {
    ...s,
    probeName: row.probeName,
    attemptedAt: s.attemptedAt.toISOString(),
    openedAt: s.openedAt?.toISOString() ?? null,
    endedAt: s.endedAt?.toISOString() ?? null,
    updatedAt: s.updatedAt.toISOString(),
    live: s.outcome === 'opened' && s.endedAt === null,
    targetView: row.view
      ? (({ receivedAt: _r, ...v }) => ({ ...v, openedAt: v.openedAt.toISOString(), endedAt: v.endedAt.toISOString() }))(row.view)
      : null,
  };
}

export interface BinSessionsParams {
  measure: BarMeasure;
  kind: BarKind;
  minMs: number;
  /** Null: no upper end (an overflow bar). */
  maxMs: number | null;
  cursor?: string;
  limit: number;
}

/** The value a bar measures, as the histograms compute it. */
function measureOf(measure: BarMeasure): SQL {
  if (measure === 'age') return AGE;
  if (measure === 'idle') return IDLE;
  return sql`${canarySessions.durationMs}`;
}

/**
 * The sessions of one histogram bar (lib/drops/bin-sessions.ts): ended in [scope.from,
 * scope.to) with the scope's filters, the measure in [minMs, maxMs), drops only when `kind`
 * is `drops` (ended, not closed by the probe, as db/queries/drop-values.ts dropFilter).
 * Newest end first, a page after the cursor, with the count of the whole bar; read in one
 * snapshot so the count and the page agree. Throws RangeError for a malformed cursor.
 */
export async function listBinSessions(db: Db, scope: DashboardScope, p: BinSessionsParams): Promise<Omit<BinSessionsAnswer, 'scope'>> {
  const s = canarySessions;
  const value = measureOf(p.measure);
  const inBar = and(
    gte(s.endedAt, scope.from),
    lt(s.endedAt, scope.to),
    isNotNull(s.endKind),
    p.kind === 'drops' ? ne(s.endKind, 'probe_closed') : undefined,
    ...sessionFilters(scope),
    sql`${value} >= ${p.minMs}::float8`,
    p.maxMs === null ? undefined : sql`${value} < ${p.maxMs}::float8`,
  )!;
  const cursor = p.cursor === undefined ? null : parseCursor(p.cursor);
  if (p.cursor !== undefined && !cursor) throw new RangeError(`cursor: malformed ${JSON.stringify(p.cursor)}`);
  // Exact to the microsecond: ended_at is, and a page boundary between two ends of one
  // millisecond must neither skip nor repeat a row.
  const micros = sql<string>`(extract(epoch from ${s.endedAt}) * 1000000)::bigint::text`;
  const after = cursor
    ? sql`(${s.endedAt}, ${s.id}) < (timestamptz 'epoch' + ${cursor.endedAtMicros}::bigint * interval '1 microsecond', ${cursor.id})`
    : undefined;
  return db.transaction(
    async (tx) => {
      const [n] = await tx.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(s).where(inBar);
      const rows = await tx
        .select({
          sessionId: s.id,
          probe: probes.name,
          target: s.targetName,
          proxy: s.proxyName,
          profile: s.profile,
          attemptedAt: s.attemptedAt,
          endedAt: s.endedAt,
          endedAtMicros: micros,
          durationMs: s.durationMs,
          valueMs: sql<number | null>`${value}`.mapWith((v) => (v === null ? null : Number(v))),
          endKind: s.endKind,
          closeCode: s.closeCode,
          closeReason: s.closeReason,
        })
        .from(s)
        .innerJoin(probes, eq(probes.id, s.probeId))
        .where(and(inBar, after))
        .orderBy(desc(s.endedAt), desc(s.id))
        .limit(p.limit + 1);
      const page = rows.slice(0, p.limit);
      const last = page.at(-1);
      const sessions: BinSession[] = page.map(({ endedAtMicros: _m, ...r }) => ({
        ...r,
        attemptedAt: r.attemptedAt.toISOString(),
        endedAt: r.endedAt!.toISOString(),
        endKind: r.endKind!,
      }));
      return {
        measure: p.measure,
        kind: p.kind,
        minDurationMs: p.minMs,
        maxDurationMs: p.maxMs,
        total: n?.n ?? 0,
        sessions,
        nextCursor: rows.length > p.limit && last ? formatCursor({ endedAtMicros: String(last.endedAtMicros), id: last.sessionId }) : null,
      };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}
