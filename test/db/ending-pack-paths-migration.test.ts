/**
 * Migrations 0018–0022: packs sealed with their paths as jsonb (0014's layout) come out of
 * the upgrade with the same paths, each stored once in ending_pack_paths, the same cells,
 * and their drops by end kind and close code filled from end_rollup.
 * The session rows they were sealed from may be past raw retention, so nothing is re-sealed.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/open';
import { sealedPacks } from '../../db/queries/ending-bins';
import { rowsOf } from '../../db/queries/scope';
import { CELL_INTS } from '../../lib/rollups/ending-pack';

const MIGRATIONS = path.join(__dirname, '../../db/migrations');
/** The last migration with jsonb paths. */
const BEFORE = '0017_';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'dropscope-mig-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A copy of the migrations folder that stops at BEFORE. */
function migrationsUpTo(prefix: string): string {
  const dir = tmp();
  mkdirSync(path.join(dir, 'meta'));
  const journal = JSON.parse(readFileSync(path.join(MIGRATIONS, 'meta/_journal.json'), 'utf8')) as { entries: { tag: string }[] };
  const last = journal.entries.findIndex((e) => e.tag.startsWith(prefix));
  expect(last).toBeGreaterThan(0);
  journal.entries = journal.entries.slice(0, last + 1);
  writeFileSync(path.join(dir, 'meta/_journal.json'), JSON.stringify(journal));
  for (const e of journal.entries) copyFileSync(path.join(MIGRATIONS, `${e.tag}.sql`), path.join(dir, `${e.tag}.sql`));
  expect(readdirSync(dir).filter((f) => f.endsWith('.sql'))).toHaveLength(last + 1);
  return dir;
}

const cells = (...ints: number[]) => Buffer.from(Int32Array.from(ints).buffer).swap32().toString('hex');

describe('migrating jsonb paths to the path dictionary', () => {
  // Two PGlite databases migrated from nothing: tens of seconds on a loaded machine.
  it('keeps every pack: paths, longest ages, cell counts, cells and drops by ending', { timeout: 180_000 }, async () => {
    const dataDir = tmp();
    const old = await openDatabase({ kind: 'pglite', dataDir }, { migrationsDir: migrationsUpTo(BEFORE) });
    let probeId: number;
    try {
      // In SQL: the query layer writes today's columns, which a 0017 database does not have.
      const [probe] = rowsOf<{ id: number }>(await old.db.execute(sql`insert into probes (name, labels, token_hash) values ('mig', '{}', '') returning id`));
      probeId = Number(probe!.id);
      const chat = ['chat', 'direct', 'idle', 'idle', null];
      const feed = ['feed', 'squid', 'hb', 'heartbeat', 25_000];
      const packs: [string, unknown[], string][] = [
        ['2026-11-20T00:00:00Z', [[...chat, 60_050, 2], [...feed, null, 1]], cells(600, 5, 4, 2, 601, 1, 1, 0, 3_000_000, 1, 0, 0)],
        ['2026-11-20T01:00:00Z', [[...feed, 1e12, 1]], cells(-2_147_483_648, 2, 2, 3)],
      ];
      for (const [bucket, paths, bytes] of packs) {
        await old.db.execute(sql`insert into ending_packs (bucket, probe_id, paths, cells) values (${bucket}::timestamptz, ${probeId}, ${JSON.stringify(paths)}::jsonb, decode(${bytes}, 'hex'))`);
      }
      // The quarter-hours' endings kept at ingest: what the packs' endings are filled from.
      const ends: [string, string, string, number, number][] = [
        ['2026-11-20T00:00:00Z', 'chat', 'tcp_reset', 0, 3],
        ['2026-11-20T00:15:00Z', 'chat', 'close_frame', 1006, 2],
        ['2026-11-20T00:45:00Z', 'chat', 'tcp_reset', 0, 1],
        ['2026-11-20T00:30:00Z', 'feed', 'probe_closed', 0, 5],
        ['2026-11-20T00:45:00Z', 'feed', 'close_frame', 1000, 1],
        ['2026-11-20T01:00:00Z', 'feed', 'tcp_fin', 0, 4],
      ];
      for (const [bucket, target, kind, code, n] of ends) {
        const [proxy, profile] = target === 'chat' ? ['direct', 'idle'] : ['squid', 'hb'];
        await old.db.execute(sql`insert into end_rollup (bucket, probe_id, target_name, proxy_name, profile, end_kind, close_code, sessions)
          values (${bucket}::timestamptz, ${probeId}, ${target}, ${proxy}, ${profile}, ${kind}, ${code}, ${n})`);
      }
    } finally {
      await old.close();
    }

    const upgraded = await openDatabase({ kind: 'pglite', dataDir });
    try {
      const dictionary = rowsOf<{ n: number }>(await upgraded.db.execute(sql`select count(*)::int as n from ending_pack_paths`));
      expect(dictionary[0]!.n).toBe(2);
      const read = await sealedPacks(upgraded.db, { from: new Date('2026-11-20T00:00:00Z'), to: new Date('2026-11-20T02:00:00Z') }, [{ from: new Date('2026-11-20T00:00:00Z'), to: new Date('2026-11-20T02:00:00Z') }]);
      const view = read
        .sort((a, b) => a.bucket - b.bucket)
        .map((p) => ({
          probeId: p.probeId,
          paths: p.paths.map((x) => [x.target, x.proxy, x.profile, x.profileKind, x.gapMs]),
          maxAgeMs: [...p.maxAgeMs],
          cellCounts: p.paths.map((_x, k) => (p.offsets[k + 1]! - p.offsets[k]!) / CELL_INTS),
          cells: [...p.cells],
        }));
      expect(view).toEqual([
        {
          probeId: probeId!,
          paths: [
            ['chat', 'direct', 'idle', 'idle', null],
            ['feed', 'squid', 'hb', 'heartbeat', 25_000],
          ],
          maxAgeMs: [60_050, NaN],
          cellCounts: [2, 1],
          cells: [600, 5, 4, 2, 601, 1, 1, 0, 3_000_000, 1, 0, 0],
        },
        { probeId: probeId!, paths: [['feed', 'squid', 'hb', 'heartbeat', 25_000]], maxAgeMs: [1e12], cellCounts: [1], cells: [-2_147_483_648, 2, 2, 3] },
      ]);
      // One object per path across the packs.
      expect(read[0]!.paths.find((x) => x.target === 'feed')).toBe(read[1]!.paths[0]);

      // Their drops by end kind and close code, from the quarter-hours of their hour.
      const withEndings = await sealedPacks(upgraded.db, { from: new Date('2026-11-20T00:00:00Z'), to: new Date('2026-11-20T02:00:00Z') }, [{ from: new Date('2026-11-20T00:00:00Z'), to: new Date('2026-11-20T02:00:00Z') }], { endings: true });
      expect(
        withEndings
          .sort((a, b) => a.bucket - b.bucket)
          .map((p) => (p.endings ?? []).map((e) => [e.path.target, e.endKind, e.closeCode, e.count]).sort()),
      ).toEqual([
        [
          ['chat', 'close_frame', 1006, 2],
          ['chat', 'tcp_reset', 0, 4],
          ['feed', 'close_frame', 1000, 1],
        ],
        [['feed', 'tcp_fin', 0, 4]],
      ]);
    } finally {
      await upgraded.close();
    }
  });
});
