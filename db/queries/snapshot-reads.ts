/**
 * A report's reads, all of one instant (issue 19: a drops tile said 54 while the path card
 * and the signature beside it said 53, read moments apart): they run one after another
 * inside one REPEATABLE READ transaction, on either backend, so every read sees exactly the
 * same committed rows.
 *
 * Deliberately on one connection, also on PostgreSQL. Running them at once meant an outer
 * transaction exporting its snapshot (pg_export_snapshot) and holding its pool connection
 * while each other read waited for a connection of its own to import it: with as many pages
 * loading as the pool has connections, every connection was an outer transaction waiting
 * for another, and postgres.js has no acquire timeout, so the pool hung for good, taking
 * ingest, alerts and /readyz with it. One connection per report cannot deadlock whatever
 * the concurrency. It costs the path page (1M sessions over 7 days, a busy path, 2 cores)
 * 89 → 121 ms at 24 h and 447 → 731 ms at 7 days: what the reads took at once vs in turn.
 * Read-only: a step that writes fails.
 */
import type { Db, Executor } from '../client';

const READ_ONLY = { isolationLevel: 'repeatable read', accessMode: 'read only' } as const;

export async function readsInOneSnapshot<T extends readonly unknown[]>(db: Db, steps: { readonly [K in keyof T]: (ex: Executor) => Promise<T[K]> }): Promise<T> {
  return db.transaction(async (tx) => {
    const out: unknown[] = [];
    for (const step of steps) out.push(await step(tx));
    return out as unknown as T;
  }, READ_ONLY);
}
