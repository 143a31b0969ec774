/**
 * "Time with data" (issue 19): what a path's rates are divided by. A drop rate over the
 * selected range read "2.25/h" at 24 h and "640/h" at 15 min for 54 drops in 6 minutes of
 * a fresh install: the range is not how long the path was watched.
 *
 * The one definition: a path has data from the first moment of the range one of its
 * sessions was being attempted or was open, to the last. It starts at the range's start
 * when a session opened before it was still open then (a canary watching across the edge),
 * else at its first attempt in the range; it ends at the range's end when a session is
 * still open then, else at its last attempt or end in the range. A canary still open in the
 * database whose probe has gone silent is open only up to the probe's last report: the
 * silence is no data. A gap in the middle (a probe down for an hour) is counted as data:
 * the span is two indexed look-ups per edge, where the union of every session interval
 * would read every row of the range.
 *
 * db/queries/path-activity.ts computes the same in SQL; this is its oracle in tests, and
 * says in words what the rate means.
 */

/** A session as the span reads it: epoch ms; `endedAt` null while it is open (or it never opened). */
export interface ActivitySession {
  attemptedAt: number;
  /** Null while open, or for an attempt that never opened and has no end. */
  endedAt: number | null;
  /** It upgraded (an opened session); a failed attempt is data only at its attempt. */
  opened: boolean;
  /**
   * For a session still open whose probe is silent now (db/queries/probe-silence.ts): the
   * probe's last report (−Infinity if never heard). Nobody vouches for the canary after it,
   * so it is not open at a later instant. Absent when the probe is heard from.
   */
  vouchedUntil?: number;
}

export interface DataSpan {
  startMs: number;
  endMs: number;
  /** endMs − startMs: the time the path had data within the range. */
  dataMs: number;
}

/**
 * Open at instant t: opened, attempted before t, and not ended before t; an ended session
 * only if attempted within `longestMs` before t (no session lives longer: the ingest refuses
 * longer durations, so SQL can bound its look-back), a session still open only while its
 * probe vouches for it.
 */
const openAtWithin = (s: ActivitySession, t: number, longestMs: number) =>
  s.opened && s.attemptedAt < t && (s.endedAt === null ? (s.vouchedUntil ?? Infinity) >= t : s.endedAt >= t && s.attemptedAt >= t - longestMs);

/**
 * The path's data span within [fromMs, toMs); null when none of its sessions was attempted or
 * open in it. `longestMs`: the longest a session lives (db/queries/path-activity.ts longestSessionMs).
 */
export function dataSpan(sessions: readonly ActivitySession[], fromMs: number, toMs: number, longestMs = Infinity): DataSpan | null {
  const openAt = (s: ActivitySession, t: number) => openAtWithin(s, t, longestMs);
  const inRange = sessions.filter((s) => s.attemptedAt >= fromMs && s.attemptedAt < toMs);
  const acrossStart = sessions.some((s) => openAt(s, fromMs));
  if (inRange.length === 0 && !acrossStart) return null;
  const startMs = acrossStart ? fromMs : Math.min(...inRange.map((s) => s.attemptedAt));
  const acrossEnd = sessions.some((s) => openAt(s, toMs));
  const lastInRange = [
    ...inRange.map((s) => s.attemptedAt),
    ...sessions.filter((s) => s.endedAt !== null && s.endedAt >= fromMs && s.endedAt < toMs).map((s) => s.endedAt!),
  ];
  const endMs = acrossEnd ? toMs : Math.max(startMs, ...lastInRange);
  return { startMs, endMs, dataMs: endMs - startMs };
}

/** Drops per hour of data; null without data time (nothing to divide by). */
export function perHourOfData(count: number, dataMs: number): number | null {
  return dataMs > 0 ? (count * 3_600_000) / dataMs : null;
}

/** "6 min", "1 h 30 min", "45 s": how long a path had data, as a sentence says it. */
export function formatDataTime(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 120) return `${m} min`;
  const h = Math.floor(m / 60);
  const rest = m - h * 60;
  return rest ? `${h} h ${rest} min` : `${h} h`;
}

/** "54 drops in 6 min of data": what a drop rate is computed from, beside the rate. */
export function dropsInData(drops: number, dataMs: number): string {
  return `${drops} ${drops === 1 ? 'drop' : 'drops'} in ${formatDataTime(dataMs)} of data`;
}

/**
 * What a path's median life tile says (issue 19). The lifetimes of canaries the probe closed
 * at their planned age (ladder and bisect rungs, held heartbeats, a rotation) are the plan's,
 * not the path's: the median is over the sessions that ended otherwise, and the others are
 * said for what they are. Null `medianMs`: no such session.
 */
export function lifeSummary(c: { drops: number; probeClosed: number; medianDropLifetimeMs: number | null }): { medianMs: number | null; note: string } {
  const closed = c.probeClosed > 0 ? `${c.probeClosed} ${c.probeClosed === 1 ? 'canary' : 'canaries'} closed by the probe at their planned age, not counted` : '';
  if (c.drops === 0) {
    return { medianMs: null, note: c.probeClosed > 0 ? `no drops: all ${c.probeClosed} ended ${c.probeClosed === 1 ? 'canary' : 'canaries'} lived their planned time` : 'nothing ended yet' };
  }
  return { medianMs: c.medianDropLifetimeMs, note: [`of ${c.drops} ${c.drops === 1 ? 'drop' : 'drops'}`, closed].filter(Boolean).join(' · ') };
}
