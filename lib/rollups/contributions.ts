/**
 * What one session row adds to the rollups (db/schema.ts: attempt_rollup, end_rollup).
 *
 * A session row changes as its events arrive (an end can even come before its open), so
 * ingest does not add "events" to the rollups: it subtracts what the row contributed
 * before the batch and adds what it contributes after. Whatever order and batching the
 * events came in, the rollups then equal a GROUP BY over the rows (the backfill migration,
 * db/migrations/0004_rollups_backfill.sql, is that GROUP BY; a test holds them equal).
 */
import type { EndKind, Outcome } from '../contracts/ingest';

/** The columns of a session row that the rollups key on. */
export interface SessionFacts {
  probeId: number;
  targetName: string;
  proxyName: string;
  profile: string;
  attemptedAt: Date;
  outcome: Outcome | null;
  httpStatus: number | null;
  errorCode: string | null;
  proxyReply: string | null;
  endedAt: Date | null;
  endKind: EndKind | null;
  closeCode: number | null;
}

export interface AttemptRollupDelta {
  bucket: Date;
  probeId: number;
  targetName: string;
  proxyName: string;
  profile: string;
  outcome: Outcome;
  httpStatus: number;
  errorCode: string;
  proxyReply: string;
  attempts: number;
}

export interface EndRollupDelta {
  bucket: Date;
  probeId: number;
  targetName: string;
  proxyName: string;
  profile: string;
  endKind: EndKind;
  closeCode: number;
  sessions: number;
}

/**
 * The rollups' time resolution. A quarter of an hour: the handshake chart's bucket for a
 * day, and a whole fraction of every coarser bucket (1 h, 6 h, 1 d), while a week still
 * compresses to 672 rows per path and outcome.
 */
export const ROLLUP_BUCKET_MS = 15 * 60_000;
/** Proxy replies are free text from the proxy; long ones are cut so the key stays small. */
export const PROXY_REPLY_KEY_CHARS = 200;

export function rollupBucketOf(d: Date): Date {
  return new Date(Math.floor(d.getTime() / ROLLUP_BUCKET_MS) * ROLLUP_BUCKET_MS);
}

function attemptKey(f: SessionFacts): AttemptRollupDelta | null {
  if (f.outcome === null) return null;
  return {
    bucket: rollupBucketOf(f.attemptedAt),
    probeId: f.probeId,
    targetName: f.targetName,
    proxyName: f.proxyName,
    profile: f.profile,
    outcome: f.outcome,
    httpStatus: f.httpStatus ?? 0,
    // An opened session's error code describes its end, not its handshake.
    errorCode: f.outcome === 'opened' ? '' : (f.errorCode ?? ''),
    proxyReply: (f.proxyReply ?? '').slice(0, PROXY_REPLY_KEY_CHARS),
    attempts: 1,
  };
}

function endKey(f: SessionFacts): EndRollupDelta | null {
  if (f.endKind === null || f.endedAt === null) return null;
  return {
    bucket: rollupBucketOf(f.endedAt),
    probeId: f.probeId,
    targetName: f.targetName,
    proxyName: f.proxyName,
    profile: f.profile,
    endKind: f.endKind,
    closeCode: f.closeCode ?? 0,
    sessions: 1,
  };
}

/**
 * The rollup changes for rows that went from `before` (absent for a new row) to `after`,
 * summed per key, zero sums left out. `before` and `after` are matched by session id.
 */
export function rollupDeltas(before: ReadonlyMap<string, SessionFacts>, after: ReadonlyMap<string, SessionFacts>): { attempts: AttemptRollupDelta[]; ends: EndRollupDelta[] } {
  const attempts = new Map<string, AttemptRollupDelta>();
  const ends = new Map<string, EndRollupDelta>();
  const add = <T extends { bucket: Date }>(into: Map<string, T>, row: T | null, sign: 1 | -1, field: keyof T & ('attempts' | 'sessions')) => {
    if (!row) return;
    const { [field]: _count, ...key } = row;
    const k = JSON.stringify(key);
    const cur = into.get(k);
    if (cur) (cur[field] as number) += sign;
    else into.set(k, { ...row, [field]: sign });
  };
  for (const [id, a] of after) {
    const b = before.get(id);
    if (b) {
      add(attempts, attemptKey(b), -1, 'attempts');
      add(ends, endKey(b), -1, 'sessions');
    }
    add(attempts, attemptKey(a), 1, 'attempts');
    add(ends, endKey(a), 1, 'sessions');
  }
  return { attempts: [...attempts.values()].filter((r) => r.attempts !== 0), ends: [...ends.values()].filter((r) => r.sessions !== 0) };
}
