/**
 * `GET /healthz` and `GET /readyz` for load balancers, systemd and orchestrators (issue 19).
 *
 * /healthz says only that the process serves HTTP: it never touches the database, so a
 * database outage does not get the process restarted (a restart would not bring the
 * database back). /readyz says whether this process should be sent traffic: the database
 * answers `select 1` within a short timeout, every migration this build knows (its
 * journal) is recorded in the database, and the process is not shutting down. A 503 names
 * the check that failed.
 *
 * Both are served by server.ts before Next and pass the gate without credentials
 * (server/auth/gate.ts): a probe that needs a token, or that waits for Next, tells nothing.
 * Checks are coalesced: while one readiness check runs, every request shares its answer,
 * so a hung database does not collect one stuck query per probe. The answer goes to anyone
 * who asks, so it never carries a driver's error (which can name hosts and users): that
 * goes to the log, once per change.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { Database } from '../db/client';
import type { Logger } from '../lib/log';

export const HEALTH_PATH = '/healthz';
export const READY_PATH = '/readyz';

/** The probe paths: public in the gate, answered before Next. */
export function isHealthPath(pathname: string): boolean {
  return pathname === HEALTH_PATH || pathname === READY_PATH;
}

/** One check's outcome: `ok`, or what is wrong in words an operator can act on. */
export type Check = { ok: true } | { ok: false; message: string };

export interface Readiness {
  ready: boolean;
  checks: { database: Check; migrations: Check; shutdown: Check };
}

export interface HealthOptions {
  database: Database;
  /** The build's db/migrations folder; its meta/_journal.json lists what must be applied. */
  migrationsDir: string;
  /** True once a shutdown began: readiness turns 503 at once. */
  shuttingDown: () => boolean;
  /** How long the database may take to answer (default 2 s, below a load balancer's usual 5 s). */
  timeoutMs?: number;
  /** Where a failed check's details go (when they change). */
  log?: Logger;
}

export interface Health {
  /** Answer `req` if it asks for /healthz or /readyz; false when it asks for anything else. */
  serve(req: IncomingMessage, res: ServerResponse): boolean;
  readiness(): Promise<Readiness>;
}

interface JournalEntry {
  when: number;
  tag: string;
}

/** The migrations a build carries: drizzle-kit's journal (db/migrations/meta/_journal.json). */
export function readJournal(migrationsDir: string): JournalEntry[] {
  const journal = JSON.parse(readFileSync(path.join(migrationsDir, 'meta', '_journal.json'), 'utf8')) as { entries?: unknown };
  if (!Array.isArray(journal.entries)) throw new Error(`${migrationsDir}/meta/_journal.json has no entries`);
  return journal.entries.map((e: { when?: unknown; tag?: unknown }) => {
    if (typeof e.when !== 'number' || typeof e.tag !== 'string') throw new Error(`${migrationsDir}/meta/_journal.json: an entry lacks when or tag`);
    return { when: e.when, tag: e.tag };
  });
}

/**
 * The journal's migrations the database has no record of. drizzle's migrator records each
 * applied migration's journal `when` as `created_at` in drizzle.__drizzle_migrations.
 * Migrations the database has and the journal lacks (a newer server migrated it during a
 * rolling deploy) do not count against this one.
 */
export function pendingMigrations(journal: readonly JournalEntry[], appliedCreatedAt: readonly number[]): string[] {
  const applied = new Set(appliedCreatedAt);
  return journal.filter((e) => !applied.has(e.when)).map((e) => e.tag);
}

class CheckTimeout extends Error {}

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CheckTimeout(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const rowsOf = <T>(result: unknown): T[] => (Array.isArray(result) ? result : ((result as { rows?: T[] }).rows ?? [])) as T[];

export function createHealth(options: HealthOptions): Health {
  const { database } = options;
  const timeoutMs = options.timeoutMs ?? 2_000;
  const journal = readJournal(options.migrationsDir);
  // Migrations are never unapplied while a process runs: once all are there, stop asking.
  let migrationsOk = false;
  let running: Promise<Readiness> | null = null;
  /** The failure last logged per check: a probe every few seconds must not flood the log. */
  const reported = new Map<string, string>();
  function report(check: string, err: unknown): void {
    const message = (err as Error).message;
    if (reported.get(check) === message) return;
    reported.set(check, message);
    options.log?.warn({ err, check }, 'readiness check failed');
  }
  /** A check passes: say so once after a failure, and log its next failure even if the same. */
  function passed(check: string): void {
    if (reported.delete(check)) options.log?.info({ check }, 'readiness check passes again');
  }

  async function check(): Promise<Readiness> {
    const shutdown: Check = options.shuttingDown() ? { ok: false, message: 'shutting down' } : { ok: true };
    let databaseCheck: Check;
    let migrations: Check;
    try {
      await within(database.db.execute(sql`select 1`), timeoutMs);
      databaseCheck = { ok: true };
      passed('database');
    } catch (err) {
      databaseCheck = { ok: false, message: err instanceof CheckTimeout ? `select 1: ${err.message}` : 'select 1 failed (the error is in the server log)' };
      report('database', err);
    }
    if (!databaseCheck.ok) migrations = { ok: false, message: 'not checked: the database did not answer' };
    else if (migrationsOk) migrations = { ok: true };
    else {
      try {
        const rows = rowsOf<{ created_at: string | number }>(await within(database.db.execute(sql`select created_at from drizzle.__drizzle_migrations`), timeoutMs));
        const pending = pendingMigrations(journal, rows.map((r) => Number(r.created_at)));
        migrationsOk = pending.length === 0;
        passed('migrations');
        migrations = migrationsOk ? { ok: true } : { ok: false, message: `${pending.length} of ${journal.length} not applied: ${pending.join(', ')}` };
      } catch (err) {
        migrations = { ok: false, message: 'cannot read drizzle.__drizzle_migrations (the error is in the server log)' };
        report('migrations', err);
      }
    }
    // Asked again at the end: a shutdown that began while the database answered wins.
    const final: Check = shutdown.ok && options.shuttingDown() ? { ok: false, message: 'shutting down' } : shutdown;
    return { ready: databaseCheck.ok && migrations.ok && final.ok, checks: { database: databaseCheck, migrations, shutdown: final } };
  }

  function readiness(): Promise<Readiness> {
    // Shutting down needs no database round trip: answer at once.
    if (options.shuttingDown()) {
      return Promise.resolve({
        ready: false,
        checks: { database: { ok: false, message: 'not checked: shutting down' }, migrations: { ok: false, message: 'not checked: shutting down' }, shutdown: { ok: false, message: 'shutting down' } },
      });
    }
    running ??= check().finally(() => {
      running = null;
    });
    return running;
  }

  function reply(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : JSON.stringify(body));
  }

  return {
    readiness,
    serve(req, res) {
      const pathname = new URL(req.url ?? '/', 'http://x').pathname;
      if (!isHealthPath(pathname)) return false;
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('allow', 'GET, HEAD');
        reply(req, res, 405, { error: { code: 'HEALTH_ERR_METHOD', message: `${pathname} answers GET and HEAD` } });
        return true;
      }
      if (pathname === HEALTH_PATH) {
        reply(req, res, 200, { status: 'ok' });
        return true;
      }
      readiness().then(
        (r) => {
          const failed = Object.entries(r.checks).filter(([, c]) => !c.ok).map(([name]) => name);
          reply(req, res, r.ready ? 200 : 503, r.ready ? { status: 'ready', checks: r.checks } : { status: 'not ready', failed, checks: r.checks });
        },
        // check() catches its own failures; this is a bug, answered as one.
        (err: unknown) => reply(req, res, 503, { status: 'not ready', failed: ['internal'], error: (err as Error).message }),
      );
      return true;
    },
  };
}
