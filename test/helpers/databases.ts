/**
 * Every database test runs against every backend: PGlite always, PostgreSQL when
 * TEST_DATABASE_URL is set. Each PostgreSQL suite gets a scratch database of its own, so
 * files running in parallel (and runs on a shared server) never see each other's rows.
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import type { Database } from '../../db/client';
import { openDatabase } from '../../db/open';

export interface Backend {
  name: 'pglite' | 'postgres';
  open(): Promise<Database>;
}

export function backends(): Backend[] {
  const list: Backend[] = [{ name: 'pglite', open: () => openDatabase({ kind: 'pglite', dataDir: 'memory://' }) }];
  const url = process.env.TEST_DATABASE_URL;
  if (url) list.push({ name: 'postgres', open: () => openScratchPostgres(url) });
  return list;
}

/**
 * A fresh, migrated database on the server at `url`; dropped again on close. `url` in the
 * result points at the scratch database, for a server process started on it. `poolSize`:
 * the pool's connections (4 by default), smaller to test what waits for one.
 */
export async function openScratchPostgres(url: string, options: { poolSize?: number } = {}): Promise<Database & { url: string }> {
  const name = `dropscope_t_${randomBytes(6).toString('hex')}`;
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const scratch = new URL(url);
  scratch.pathname = `/${name}`;
  const database = await openDatabase({ kind: 'postgres', url: scratch.toString(), poolSize: options.poolSize ?? 4 });
  return {
    ...database,
    url: scratch.toString(),
    close: async () => {
      await database.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end({ timeout: 5 });
    },
  };
}
