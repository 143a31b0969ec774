/**
 * Opening the database: migrations on both backends, data kept across a restart, one
 * process per PGlite directory, and failures that say what to do.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { count } from 'drizzle-orm';
import postgres from 'postgres';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../db/data-dir-lock';
import { storeBatch } from '../../db/queries/ingest';
import { addProbe, listProbes } from '../../db/queries/probes';
import { openDatabase } from '../../db/open';
import { canarySessions } from '../../db/schema';
import { backends } from '../helpers/databases';
import { ended, opened } from '../helpers/events';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'dropscope-db-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

// Opening a database (migrating a fresh PGlite takes seconds, more on a loaded machine) is
// what these tests do, inside the test: a timeout of their own.
const OPENS = { timeout: 120_000 };

describe.each(backends())('migrations on $name', OPENS, (backend) => {
  it('creates every table a batch touches', async () => {
    const database = await backend.open();
    try {
      const { probe } = await addProbe(database.db, { name: 'm1', labels: {} });
      await storeBatch(database.db, probe.id, [opened('s-mig00001')], new Date());
      const [n] = await database.db.select({ n: count() }).from(canarySessions);
      expect(n!.n).toBe(1);
    } finally {
      await database.close();
    }
  });
});

describe('PGlite data directory', OPENS, () => {
  it('keeps the data across a restart, with no lock error', async () => {
    const dir = tmp();
    const first = await openDatabase({ kind: 'pglite', dataDir: dir });
    const { probe } = await addProbe(first.db, { name: 'restart-1', labels: { region: 'eu' } });
    await storeBatch(first.db, probe.id, [opened('s-rst00001'), ended('s-rst00001', 42_000)], new Date());
    await first.close();

    const second = await openDatabase({ kind: 'pglite', dataDir: dir });
    try {
      expect((await listProbes(second.db)).map((p) => [p.name, p.labels])).toEqual([['restart-1', { region: 'eu' }]]);
      const rows = await second.db.select().from(canarySessions);
      expect(rows.map((r) => [r.id, r.durationMs])).toEqual([['s-rst00001', 42_000]]);
    } finally {
      await second.close();
    }
  });

  it('refuses a second opener of a directory in use, and allows it once closed', async () => {
    const dir = tmp();
    const first = await openDatabase({ kind: 'pglite', dataDir: dir });
    await expect(openDatabase({ kind: 'pglite', dataDir: dir })).rejects.toMatchObject({ code: 'DB_ERR_LOCKED', message: expect.stringContaining(`process ${process.pid}`) });
    await first.close();
    const again = await openDatabase({ kind: 'pglite', dataDir: dir });
    await again.close();
  });

  it('refuses a directory held by another live process', async () => {
    const dir = tmp();
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      writeFileSync(path.join(dir, LOCK_FILE), String(other.pid));
      await expect(openDatabase({ kind: 'pglite', dataDir: dir })).rejects.toMatchObject({ code: 'DB_ERR_LOCKED', pid: other.pid });
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('takes over a lock left by a process that is gone (crash, kill -9)', async () => {
    const dir = tmp();
    const gone = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    await new Promise((r) => gone.once('exit', r));
    writeFileSync(path.join(dir, LOCK_FILE), String(gone.pid));
    const database = await openDatabase({ kind: 'pglite', dataDir: dir });
    await database.close();
  });

  it('reports an unusable data directory clearly', async () => {
    const file = path.join(tmp(), 'not-a-dir');
    writeFileSync(file, 'x');
    await expect(openDatabase({ kind: 'pglite', dataDir: file })).rejects.toMatchObject({
      code: 'DB_ERR_DATA_DIR',
      message: expect.stringMatching(/data directory .*not-a-dir is unusable .*DROPSCOPE_DATA_DIR/),
    });
  });
});

describe('PostgreSQL', OPENS, () => {
  const url = process.env.TEST_DATABASE_URL;

  // Replicas or a rolling deploy start servers at one moment on an empty database: the
  // second used to die on CREATE TYPE "end_kind" that the first had just created.
  it.runIf(url)('migrates an empty database once when several servers open it at the same moment', async () => {
    const name = `dropscope_t_${randomBytes(6).toString('hex')}`;
    const admin = postgres(url!, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    const scratch = new URL(url!);
    scratch.pathname = `/${name}`;
    try {
      const opened = await Promise.all(Array.from({ length: 4 }, () => openDatabase({ kind: 'postgres', url: scratch.toString(), poolSize: 2 })));
      try {
        const { probe } = await addProbe(opened[0]!.db, { name: 'edge-1', labels: {} });
        expect((await listProbes(opened[3]!.db)).map((p) => p.id)).toEqual([probe.id]);
      } finally {
        await Promise.all(opened.map((d) => d.close()));
      }
      const journal = await postgres(scratch.toString(), { max: 1, onnotice: () => {} });
      const applied = await journal`select count(*)::int as n from drizzle.__drizzle_migrations`;
      await journal.end({ timeout: 5 });
      expect(applied[0]!.n).toBe(readdirSync(path.join(process.cwd(), 'db/migrations')).filter((f) => f.endsWith('.sql')).length);
    } finally {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end({ timeout: 5 });
    }
  });

  it('reports an unreachable server without its password', async () => {
    await expect(openDatabase({ kind: 'postgres', url: 'postgres://app:hunter2@127.0.0.1:1/none' })).rejects.toMatchObject({
      code: 'DB_ERR_UNREACHABLE',
      message: expect.not.stringContaining('hunter2'),
    });
  });
});
