/** Reading canary sessions back, reshaped for the API (dates as ISO strings). */
import { eq } from 'drizzle-orm';
import type { Executor } from '../client';
import { canarySessions, probes } from '../schema';

export type SessionView = Omit<typeof canarySessions.$inferSelect, 'openedAt' | 'endedAt' | 'attemptedAt' | 'updatedAt'> & {
  probeName: string;
  attemptedAt: string;
  openedAt: string | null;
  endedAt: string | null;
  updatedAt: string;
  /** Opened and not ended yet. */
  live: boolean;
};

export async function getSession(db: Executor, id: string): Promise<SessionView | null> {
  const [row] = await db
    .select({ session: canarySessions, probeName: probes.name })
    .from(canarySessions)
    .innerJoin(probes, eq(probes.id, canarySessions.probeId))
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
  };
}
