/**
 * The endings aggregate (db/schema.ts `ending_packs`, packed as lib/rollups/ending-pack.ts
 * says): per hour of `ended_at` and path, the endings counted by their 100 ms bin of age and
 * of idle time. It is sealed, not kept at
 * ingest: a write marks its (hour, probe) dirty, a sealer recomputes dirty hours once they
 * have closed, and a read takes the sealed hours from the aggregate and everything else
 * (the range's partial hours at its edges, the hours still open or dirty) from the session
 * rows. An answer is therefore always exact, whatever has been sealed so far.
 *
 * This module is the bucket arithmetic and how a range splits.
 */

/** An hour: a week is 168 buckets per path, and the open hour read from the rows is small. */
export const ENDING_BUCKET_MS = 3_600_000;

/**
 * How long after an hour closes it is sealed: endings reported a little late (a probe's
 * batch interval, a short spool replay) land before the seal instead of dirtying it again.
 */
export const SEAL_GRACE_MS = 2 * 60_000;

export function endingBucketOf(at: number): number {
  return Math.floor(at / ENDING_BUCKET_MS) * ENDING_BUCKET_MS;
}

export interface Interval {
  from: Date;
  to: Date;
}

export interface EndingSplit {
  /** Sealed hours to read from the aggregate: whole buckets, none of them dirty. */
  sealed: Interval[];
  /** Sub-ranges to read from the session rows: the edges and the dirty hours, merged. */
  raw: Interval[];
}

/**
 * Split [from, to) into sealed hours and ranges read from the rows. `dirty` holds the start
 * of every hour in the range whose rows are not all in the aggregate (ms since the epoch).
 */
export function splitEndings(from: Date, to: Date, dirty: Iterable<number>): EndingSplit {
  const f = from.getTime();
  const t = to.getTime();
  if (!(f < t)) return { sealed: [], raw: [] };
  const first = Math.ceil(f / ENDING_BUCKET_MS) * ENDING_BUCKET_MS;
  const last = Math.floor(t / ENDING_BUCKET_MS) * ENDING_BUCKET_MS;
  if (first >= last) return { sealed: [], raw: [{ from, to }] };
  const dirtySet = new Set(dirty);
  const sealed: [number, number][] = [];
  const raw: [number, number][] = [];
  const add = (list: [number, number][], a: number, b: number) => {
    const prev = list[list.length - 1];
    if (prev && prev[1] === a) prev[1] = b;
    else list.push([a, b]);
  };
  if (f < first) add(raw, f, first);
  // Bounded by the range: one step per hour (a year is 8,784).
  for (let h = first; h < last; h += ENDING_BUCKET_MS) add(dirtySet.has(h) ? raw : sealed, h, h + ENDING_BUCKET_MS);
  if (last < t) add(raw, last, t);
  const dates = (list: [number, number][]) => list.map(([a, b]) => ({ from: new Date(a), to: new Date(b) }));
  return { sealed: dates(sealed), raw: dates(raw) };
}
