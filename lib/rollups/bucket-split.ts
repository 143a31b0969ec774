/**
 * Splitting a time range for the rollups: the whole rollup buckets inside it are read from
 * a rollup, the partial buckets at its edges from the session rows, so a count over any
 * range is exact while a week reads 672 quarter-hours per path instead of every session.
 */
import { ROLLUP_BUCKET_MS } from './contributions';

export interface BucketSplit {
  /** Whole rollup buckets [from, to); null when the range holds none. */
  buckets: { from: Date; to: Date } | null;
  /** Sub-ranges to read from the session rows (zero, one or two). */
  edges: { from: Date; to: Date }[];
}

export function splitByBucket(from: Date, to: Date, bucketMs: number = ROLLUP_BUCKET_MS): BucketSplit {
  const first = Math.ceil(from.getTime() / bucketMs) * bucketMs;
  const last = Math.floor(to.getTime() / bucketMs) * bucketMs;
  if (first >= last) return { buckets: null, edges: from < to ? [{ from, to }] : [] };
  const edges: BucketSplit['edges'] = [];
  if (from.getTime() < first) edges.push({ from, to: new Date(first) });
  if (last < to.getTime()) edges.push({ from: new Date(last), to });
  return { buckets: { from: new Date(first), to: new Date(last) }, edges };
}
