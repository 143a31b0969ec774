/** What a drop is, and the two values every drop histogram and the analysis read from it. */
import { and, gte, isNotNull, lt, ne, sql, type SQL } from 'drizzle-orm';
import { APPLICATION_CODE_RANGES } from '../../lib/analysis/close-codes';
import type { DashboardScope } from '../../lib/dashboard/scope';
import { canarySessions as s } from '../schema';
import { sessionFilters, within } from './scope';

/** Drops in the scope: ended in [from, to), not closed by the probe, filters applied. */
export function dropFilter(scope: DashboardScope): SQL {
  return and(gte(s.endedAt, scope.from), lt(s.endedAt, scope.to), isNotNull(s.endKind), ne(s.endKind, 'probe_closed'), ...sessionFilters(scope))!;
}

/** The scope's drops that ended in any of `intervals` (parts of its range). */
export function dropFilterIn(scope: DashboardScope, intervals: readonly { from: Date; to: Date }[]): SQL {
  return and(within(s.endedAt, intervals), isNotNull(s.endKind), ne(s.endKind, 'probe_closed'), ...sessionFilters(scope))!;
}

/**
 * Age at the end: for a silent death, dated by the last byte received (STACK-NOTES), and
 * unknown (null) when nothing arrived after the 101. lib/analysis/drop-values.ts `dropAge`.
 */
export const AGE = sql<number | null>`(case when ${s.endKind} <> 'pong_timeout' then ${s.durationMs} when ${s.sinceLastRecvMs} >= ${s.durationMs} then null else ${s.durationMs} - coalesce(${s.sinceLastRecvMs}, 0) end)`;
/** Silence both ways before the end; unknown (null) for silent deaths. lib/analysis/drop-values.ts `dropIdle`. */
export const IDLE = sql<number | null>`(case when ${s.endKind} = 'pong_timeout' then null else least(${s.sinceLastRecvMs}, ${s.sinceLastSentMs}) end)`;

/**
 * Closed by its endpoint with an application code (lib/analysis/close-codes.ts): the
 * endpoint decided, which says nothing about the path's timeouts.
 */
export const CLOSED_BY_ENDPOINT = sql<boolean>`(${s.endKind} = 'close_frame' and (${sql.join(
  APPLICATION_CODE_RANGES.map(([lo, hi]) => sql`${s.closeCode} between ${sql.raw(String(lo))} and ${sql.raw(String(hi))}`),
  sql` or `,
)}))`;
