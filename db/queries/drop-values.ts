/** The two values every drop histogram and the analysis read from a session row. */
import { sql } from 'drizzle-orm';
import { canarySessions as s } from '../schema';

/** Age at the end: for a silent death, dated by the last byte received (STACK-NOTES). */
export const AGE = sql<number>`(case when ${s.endKind} = 'pong_timeout' then ${s.durationMs} - coalesce(${s.sinceLastRecvMs}, 0) else ${s.durationMs} end)`;
/** Silence both ways before the end; unknown (null) for silent deaths. */
export const IDLE = sql<number | null>`(case when ${s.endKind} = 'pong_timeout' then null else least(${s.sinceLastRecvMs}, ${s.sinceLastSentMs}) end)`;
