/**
 * The numbers on the first page, computed in SQL for a given `now` (never the clock).
 *
 * All queries run in one read-only REPEATABLE READ transaction, so the tiles, the histogram
 * and the feed describe the same snapshot even while a probe's batch is being stored. The
 * two reads over all of the window (the attempts and the duration histogram) take its whole
 * hours from attempt_rollup and duration_bins and only the rest from the rows.
 */
import { and, count, desc, eq, gt, isNotNull, isNull, lte, ne, sql, type SQL } from 'drizzle-orm';
import { HOUR_MS, type Overview } from '../../lib/overview/overview';
import type { FeedItem } from '../../lib/realtime/feed';
import { ROLLUP_BUCKET_MS } from '../../lib/rollups/contributions';
import { splitWindow, type WindowPiece } from '../../lib/rollups/window-split';
import type { Db, Executor } from '../client';
import { rttQuantile } from '../../lib/rtt/buckets';
import { attemptRollup as ar, canarySessions as s, probes, rttMinutes } from '../schema';
import { durationHistogram } from './duration-bins';
import { probeSilentSql } from './probe-silence';
import { rowsOf, within } from './scope';

export interface OverviewOptions {
  /** The instant the overview describes; windows end here. */
  now: Date;
  /** Attempts, the upgrade ratio and the histogram cover (now - windowMs, now]. */
  windowMs: number;
  /** How many recent events to list; 50 unless told. */
  recentLimit?: number;
}

/** Compute the overview. Throws RangeError for a window or limit that is not a positive integer. */
export async function overview(db: Db, options: OverviewOptions): Promise<Overview> {
  const { now, windowMs } = options;
  const recentLimit = options.recentLimit ?? 50;
  if (!Number.isSafeInteger(windowMs) || windowMs <= 0) throw new RangeError(`windowMs must be a positive integer, got ${windowMs}`);
  if (!Number.isSafeInteger(recentLimit) || recentLimit <= 0) throw new RangeError(`recentLimit must be a positive integer, got ${recentLimit}`);
  const windowStart = new Date(now.getTime() - windowMs);
  const hourStart = new Date(now.getTime() - HOUR_MS);

  return db.transaction(
    async (tx) => {
      const [probeCount] = await tx.select({ n: count() }).from(probes).where(isNull(probes.revokedAt));
      const anySession = await tx.select({ id: s.id }).from(s).limit(1);

      // Matches the partial index canary_sessions_live_idx. A canary of a probe silent for
      // three heartbeats is not known to be live (issue 19, db/queries/probe-silence.ts).
      const [live] = await tx
        .select({ n: count() })
        .from(s)
        .where(and(eq(s.outcome, 'opened'), isNull(s.endedAt), lte(s.openedAt, now), sql`not ${probeSilentSql(now)}`));

      // A session closed by its own probe (shutdown, planned rotation) is not a drop.
      const [drops] = await tx
        .select({ n: count() })
        .from(s)
        .where(and(gt(s.endedAt, hourStart), lte(s.endedAt, now), isNotNull(s.endKind), ne(s.endKind, 'probe_closed')));

      const [silent] = await tx
        .select({ n: count() })
        .from(s)
        .where(and(gt(s.endedAt, hourStart), lte(s.endedAt, now), eq(s.endKind, 'pong_timeout')));

      const medianRttMs = await hourlyMedianRtt(tx, hourStart, now);

      const attempts = await attemptCounts(tx, windowStart, now);
      const histogram = await durationHistogram(tx, windowStart, now);
      const recentEvents = await recentFeed(tx, now, recentLimit);

      const attemptCount = attempts.attempts;
      const upgrades101 = attempts.upgrades;
      return {
        at: now.toISOString(),
        windowMs,
        probes: probeCount?.n ?? 0,
        hasSessions: anySession.length > 0,
        liveCanaries: live?.n ?? 0,
        dropsLastHour: drops?.n ?? 0,
        silentDeathsLastHour: silent?.n ?? 0,
        medianRttMs,
        attempts: attemptCount,
        upgrades101,
        upgradeSuccessRatio: attemptCount === 0 ? null : upgrades101 / attemptCount,
        histogram,
        recentEvents,
      };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}

/** The median RTT of the hour: the minute rollups' buckets summed in SQL, read back in JS. */
async function hourlyMedianRtt(tx: Executor, from: Date, now: Date): Promise<number | null> {
  const [row] = await tx
    .select({
      buckets: sql<number[] | null>`(select array_agg(total order by i) from (select i, sum(b)::int as total from ${rttMinutes}, unnest(${rttMinutes.buckets}) with ordinality as u(b, i) where ${rttMinutes.minute} > ${from.toISOString()}::timestamptz and ${rttMinutes.minute} <= ${now.toISOString()}::timestamptz group by i) t)`,
      maxMs: sql<number | null>`(select max(${rttMinutes.maxMs}) from ${rttMinutes} where ${rttMinutes.minute} > ${from.toISOString()}::timestamptz and ${rttMinutes.minute} <= ${now.toISOString()}::timestamptz)`,
    })
    .from(sql`(select 1) as one`);
  if (!row?.buckets || row.maxMs === null) return null;
  return rttQuantile(row.buckets.map(Number), 0.5, Number(row.maxMs));
}

/**
 * Attempts in (windowStart, now] with a known outcome, and those answered 101: whole
 * quarter-hours from attempt_rollup (kept at ingest in the batch's transaction, so never
 * stale), the partial ones at the window's ends from the rows (lib/rollups/window-split.ts).
 */
async function attemptCounts(tx: Executor, windowStart: Date, now: Date): Promise<{ attempts: number; upgrades: number }> {
  const split = splitWindow(windowStart, now, ROLLUP_BUCKET_MS, []);
  const piece = (p: WindowPiece) =>
    sql`(${s.attemptedAt} ${sql.raw(p.fromOpen ? '>' : '>=')} ${p.from.toISOString()}::timestamptz and ${s.attemptedAt} ${sql.raw(p.toClosed ? '<=' : '<')} ${p.to.toISOString()}::timestamptz)`;
  const parts: SQL[] = [];
  if (split.sealed.length > 0) {
    parts.push(sql`select sum(${ar.attempts}) as n, coalesce(sum(${ar.attempts}) filter (where ${ar.httpStatus} = 101), 0) as up from ${ar} where ${within(ar.bucket, split.sealed)}`);
  }
  parts.push(sql`select count(*) as n, count(*) filter (where ${s.httpStatus} = 101) as up from ${s} where (${sql.join(split.raw.map(piece), sql` or `)}) and ${s.outcome} is not null`);
  const [row] = rowsOf<{ n: string | number | null; up: string | number | null }>(await tx.execute(sql`select sum(n) as n, sum(up) as up from (${sql.join(parts, sql` union all `)}) as u`));
  return { attempts: Number(row?.n ?? 0), upgrades: Number(row?.up ?? 0) };
}

const feedColumns = {
  sessionId: s.id,
  probe: probes.name,
  target: s.targetName,
  proxy: s.proxyName,
  profile: s.profile,
  outcome: s.outcome,
  httpStatus: s.httpStatus,
  openedAt: s.openedAt,
  endedAt: s.endedAt,
  durationMs: s.durationMs,
  endKind: s.endKind,
  closeCode: s.closeCode,
  errorCode: s.errorCode,
};
const feedSelect = (tx: Executor) => tx.select(feedColumns).from(s).innerJoin(probes, eq(probes.id, s.probeId));
type FeedRow = Awaited<ReturnType<typeof feedSelect>>[number];

/**
 * The newest openings, endings and failures, rebuilt from session rows (event ids are not
 * kept, so items are keyed by session and kind; see feedKey).
 *
 * Two index-backed top-N reads instead of one sort over every session: endings and failures
 * by ended_at, openings by attempted_at. An opening follows its attempt by the dial time
 * (at most the dial timeout), so ordering openings by attempt can only misplace items at
 * the very end of the list.
 */
async function recentFeed(tx: Executor, now: Date, limit: number): Promise<FeedItem[]> {
  const endings = await feedSelect(tx)
    .where(and(isNotNull(s.endedAt), lte(s.endedAt, now)))
    .orderBy(desc(s.endedAt), desc(s.id))
    .limit(limit);
  const openings = await feedSelect(tx)
    .where(and(lte(s.attemptedAt, now), isNotNull(s.openedAt), lte(s.openedAt, now)))
    .orderBy(desc(s.attemptedAt), desc(s.id))
    .limit(limit);

  const items: FeedItem[] = [];
  for (const r of endings) {
    const item = endingItem(r);
    if (item) items.push(item);
  }
  for (const r of openings) {
    if (r.openedAt) items.push({ ...base(r, 'session.opened', r.openedAt), ...opt('httpStatus', r.httpStatus) });
  }
  // Newest first; at the same instant an end sorts before an open, as it happened later.
  const rank = (t: FeedItem['type']) => (t === 'session.opened' ? 1 : 0);
  items.sort((a, b) => b.at.localeCompare(a.at) || rank(a.type) - rank(b.type) || a.id.localeCompare(b.id));
  return items.slice(0, limit);
}

function base(r: FeedRow, type: FeedItem['type'], at: Date): FeedItem {
  return { id: `${type}:${r.sessionId}`, type, probe: r.probe, at: at.toISOString(), sessionId: r.sessionId, target: r.target, proxy: r.proxy, profile: r.profile };
}

function endingItem(r: FeedRow): FeedItem | null {
  if (!r.endedAt) return null;
  if (r.outcome && r.outcome !== 'opened') {
    return { ...base(r, 'attempt.failed', r.endedAt), outcome: r.outcome, ...opt('httpStatus', r.httpStatus), ...opt('errorCode', r.errorCode) };
  }
  if (!r.endKind) return null;
  return {
    ...base(r, 'session.ended', r.endedAt),
    endKind: r.endKind,
    ...opt('durationMs', r.durationMs),
    ...opt('closeCode', r.closeCode),
    ...opt('errorCode', r.errorCode),
  };
}

/** Leave a null column out rather than sending `null` where the feed contract has optional fields. */
function opt<K extends string, V>(key: K, value: V | null): Partial<Record<K, V>> {
  return value === null ? {} : ({ [key]: value } as Record<K, V>);
}
