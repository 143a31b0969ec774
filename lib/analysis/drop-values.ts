/**
 * The two values every drop histogram and the analysis read from an ending, defined once
 * for the code that holds sessions in memory (the lab suite, the scorecard, the tests'
 * oracles). db/queries/drop-values.ts computes the same in SQL (AGE, IDLE);
 * test/db/ending-bins.test.ts holds the endings aggregate equal to these.
 */
import type { EndKind } from '../contracts/ingest';

export interface EndingFacts {
  endKind: EndKind;
  durationMs: number | null;
  sinceLastRecvMs: number | null;
  sinceLastSentMs: number | null;
}

/**
 * Age at the end. A silent death (pong_timeout) is dated by the last byte received: its
 * age is unknown (null) when no byte at all arrived after the 101, because the session's
 * "last byte" is then the 101 itself (a heartbeat canary whose endpoint never pongs, a
 * ladder rung that never got its answer): dating it at 0 made phantom "0.0 s" signatures.
 */
export function dropAge(e: EndingFacts): number | null {
  if (e.durationMs === null) return null;
  if (e.endKind !== 'pong_timeout') return e.durationMs;
  if (e.sinceLastRecvMs !== null && e.sinceLastRecvMs >= e.durationMs) return null;
  return e.durationMs - (e.sinceLastRecvMs ?? 0);
}

/** Silence both ways before the end; unknown (null) for silent deaths. As SQL's least(), a null side is skipped. */
export function dropIdle(e: EndingFacts): number | null {
  if (e.endKind === 'pong_timeout') return null;
  const { sinceLastRecvMs: r, sinceLastSentMs: s } = e;
  if (r === null) return s;
  if (s === null) return r;
  return Math.min(r, s);
}
