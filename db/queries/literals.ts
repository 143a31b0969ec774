/**
 * Numbers and instants we computed ourselves, written into a statement as literals: an
 * expression that appears in both SELECT and GROUP BY must be textually identical, and
 * bind parameters ($1 vs $5) would make them differ; a literal also lets the planner prune
 * partitions and pick an index by the value.
 */
import { sql, type SQL } from 'drizzle-orm';

/** @throws RangeError for NaN or an infinity (they are no float8 literal). */
export function num(v: number): SQL {
  if (!Number.isFinite(v)) throw new RangeError(`not a finite number: ${v}`);
  return sql.raw(`${v}::float8`);
}

export function instant(d: Date): SQL {
  return sql.raw(`'${d.toISOString()}'::timestamptz`);
}
