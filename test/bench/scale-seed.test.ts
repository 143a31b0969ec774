/**
 * The scale bench's seed (bench/scale-seed.ts, bench/dashboard-seed.ts) writes the tables by
 * COPY and SQL of its own, past the migrations' and ingest's code: a schema change it missed
 * (session 11: the dropped end_rollup) broke bench:scale after every test had passed. A
 * small fleet seeded, sealed and read here keeps the two in step (~50 s: the seed's week of
 * RTT minutes and partitions costs the same whatever the sessions; the smooth worst case
 * writes the same tables).
 */
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FLEET } from '../../bench/dashboard-seed';
import { cleanupAll } from '../../bench/cleanup';
import { seedDataSet } from '../../bench/scale-seed';
import { dropsReport } from '../../db/queries/drops';
import { rowsOf } from '../../db/queries/scope';
import { BUILTIN_LAYERS } from '../../lib/analysis/catalogue';

const url = process.env.TEST_DATABASE_URL;

describe.runIf(url)('the scale bench seed', () => {
  it('seeds, seals and serves a small fleet', async () => {
    const ages = 'planted';
    const to = new Date('2026-12-01T00:00:00Z');
    try {
      const seeded = await seedDataSet(url!, { label: `test ${ages}`, fleet: { ...DEFAULT_FLEET, sessions: 10_000, ages } }, to);
      expect(seeded.summary.sessions).toBe(10_000);
      const [packs] = rowsOf<{ n: number }>(await seeded.database.db.execute(sql`select count(*)::int as n from ending_packs`));
      expect(packs!.n).toBeGreaterThan(0);
      const report = await dropsReport(seeded.database.db, { from: new Date(to.getTime() - 7 * 86_400_000), to }, { bin: 'auto', scale: 'linear' }, { now: to, layers: BUILTIN_LAYERS });
      expect(report.totalDrops).toBe(seeded.summary.drops);
      expect(report.endKinds.reduce((n, e) => n + e.count, 0)).toBe(seeded.summary.drops);
    } finally {
      // Drops the scratch database seedDataSet registered, also when it failed half-way.
      await cleanupAll();
    }
  }, 180_000);
});
