/**
 * The path dictionary (ending_pack_paths) under concurrent seals: servers sealing the same
 * hour of different probes whose paths are new take each path once, and every pack names
 * all its paths (the seal inserts them in a statement of its own, then builds the pack in a
 * snapshot that sees what a concurrent seal committed; db/queries/ending-bins.ts). The
 * seals run at once on the pool's connections: the interleavings are PostgreSQL's, not forced.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { sealedPacks, sealPair } from '../../db/queries/ending-bins';
import { storeBatch } from '../../db/queries/ingest';
import { addProbe } from '../../db/queries/probes';
import { rowsOf } from '../../db/queries/scope';
import { ENDING_BUCKET_MS } from '../../lib/rollups/ending-buckets';
import { backends } from '../helpers/databases';
import { ended, opened, path } from '../helpers/events';

const HOURS = 6;
const PROBES = 4;
const BASE = new Date('2026-11-20T00:00:00Z');
const LATER = new Date(BASE.getTime() + (HOURS + 2) * ENDING_BUCKET_MS);

describe.each(backends())('the path dictionary on $name', (backend) => {
  let database: Database;
  const probeIds: number[] = [];

  beforeAll(async () => {
    database = await backend.open();
    for (let p = 0; p < PROBES; p++) probeIds.push((await addProbe(database.db, { name: `dict-${p}`, labels: {} })).probe.id);
    // Every probe ends sessions on the same three paths in every hour, and on one of its own.
    for (const [p, probeId] of probeIds.entries()) {
      const events = [];
      for (let h = 0; h < HOURS; h++) {
        const base = new Date(BASE.getTime() + h * ENDING_BUCKET_MS + 60_000);
        for (const [k, target] of ['chat', 'feed', 'ws', `own-${p}`].entries()) {
          const id = `s-dict-${p}-${h}-${k}`;
          const on = path({ target, profile: k === 1 ? 'hb' : 'idle' });
          events.push(opened(id, { path: on }, base), ended(id, 30_000 + k * 1000, { path: on }, base));
        }
      }
      await storeBatch(database.db, probeId, events, LATER);
    }
  }, 120_000);
  afterAll(() => database.close());

  it('takes each path once and names every path of every pack, however the seals interleave', async () => {
    // Each hour's probes sealed at once, each on a connection of its own (the pool's).
    for (let h = 0; h < HOURS; h++) {
      const bucket = new Date(BASE.getTime() + h * ENDING_BUCKET_MS);
      const marks = rowsOf<{ probe_id: number; version: string | number }>(
        await database.db.execute(sql`select probe_id, version from ending_bins_dirty where bucket = ${bucket.toISOString()}::timestamptz`),
      );
      expect(marks).toHaveLength(PROBES);
      const sealed = await Promise.all(marks.map((m) => sealPair(database.db, { bucket, probeId: Number(m.probe_id), version: Number(m.version) })));
      expect(sealed).toEqual(marks.map(() => true));
    }
    const dictionary = rowsOf<{ target_name: string; n: number }>(await database.db.execute(sql`select target_name, count(*)::int as n from ending_pack_paths group by 1 order by 1`));
    expect(dictionary).toEqual(['chat', 'feed', ...probeIds.map((_p, i) => `own-${i}`), 'ws'].sort().map((target_name) => ({ target_name, n: 1 })));
    const packs = await sealedPacks(database.db, { from: BASE, to: LATER }, [{ from: BASE, to: LATER }], { endings: true });
    expect(packs).toHaveLength(HOURS * PROBES);
    for (const pack of packs) {
      const p = probeIds.indexOf(pack.probeId);
      expect(pack.paths.map((x) => x.target).sort()).toEqual(['chat', 'feed', `own-${p}`, 'ws'].sort());
      expect((pack.endings ?? []).map((e) => [e.path.target, e.endKind, e.closeCode, e.count]).sort()).toEqual(
        ['chat', 'feed', `own-${p}`, 'ws'].sort().map((target) => [target, 'tcp_fin', 1006, 1]),
      );
    }
  }, 120_000);
});
