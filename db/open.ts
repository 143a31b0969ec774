/**
 * Opening the database: PGlite in a data directory (the zero-setup default) or PostgreSQL
 * through postgres.js when a URL is given. Migrations from db/migrations are applied on
 * open, on either backend. Failures are DatabaseOpenError with a stable code and a
 * message that says what to do.
 */
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import type { Database, Db } from './client';
import { acquireDataDirLock } from './data-dir-lock';
import * as schema from './schema';
import { retryAtStart, type StartWait } from './start-wait';

export type DatabaseConfig =
  /** `startWait`: keep trying to reach PostgreSQL this long before giving up (db/start-wait.ts); once by default. */
  | { kind: 'postgres'; url: string; poolSize?: number; startWait?: StartWait }
  /** `dataDir` is a directory, or `memory://` for a throwaway in-memory database. */
  | { kind: 'pglite'; dataDir: string };

export type DatabaseOpenErrorCode = 'DB_ERR_UNREACHABLE' | 'DB_ERR_DATA_DIR' | 'DB_ERR_MIGRATE';

export class DatabaseOpenError extends Error {
  constructor(
    readonly code: DatabaseOpenErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DatabaseOpenError';
  }
}

export const MIGRATIONS_DIR = path.join(process.cwd(), 'db', 'migrations');

/** Strip the password from a connection URL so it can be logged. */
export function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

/** Open, check and migrate. The caller owns the result and must close it. */
export async function openDatabase(
  config: DatabaseConfig,
  options: { migrationsDir?: string } = {},
): Promise<Database> {
  const migrationsFolder = options.migrationsDir ?? MIGRATIONS_DIR;
  return config.kind === 'postgres' ? openPostgres(config.url, config.poolSize ?? 10, migrationsFolder, config.startWait) : openPglite(config.dataDir, migrationsFolder);
}

/**
 * Settings of every PostgreSQL session the server opens (and bench:dashboard's EXPLAIN
 * replay, so that it shows the server's plans).
 *
 * The dashboard's reports hash and sort a range's sessions (grouping sets, per-path
 * aggregates); at PostgreSQL's default of 4 MB a day's worth spilled to disk and took
 * twice as long (bench:dashboard). work_mem bounds each sort or hash node, and the pool
 * is small, so the worst case stays at a few hundred MB.
 *
 * JIT off: the reports' statements are costed above jit_above_cost (they read 100,000+
 * index entries) but run in tens of milliseconds, and compiling them took longer than
 * running them (the analysis' members at a day of a million sessions: 107 ms with JIT,
 * 26 ms without; bench:dashboard). At most one parallel worker in flight (the setting is
 * checked against every session's running workers): a report runs several statements at
 * once (db/queries/reads.ts), and each asking for two workers put three to four times
 * as many processes as cores to work on a 2-core machine.
 */
export const POSTGRES_SESSION_SETTINGS = { work_mem: '32MB', jit: 'off', max_parallel_workers: '1' } as const;

async function openPostgres(url: string, max: number, migrationsFolder: string, startWait: StartWait = { waitMs: 0 }): Promise<Database> {
  const location = redactDatabaseUrl(url);
  // Fail fast: while the database cannot be reached, ingest answers 503 within seconds
  // instead of holding the probe for the driver's default 30 s.
  const client = postgres(url, { max, connect_timeout: CONNECT_TIMEOUT_S, backoff: reconnectDelayS, onnotice: () => {}, connection: POSTGRES_SESSION_SETTINGS });
  try {
    await retryAtStart(() => client`select 1`, startWait);
  } catch (err) {
    await client.end({ timeout: 1 }).catch(() => {});
    throw new DatabaseOpenError('DB_ERR_UNREACHABLE', `cannot reach PostgreSQL at ${location}: ${(err as Error).message}`, { cause: err });
  }
  const db = drizzlePostgres(client, { schema, casing: 'snake_case' });
  try {
    await migrateOnce(url, migrationsFolder);
  } catch (err) {
    await client.end({ timeout: 1 }).catch(() => {});
    throw new DatabaseOpenError('DB_ERR_MIGRATE', `migrations failed on ${location}: ${(err as Error).message}`, { cause: err });
  }
  return { db: db as unknown as Db, kind: 'postgres', location, close: () => client.end({ timeout: 5 }) };
}

/** How long a new connection may take before the attempt fails (postgres.js, seconds). */
const CONNECT_TIMEOUT_S = 2;

/**
 * Seconds before the pool's next connection attempt after `failures` failed ones in a row.
 * postgres.js's default grows as 3^n / 100 up to 20 s, and every query tried during an
 * outage counts: after a minute of failed page loads, the first query once PostgreSQL was
 * back waited 10-20 s. Doubling from 50 ms up to 1 s keeps a dead server from being hammered
 * and serves again within a second of its return.
 */
export function reconnectDelayS(failures: number): number {
  return Math.min(0.05 * 2 ** Math.min(failures, 10), 1);
}

/** The advisory lock key under which servers sharing a database migrate it, one at a time. */
const MIGRATION_LOCK_KEY = 0x64726f70; // "drop"

/**
 * Migrate under a session advisory lock, on a client of one connection of its own (so the
 * lock, the migrations and the unlock share a session): servers started at the same moment
 * on an empty database (replicas, a rolling deploy) take turns, and each after the first
 * finds every migration applied. Without it the second died on CREATE TYPE "end_kind",
 * which the first had just created. The lock ends with the connection if the process dies
 * mid-migration; each migration runs in its own transaction.
 */
async function migrateOnce(url: string, migrationsFolder: string): Promise<void> {
  const client = postgres(url, { max: 1, connect_timeout: 10, onnotice: () => {} });
  try {
    await client`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    try {
      await migratePostgres(drizzlePostgres(client, { schema, casing: 'snake_case' }), { migrationsFolder });
    } finally {
      await client`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`;
    }
  } finally {
    await client.end({ timeout: 5 });
  }
}

async function openPglite(dir: string, migrationsFolder: string): Promise<Database> {
  const inMemory = dir.startsWith('memory://');
  // Not for memory:// URLs, which path.resolve would turn into a relative directory.
  const dataDir = inMemory ? dir : path.resolve(dir);
  let release = () => {};
  if (!inMemory) {
    prepareDataDir(dataDir);
    release = acquireDataDirLock(dataDir);
  }
  let client: PGlite;
  try {
    client = await PGlite.create(dataDir);
  } catch (err) {
    release();
    throw new DatabaseOpenError('DB_ERR_DATA_DIR', `cannot open the PGlite database in ${dataDir}: ${(err as Error).message}`, { cause: err });
  }
  const db = drizzlePglite(client, { schema, casing: 'snake_case' });
  try {
    await migratePglite(db, { migrationsFolder });
  } catch (err) {
    await client.close().catch(() => {});
    release();
    throw new DatabaseOpenError('DB_ERR_MIGRATE', `migrations failed in ${dataDir}: ${(err as Error).message}`, { cause: err });
  }
  return {
    db: db as unknown as Db,
    kind: 'pglite',
    location: dataDir,
    close: async () => {
      try {
        await client.close();
      } finally {
        release();
      }
    },
  };
}

/** PGlite does not create parent directories and reports a bad one obscurely: check first. */
function prepareDataDir(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true });
    if (!statSync(dataDir).isDirectory()) throw new Error('not a directory');
    accessSync(dataDir, constants.R_OK | constants.W_OK);
  } catch (err) {
    throw new DatabaseOpenError(
      'DB_ERR_DATA_DIR',
      `data directory ${dataDir} is unusable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): ` +
        'set DROPSCOPE_DATA_DIR or --data-dir to a writable directory, or DATABASE_URL to use PostgreSQL',
      { cause: err },
    );
  }
}
