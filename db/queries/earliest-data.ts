/**
 * The oldest stored session's attempt, for the default range of a fresh install
 * (lib/dashboard/scope.ts fittedRange): while all data is younger than the default 24 h,
 * a URL without a range shows the smallest preset that covers it.
 *
 * Cheap: `min(attempted_at)` reads one end of canary_sessions_attempted_at_idx. And once the
 * oldest session is older than the default range it can only get older (retention keeps
 * days, not hours), so the process stops asking: the answer is remembered on globalThis
 * (route bundles and server components are bundled apart, see db/client.ts) and every
 * later call costs nothing.
 */
import { min } from 'drizzle-orm';
import { parseWindow } from '../../lib/overview/overview';
import { DEFAULT_RANGE } from '../../lib/dashboard/scope';
import type { Executor } from '../client';
import { canarySessions } from '../schema';

const SETTLED = Symbol.for('dropscope.earliest-data-settled');
type Holder = { [SETTLED]?: Date };

/** The oldest session's attempt instant; null when no session was ever stored. */
export async function earliestSession(db: Executor): Promise<Date | null> {
  const [row] = await db.select({ at: min(canarySessions.attemptedAt) }).from(canarySessions);
  const at = row?.at;
  if (at === null || at === undefined) return null;
  return at instanceof Date ? at : new Date(at);
}

/**
 * {@link earliestSession} for a scope's hints at `now`: asked of the database until the
 * answer is older than the default range, then the remembered instant. `memo` is for tests.
 */
export async function earliestDataHint(db: Executor, now: Date, memo: Holder = globalThis as Holder): Promise<Date | null> {
  const settled = memo[SETTLED];
  if (settled) return settled;
  const at = await earliestSession(db);
  if (at && now.getTime() - at.getTime() >= parseWindow(DEFAULT_RANGE)!) memo[SETTLED] = at;
  return at;
}
