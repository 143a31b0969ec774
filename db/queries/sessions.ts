/** Reading canary sessions back, reshaped for the API (dates as ISO strings). */
import { and, desc, eq, gte, lt, type SQL } from 'drizzle-orm';
import type { SessionListQuery } from '../../lib/contracts/session-query';
import type { Executor } from '../client';
import { canarySessions, probes, targetSessionViews } from '../schema';

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
