/** Reading canary sessions back, reshaped for the API (dates as ISO strings). */
import { eq } from 'drizzle-orm';
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
  if (!row) return null;
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
