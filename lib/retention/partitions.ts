/**
 * Raw sessions live in daily partitions of canary_sessions by attempted_at (UTC days,
 * migration 0013), so that retention drops a whole day at once instead of deleting rows.
 * This module is the pure part: names, bounds, and what a maintenance pass creates and
 * drops. A default partition catches what no day holds (a probe whose clock is far off).
 */

export const DAY_MS = 86_400_000;
/** Days created ahead of the clock, so that ingest never waits for a partition. */
export const DAYS_AHEAD = 3;
export const PARTITION_PREFIX = 'canary_sessions_p';
export const DEFAULT_PARTITION = 'canary_sessions_default';

export function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** `canary_sessions_p20261120` for the UTC day starting at `dayMs`. */
export function partitionName(dayMs: number): string {
  if (dayOf(dayMs) !== dayMs) throw new RangeError(`not the start of a UTC day: ${new Date(dayMs).toISOString()}`);
  return `${PARTITION_PREFIX}${new Date(dayMs).toISOString().slice(0, 10).replaceAll('-', '')}`;
}

/** The day a partition name stands for; null for the default partition or a name of ours it is not. */
export function partitionDay(name: string): number | null {
  const m = /^canary_sessions_p(\d{4})(\d{2})(\d{2})$/.exec(name);
  if (!m) return null;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return partitionName(ms) === name ? ms : null;
}

export interface PartitionPlan {
  /** Days to create (start of each UTC day), ascending. */
  create: number[];
  /** Day partitions wholly older than the horizon, by name, oldest first. */
  drop: string[];
  /** Rows attempted before this are past retention. */
  horizon: number;
}

/**
 * What a maintenance pass does at `now`: create the days from yesterday to DAYS_AHEAD ahead
 * that are missing, and drop every day that ended at or before `now - rawRetentionMs`.
 */
export function planPartitions(now: number, rawRetentionMs: number, existing: readonly string[]): PartitionPlan {
  const horizon = now - rawRetentionMs;
  const have = new Set(existing);
  const create: number[] = [];
  for (let d = dayOf(now) - DAY_MS; d <= dayOf(now) + DAYS_AHEAD * DAY_MS; d += DAY_MS) {
    if (d + DAY_MS > horizon && !have.has(partitionName(d))) create.push(d);
  }
  const drop = existing
    .map((name) => ({ name, day: partitionDay(name) }))
    .filter((p): p is { name: string; day: number } => p.day !== null && p.day + DAY_MS <= horizon)
    .sort((a, b) => a.day - b.day)
    .map((p) => p.name);
  return { create, drop, horizon };
}

/**
 * A retention period as the operator writes it: `30d`, `36h`, `90m`, or a number of days.
 * Null when it is not one.
 */
export function parseRetention(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([dhm]?)\s*$/.exec(text);
  if (!m) return null;
  const n = Number(m[1]);
  const unit = m[2] === 'h' ? 3_600_000 : m[2] === 'm' ? 60_000 : DAY_MS;
  const ms = n * unit;
  return Number.isFinite(ms) && ms > 0 ? Math.round(ms) : null;
}
