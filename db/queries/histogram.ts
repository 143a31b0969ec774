/**
 * One histogram of a value over a set of sessions, binned and counted in PostgreSQL, sent
 * back as ONE row: the bins as a text list ("bin:count,bin:count"). A histogram of drops
 * over a day has tens of thousands of filled 50 ms bins; as rows, parsing them in the
 * driver cost more than the database took to count them.
 *
 * A plain GROUP BY (not grouping sets), so PostgreSQL can split the scan and the counting
 * across parallel workers.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../client';
import { canarySessions as s } from '../schema';
import { rowsOf } from './scope';

export interface Histogram {
  /** Filled bins, by index (`floor(value / widthMs)`), ascending. */
  bins: { bin: number; count: number }[];
  /** Sessions whose value is null. */
  nulls: number;
  /** The largest value, null when every value is. */
  max: number | null;
}

/** A bin index as every histogram of drops computes it: `floor(value / widthMs)`. */
export function binIndex(value: SQL, widthMs: number): SQL<number> {
  if (!Number.isFinite(widthMs) || widthMs <= 0) throw new RangeError(`not a bin width: ${widthMs}`);
  return sql<number>`floor(${value} / ${sql.raw(`${widthMs}::float8`)})::bigint`;
}

export async function histogram(db: Executor, value: SQL, where: SQL, widthMs: number): Promise<Histogram> {
  const [row] = rowsOf<{ bins: string | null; nulls: string | number | null; max: string | number | null }>(
    await db.execute(sql`select string_agg(b::text || ':' || n::text, ',') filter (where b is not null) as bins,
        coalesce(sum(n) filter (where b is null), 0) as nulls, max(m) as max
      from (select ${binIndex(sql`v`, widthMs)} as b, count(*) as n, max(v) as m
            from (select ${value} as v from ${s} where ${where}) as t
            group by 1) as g`),
  );
  // Sorted here: ORDER BY inside string_agg sorted in PostgreSQL's one process, slower than this.
  return { bins: parseBins(row?.bins ?? null).sort((a, b) => a.bin - b.bin), nulls: Number(row?.nulls ?? 0), max: row?.max == null ? null : Number(row.max) };
}

export function parseBins(text: string | null): { bin: number; count: number }[] {
  if (!text) return [];
  return text.split(',').map((pair) => {
    const colon = pair.indexOf(':');
    return { bin: Number(pair.slice(0, colon)), count: Number(pair.slice(colon + 1)) };
  });
}
