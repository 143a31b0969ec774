/**
 * The scale bench's data sets (bench/scale.ts): a fleet seeded by bench/dashboard-seed.ts
 * into a scratch PostgreSQL database of its own, then left as a week of running servers
 * would leave it: the endings aggregate sealed (bench/seal.ts) and the tables vacuumed and
 * analysed. The database is dropped by the cleanup this registers, also on failure or Ctrl-C.
 */
import postgres from 'postgres';
import type { Database } from '../db/client';
import { openScratchPostgres } from '../test/helpers/databases';
import { cleanups } from './cleanup';
import { seedDashboard, type Fleet, type SeedSummary } from './dashboard-seed';
import { sealDatabase } from './seal';

export interface DataSet {
  /** What the summary line calls it. */
  label: string;
  fleet: Fleet;
}

export interface Seeded {
  /** The scratch database's URL (for the server's DATABASE_URL) and name. */
  url: string;
  name: string;
  /** A pool of 4 on it, open until drop(). */
  database: Database;
  summary: SeedSummary;
  seedS: number;
  sealS: number;
  analyzeS: number;
  /** `pg_database_size`, MiB, after vacuum. */
  sizeMiB: number;
  version: string;
  /** Drop the scratch database now (it is also dropped at cleanup, once). */
  drop(): Promise<void>;
}

/**
 * A new scratch database on the server at `pgUrl` with `set` seeded, ending at `to`.
 * @throws when the seed stores another number of sessions than asked for.
 */
export async function seedDataSet(pgUrl: string, set: DataSet, to: Date): Promise<Seeded> {
  const scratch = await openScratchPostgres(pgUrl);
  let dropped: Promise<void> | undefined;
  const drop = () => (dropped ??= scratch.close());
  cleanups.push(drop);
  const name = new URL(scratch.url).pathname.slice(1);
  const sql = postgres(scratch.url, { max: 1, onnotice: () => {} });
  try {
    const t0 = performance.now();
    const summary = await seedDashboard(sql, to, set.fleet);
    if (summary.sessions !== set.fleet.sessions) throw new Error(`seeded ${summary.sessions} sessions, expected ${set.fleet.sessions}`);
    const t1 = performance.now();
    // Statistics first, as autovacuum would have gathered them over a week: without them
    // every (hour, probe) seal plans a scan of whole partitions (0.3 s each at 1M).
    await sql.unsafe('analyze');
    await sealDatabase(scratch.url, to);
    const t2 = performance.now();
    await sql.unsafe('vacuum analyze');
    const t3 = performance.now();
    const [info] = await sql.unsafe<{ server_version: string; bytes: string }[]>(
      `select current_setting('server_version') as server_version, pg_database_size(current_database()) as bytes`,
    );
    return {
      url: scratch.url,
      name,
      database: scratch,
      summary,
      seedS: (t1 - t0) / 1000,
      sealS: (t2 - t1) / 1000,
      analyzeS: (t3 - t2) / 1000,
      sizeMiB: Number(info?.bytes ?? NaN) / 2 ** 20,
      version: info?.server_version ?? '?',
      drop,
    };
  } finally {
    await sql.end({ timeout: 5 });
  }
}
