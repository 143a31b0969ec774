/**
 * Migration 0026 (issue 18) upgrading a database that holds 0025's rows, on every backend:
 * the profile_kind enum gains `bisect` and `keepalive` by ALTER TYPE ... ADD VALUE, which
 * PostgreSQL allows in the migrations' one transaction only while nothing in it uses the new
 * values; old sessions keep null descriptor fields; plan_profiles takes the new kinds;
 * plan_chains and plan_experiments hold their checks.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterEach, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { openDatabase } from '../../db/open';
import { rowsOf } from '../../db/queries/scope';

const MIGRATIONS = path.join(__dirname, '../../db/migrations');
const BEFORE = '0025_';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'dropscope-mig26-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
};

/** A copy of the migrations folder that stops at `prefix`. */
function migrationsUpTo(prefix: string): string {
  const dir = tmp();
  mkdirSync(path.join(dir, 'meta'));
  const journal = JSON.parse(readFileSync(path.join(MIGRATIONS, 'meta/_journal.json'), 'utf8')) as { entries: { tag: string }[] };
  const last = journal.entries.findIndex((e) => e.tag.startsWith(prefix));
  expect(last).toBeGreaterThan(0);
  journal.entries = journal.entries.slice(0, last + 1);
  writeFileSync(path.join(dir, 'meta/_journal.json'), JSON.stringify(journal));
  for (const e of journal.entries) copyFileSync(path.join(MIGRATIONS, `${e.tag}.sql`), path.join(dir, `${e.tag}.sql`));
  return dir;
}

/** Open the same database twice: first migrated up to 0025, then with every migration. */
interface Place {
  name: string;
  open(migrationsDir?: string): Promise<Database>;
}

function places(): Place[] {
  const list: Place[] = [
    {
      name: 'pglite',
      open: (() => {
        let dir: string | undefined;
        return (migrationsDir?: string) => openDatabase({ kind: 'pglite', dataDir: (dir ??= tmp()) }, migrationsDir ? { migrationsDir } : {});
      })(),
    },
  ];
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    let scratch: string | undefined;
    list.push({
      name: 'postgres',
      open: async (migrationsDir?: string) => {
        if (!scratch) {
          const name = `dropscope_t_${randomBytes(6).toString('hex')}`;
          const admin = postgres(url, { max: 1, onnotice: () => {} });
          await admin.unsafe(`create database ${name}`);
          cleanups.push(async () => {
            await admin.unsafe(`drop database if exists ${name} with (force)`);
            await admin.end({ timeout: 5 });
          });
          const u = new URL(url);
          u.pathname = `/${name}`;
          scratch = u.toString();
        }
        return openDatabase({ kind: 'postgres', url: scratch, poolSize: 2 }, migrationsDir ? { migrationsDir } : {});
      },
    });
  }
  return list;
}

describe.each(places())('migration 0026 on $name', (place) => {
  // Two migrations from nothing on PGlite: tens of seconds on a loaded machine.
  it('upgrades a 0025 database with rows: enum values, new columns null on old rows, new tables and checks', { timeout: 180_000 }, async () => {
    const old = await place.open(migrationsUpTo(BEFORE));
    try {
      // In SQL: the query layer writes today's columns, which a 0025 database does not have.
      await old.db.execute(sql`insert into probes (name, labels, token_hash) values ('mig', '{}', '')`);
      await old.db.execute(sql`insert into canary_sessions (id, probe_id, target_name, target_url, proxy_name, proxy_kind, profile, profile_kind, gap_ms, attempted_at)
        select 'old-ladder', id, 'app', 'ws://127.0.0.1:1/', 'direct', 'direct', 'ladder', 'ladder', 60000, now() from probes`);
      await old.db.execute(sql`insert into plan_profiles (name, kind, settings) values ('lad', 'ladder', '{"gapsMs":[15000],"timeoutMs":10000}')`);
      await expect(old.db.execute(sql`insert into plan_profiles (name, kind) values ('bis', 'bisect')`)).rejects.toThrow();
    } finally {
      await old.close();
    }

    const db = await place.open();
    try {
      const [old] = rowsOf<Record<string, unknown>>(await db.db.execute(sql`select profile_kind, gap_ms, keepalive_ms, interval_ms, hold_ms, echo from canary_sessions where id = 'old-ladder'`));
      expect(old).toEqual({ profile_kind: 'ladder', gap_ms: 60000, keepalive_ms: null, interval_ms: null, hold_ms: null, echo: null });

      // The new values are usable once the migrating transaction has committed.
      await db.db.execute(sql`insert into canary_sessions (id, probe_id, target_name, target_url, proxy_name, proxy_kind, profile, profile_kind, gap_ms, keepalive_ms, attempted_at)
        select 'new-keepalive', id, 'app', 'ws://127.0.0.1:1/', 'direct', 'direct', 'keepalive-25s', 'keepalive', 112500, 25000, now() from probes`);
      await db.db.execute(sql`insert into plan_profiles (name, kind, settings) values ('bis', 'bisect', '{"fromMs":15000,"maxMs":1800000,"timeoutMs":10000}')`);
      const kinds = rowsOf<{ k: string }>(await db.db.execute(sql`select unnest(enum_range(null::profile_kind))::text as k`)).map((r) => r.k);
      expect(kinds).toEqual(['idle', 'heartbeat', 'echo', 'ladder', 'bisect', 'keepalive']);

      await expect(db.db.execute(sql`insert into plan_chains (name, hops) values ('one', '{cdn}')`)).rejects.toThrow();
      await db.db.execute(sql`insert into plan_chains (name, hops) values ('svc', '{cdn,lb,app}')`);
      await expect(
        db.db.execute(sql`insert into plan_experiments (probe_id, target_name, proxy_name, kind, profile, purpose, signature, expires_at)
          select id, 'app', 'direct', 'bisect', '{}', 'x', '{}', now() from probes`),
      ).rejects.toThrow();
      await db.db.execute(sql`insert into plan_experiments (probe_id, target_name, proxy_name, kind, profile, purpose, signature, expires_at)
        select id, 'app', 'direct', 'verify', '{"name":"verify-hb-30s","kind":"heartbeat","interval":30000,"timeout":10000,"hold":225000}', 'verify', '{"key":"idle-75s","nMs":75000,"kind":"idle"}', now() from probes`);
      // Gone with its probe.
      await db.db.execute(sql`delete from probes`);
      expect(rowsOf(await db.db.execute(sql`select 1 from plan_experiments`))).toEqual([]);
    } finally {
      await db.close();
    }
  });
});
