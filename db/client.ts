/**
 * The process-wide database handle. The server opens the database once (db/open.ts) and
 * installs it here; route handlers and the socket.io side only fetch it.
 *
 * Next bundles route code apart from server.ts, so a module-level variable would exist
 * twice. The handle lives on globalThis under a Symbol.for key, the one place both
 * bundles share.
 */
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type * as schema from './schema';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
/** A transaction handle, usable wherever a Db is. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type Executor = Db | Tx;

export interface Database {
  readonly db: Db;
  readonly kind: 'pglite' | 'postgres';
  /** Where the data lives, without credentials: a directory or a redacted URL. */
  readonly location: string;
  close(): Promise<void>;
}

const KEY = Symbol.for('dropscope.database');
type Holder = { [KEY]?: Database };

/** Make `database` the process's database. Throws if another one is installed. */
export function installDatabase(database: Database): void {
  const g = globalThis as Holder;
  if (g[KEY] && g[KEY] !== database) throw new Error('a database is already installed in this process');
  g[KEY] = database;
}

/** Remove the installed database (tests, shutdown). */
export function uninstallDatabase(database: Database): void {
  const g = globalThis as Holder;
  if (g[KEY] === database) delete g[KEY];
}

/** The process's database. Throws if the server has not opened one. */
export function getDatabase(): Database {
  const database = (globalThis as Holder)[KEY];
  if (!database) throw new Error('no database installed: the server opens it before serving requests');
  return database;
}

/**
 * Whether independent reads may run at once on `database`: on PostgreSQL each takes its own
 * pool connection; PGlite has one connection, on which a statement sent during another's
 * open transaction would run inside that transaction.
 */
export function readsRunConcurrently(database: Database): boolean {
  return database.kind === 'postgres';
}

/** How a report may read `database`: concurrently on PostgreSQL. */
export function readOptions(database: Database): { concurrent: boolean } {
  return { concurrent: readsRunConcurrently(database) };
}
