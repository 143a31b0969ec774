/**
 * How the CLI reaches a running server: the admin socket in the PGlite data directory
 * (server/admin-socket.ts), or the database itself when no server holds it. Light on
 * purpose: `dropscope --help` and every command sent through the socket load this, not
 * PGlite nor the database drivers (db/open.ts is imported only when the CLI opens the
 * database itself).
 */
import { request } from 'node:http';
import path from 'node:path';
import type { Database } from '../db/client';
import { lockHolder } from '../db/data-dir-lock';
import { parseServerConfig } from '../lib/config/server-env';

/**
 * The admin socket's file name in the data directory. Equal to server/admin-socket.ts
 * ADMIN_SOCKET (test/cli/admin-client.test.ts checks it), which this module does not
 * import: that would load every command's database code.
 */
export const ADMIN_SOCKET_NAME = 'admin.sock';

/** The admin socket's routes, one per noun (server/admin-socket.ts). */
export type AdminRoute = `/${string}-command`;

/** The arguments shared by every command: where the data is. */
export function splitServerArgs(argv: readonly string[]): { serverArgs: string[]; rest: string[] } {
  const serverArgs: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--data-dir' || a === '--database-url') serverArgs.push(a, argv[++i] ?? '');
    else if (a.startsWith('--data-dir=') || a.startsWith('--database-url=')) serverArgs.push(a);
    else rest.push(a);
  }
  return { serverArgs, rest };
}

export interface Where {
  /** The admin socket of a running server holding the PGlite directory, or null. */
  socketPath: string | null;
  dataDir: string;
  open(): Promise<Database>;
}

/** Where a command runs: through a running server's admin socket, or on the database. */
export function locate(serverArgs: readonly string[], env: Record<string, string | undefined> = process.env): Where {
  const config = parseServerConfig(env, serverArgs);
  const dataDir = path.resolve(config.DROPSCOPE_DATA_DIR);
  const serverRunning = !config.DATABASE_URL && lockHolder(dataDir) !== null;
  return {
    socketPath: serverRunning ? path.join(dataDir, ADMIN_SOCKET_NAME) : null,
    dataDir,
    open: async () => {
      // Only here: PGlite, drizzle's migrators and postgres.js cost most of a start.
      const { openDatabase } = await import('../db/open');
      return openDatabase(config.DATABASE_URL ? { kind: 'postgres', url: config.DATABASE_URL, poolSize: 1 } : { kind: 'pglite', dataDir: config.DROPSCOPE_DATA_DIR });
    },
  };
}

/** POST `cmd` to a running server's admin socket; its answer, or its error message thrown. */
export function viaAdminSocket<R>(socketPath: string, route: AdminRoute, cmd: unknown): Promise<R> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: route, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let body: R & { error?: { message: string } };
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as R & { error?: { message: string } };
        } catch {
          return reject(new Error(`the server answered ${res.statusCode} with something that is not JSON (an older server without ${route}?)`));
        }
        if (res.statusCode === 200) resolve(body);
        else reject(new Error(body.error?.message ?? `server answered ${res.statusCode}`));
      });
    });
    req.on('error', reject);
    req.end(JSON.stringify(cmd));
  });
}

/**
 * Run a command where it must run: through the admin socket when a server holds the
 * directory, else on the database opened for this command alone (and closed after).
 * The way every noun runs (probe, user, token, and the ones added later).
 */
export async function runCommand<R>(where: Where, route: AdminRoute, cmd: unknown, local: (database: Database) => Promise<R>): Promise<R> {
  if (where.socketPath) return viaAdminSocket<R>(where.socketPath, route, cmd);
  const database = await where.open();
  try {
    return await local(database);
  } finally {
    await database.close();
  }
}
