/**
 * /healthz and /readyz behind the real gate, on every backend: served without credentials,
 * readiness that follows the database, the migrations and a shutdown, and a 503 naming
 * the failed check.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { MIGRATIONS_DIR } from '../../db/open';
import { parseAuthConfig } from '../../lib/config/auth-env';
import { SecretKey } from '../../lib/crypto/secret-box';
import { rootLogger } from '../../lib/log';
import { createAuth } from '../../server/auth/auth';
import { createGate } from '../../server/auth/gate';
import { createHealth, pendingMigrations, readJournal, type Health } from '../../server/health';
import { backends } from '../helpers/databases';
import { capturedLog } from '../helpers/log-capture';

const log = rootLogger().child({}, { level: 'silent' });

describe('pendingMigrations', () => {
  const journal = [
    { when: 10, tag: '0000_a' },
    { when: 20, tag: '0001_b' },
    { when: 30, tag: '0002_c' },
  ];
  it('names the journal entries the database has no record of', () => {
    expect(pendingMigrations(journal, [10, 20, 30])).toEqual([]);
    expect(pendingMigrations(journal, [10])).toEqual(['0001_b', '0002_c']);
    expect(pendingMigrations(journal, [])).toEqual(['0000_a', '0001_b', '0002_c']);
  });
  it('does not count migrations a newer build applied', () => {
    expect(pendingMigrations(journal, [10, 20, 30, 40])).toEqual([]);
  });
  it('reads the real journal', () => {
    const entries = readJournal(MIGRATIONS_DIR);
    expect(entries.length).toBeGreaterThan(20);
    expect(entries[0]!.tag).toBe('0000_init');
  });
});

for (const backend of backends()) {
  describe(`health endpoints (${backend.name})`, () => {
    let database: Database;
    let server: Server;
    let base: string;
    let stopping = false;
    let health: Health;

    beforeAll(async () => {
      database = await backend.open();
      const auth = createAuth({ database, config: parseAuthConfig({}), secretKey: new SecretKey(Buffer.alloc(32, 7)), log });
      const gate = createGate({ auth, database, dev: false, log });
      // A check timeout only a hang reaches: a loaded machine may take over a second to answer
      // `select 1` (the timeout itself is tested below, on a database that never answers).
      health = createHealth({ database, migrationsDir: MIGRATIONS_DIR, shuttingDown: () => stopping, timeoutMs: 20_000 });
      server = createServer((req, res) =>
        gate.handle(req, res, () => {
          if (health.serve(req, res)) return;
          res.writeHead(200).end('behind the gate');
        }),
      );
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    }, 60_000);

    afterAll(async () => {
      await new Promise<void>((resolve) => server?.close(() => resolve()));
      await database?.close();
    });

    it('answers /healthz without credentials', async () => {
      const res = await fetch(`${base}/healthz`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(await res.json()).toEqual({ status: 'ok' });
      // The gate still guards everything else.
      expect((await fetch(`${base}/metrics`)).status).toBe(401);
      expect((await fetch(`${base}/api/v1/overview`)).status).toBe(401);
    });

    it('is ready on a migrated database, with every check ok', async () => {
      const res = await fetch(`${base}/readyz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ready', checks: { database: { ok: true }, migrations: { ok: true }, shutdown: { ok: true } } });
      const head = await fetch(`${base}/readyz`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(await head.text()).toBe('');
    });

    it('answers 405 to other methods', async () => {
      const res = await fetch(`${base}/healthz`, { method: 'POST' });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, HEAD');
    });

    it('is not ready while a migration is missing, and names it', async () => {
      // A separate health: the one above has already seen every migration applied (cached).
      const fresh = createHealth({ database, migrationsDir: MIGRATIONS_DIR, shuttingDown: () => false, timeoutMs: 20_000 });
      const last = readJournal(MIGRATIONS_DIR).at(-1)!;
      await database.db.execute(sql`delete from drizzle.__drizzle_migrations where created_at = ${last.when}`);
      try {
        const r = await fresh.readiness();
        expect(r.ready).toBe(false);
        expect(r.checks.database).toEqual({ ok: true });
        expect(r.checks.migrations).toEqual({ ok: false, message: expect.stringContaining(`not applied: ${last.tag}`) as string });
      } finally {
        await database.db.execute(sql`insert into drizzle.__drizzle_migrations (hash, created_at) values ('restored', ${last.when})`);
      }
      expect((await fresh.readiness()).ready).toBe(true);
    });

    it('turns 503 at once when a shutdown begins, naming the check', async () => {
      stopping = true;
      try {
        const res = await fetch(`${base}/readyz`);
        expect(res.status).toBe(503);
        const body = (await res.json()) as { status: string; failed: string[]; checks: { shutdown: unknown } };
        expect(body.status).toBe('not ready');
        expect(body.failed).toContain('shutdown');
        expect(body.checks.shutdown).toEqual({ ok: false, message: 'shutting down' });
        // The process still serves: liveness stays 200 while draining.
        expect((await fetch(`${base}/healthz`)).status).toBe(200);
      } finally {
        stopping = false;
      }
    });
  });
}

describe('readiness of a database that does not answer', () => {
  const stuck = (execute: () => Promise<unknown>): Database =>
    ({ kind: 'pglite', location: 'test', close: async () => {}, db: { execute } }) as unknown as Database;

  it('fails the database check after the timeout and skips the migrations', async () => {
    const health = createHealth({ database: stuck(() => new Promise(() => {})), migrationsDir: MIGRATIONS_DIR, shuttingDown: () => false, timeoutMs: 50 });
    const r = await health.readiness();
    expect(r).toEqual({
      ready: false,
      checks: {
        database: { ok: false, message: 'select 1: no answer within 50 ms' },
        migrations: { ok: false, message: 'not checked: the database did not answer' },
        shutdown: { ok: true },
      },
    });
  });

  it('reports the error of a database that refuses', async () => {
    const { log: captured, lines } = capturedLog();
    let refuse = true;
    const health = createHealth({
      database: stuck(() => (refuse ? Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432')) : Promise.resolve([]))),
      migrationsDir: MIGRATIONS_DIR,
      shuttingDown: () => false,
      log: captured,
    });
    const r = await health.readiness();
    expect(r.ready).toBe(false);
    // Anyone may ask: the driver's words (hosts, users) go to the log, not the answer.
    expect(r.checks.database).toEqual({ ok: false, message: 'select 1 failed (the error is in the server log)' });
    expect(JSON.stringify(r)).not.toContain('127.0.0.1');
    await health.readiness();
    const failures = lines.filter((l) => l.msg === 'readiness check failed');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ level: 40, check: 'database', err: { message: 'connect ECONNREFUSED 127.0.0.1:5432' } });
    // Back (the migrations read answers no rows, so not ready, but the database answers), then
    // refusing again: the same failure is logged again.
    refuse = false;
    expect((await health.readiness()).checks.database).toEqual({ ok: true });
    refuse = true;
    await health.readiness();
    expect(lines.filter((l) => l.msg === 'readiness check failed')).toHaveLength(2);
    expect(lines.filter((l) => l.msg === 'readiness check passes again')).toMatchObject([{ check: 'database' }]);
  });

  it('shares one check between concurrent requests', async () => {
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const health = createHealth({
      database: stuck(async () => {
        calls++;
        await gate;
        return [];
      }),
      migrationsDir: MIGRATIONS_DIR,
      shuttingDown: () => false,
      timeoutMs: 5_000,
    });
    const answers = [health.readiness(), health.readiness(), health.readiness()];
    release();
    const results = await Promise.all(answers);
    // One select 1 and one read of the migrations table, for three requests.
    expect(calls).toBe(2);
    expect(results[0]).toBe(results[1]);
    expect(results[0]!.checks.migrations.ok).toBe(false);
  });
});
