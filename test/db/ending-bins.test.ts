/**
 * The endings aggregate: writes mark their (hour, probe) dirty, the sealer turns closed
 * hours into the GROUP BY of their rows, and the analysis reads sealed hours from it and
 * the rest from the rows with answers equal to reading every row.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { analyzeScope, type AnalysisScope } from '../../db/queries/analysis';
import { dropsReport } from '../../db/queries/drops';
import { endingSplit, sealedPacks, sealEndingBins, sealPair } from '../../db/queries/ending-bins';
import { storeBatch } from '../../db/queries/ingest';
import { addProbe } from '../../db/queries/probes';
import { rowsOf } from '../../db/queries/scope';
import { BIN_MS } from '../../lib/analysis/analyze';
import { BUILTIN_LAYERS } from '../../lib/analysis/catalogue';
import { dropAge, dropIdle } from '../../lib/analysis/drop-values';
import type { EndKind } from '../../lib/contracts/ingest';
import { ENDING_BUCKET_MS, SEAL_GRACE_MS, endingBucketOf } from '../../lib/rollups/ending-buckets';
import { CELL_INTS, decodePack, NULL_BIN, readPathList } from '../../lib/rollups/ending-pack';
import { memberHorizons } from '../../lib/rollups/pack-windows';
import { backends } from '../helpers/databases';
import { sampleEvents } from '../helpers/sample-events';
import { mixture, PLANTS } from '../lib/analysis/synthetic';

const HOUR = ENDING_BUCKET_MS;
const BASE = Date.parse('2026-11-20T00:00:00Z');
/** Sessions a minute apart: the mixture spans several hours, so ranges have whole hours and edges. */
const SPACING_MS = 60_000;
const LATER = new Date(BASE + 30 * HOUR);

const sessions = mixture(PLANTS, { seed: 11, perPath: 12, background: 200, jitterMs: 50 });
const span = sessions.length * SPACING_MS;

/** Scopes whose edges fall inside hours, on every filter the aggregate keys on. */
const SCOPES: AnalysisScope[] = [
  { from: new Date(BASE - HOUR), to: LATER },
  { from: new Date(BASE + 37 * 60_000), to: new Date(BASE + span - 23 * 60_000) },
  { from: new Date(BASE), to: LATER, proxy: 'mobile-de' },
  { from: new Date(BASE), to: LATER, label: { key: 'region', value: 'eu' } },
  { from: new Date(BASE), to: LATER, profile: 'hb' },
];

interface RowFacts {
  probeId: number;
  target: string;
  proxy: string;
  profile: string;
  profileKind: string | null;
  gapMs: number | null;
  endedAt: number;
  endKind: EndKind;
  durationMs: number | null;
  sinceLastRecvMs: number | null;
  sinceLastSentMs: number | null;
}

/** The oracle: the aggregate of the rows, counted here from lib/analysis/drop-values.ts (zero counts are no cell). */
function expectedBins(rows: readonly RowFacts[]): Map<string, [number, number, number]> {
  const out = new Map<string, [number, number, number]>();
  const bump = (r: RowFacts, value: number | null, i: 0 | 1 | 2) => {
    const key = JSON.stringify([endingBucketOf(r.endedAt), r.probeId, r.target, r.proxy, r.profile, r.profileKind, r.gapMs, value === null ? null : Math.floor(value / BIN_MS)]);
    const counts = out.get(key) ?? [0, 0, 0];
    counts[i] += 1;
    out.set(key, counts);
  };
  for (const r of rows) {
    const dropped = r.endKind !== 'probe_closed';
    const age = dropAge(r);
    bump(r, age, 0);
    if (dropped) bump(r, age, 1);
    if (dropped) bump(r, dropIdle(r), 2);
  }
  return out;
}

describe.each(backends())('endings aggregate on $name', (backend) => {
  let database: Database;
  const probeIds = new Map<string, number>();

  const dirtyPairs = async () =>
    rowsOf<{ bucket: string | Date; probe_id: number; version: string | number }>(await database.db.execute(sql`select bucket, probe_id, version from ending_bins_dirty order by bucket, probe_id`)).map((r) => ({
      bucket: new Date(r.bucket).getTime(),
      probeId: Number(r.probe_id),
      version: Number(r.version),
    }));
  const analyses = () => Promise.all(SCOPES.map((scope) => analyzeScope(database.db, scope, { now: LATER, layers: BUILTIN_LAYERS })));
  /** The drops page of every scope at the widths read from 100 ms bins (auto, 1 s, 1 min) and from 50 ms ones (100 ms), with a cluster listed. */
  const dropPages = () =>
    Promise.all(SCOPES.flatMap((scope) => (['auto', '1s', '1m', '100ms'] as const).map((bin) => dropsReport(database.db, scope, { bin, scale: 'linear', cluster: 60 }, { now: LATER, layers: BUILTIN_LAYERS }))));

  beforeAll(async () => {
    database = await backend.open();
    for (const name of ['edge-fra-1', 'edge-nyc-1']) probeIds.set(name, (await addProbe(database.db, { name, labels: { region: name.includes('fra') ? 'eu' : 'us' } })).probe.id);
    for (const [probe, id] of probeIds) {
      const events = sessions.flatMap((s, i) => (s.probe === probe ? sampleEvents(s, i, { base: BASE, spacingMs: SPACING_MS }) : []));
      for (let i = 0; i < events.length; i += 1000) await storeBatch(database.db, id, events.slice(i, i + 1000), LATER);
    }
  }, 120_000);
  afterAll(() => database.close());

  it('seals closed hours into the GROUP BY of their rows, and the analysis answers as from the rows alone', async () => {
    const rows = rowsOf<Record<string, unknown>>(
      await database.db.execute(sql`select probe_id, target_name, proxy_name, profile, profile_kind, gap_ms, (extract(epoch from ended_at) * 1000)::float8 as ended_at,
          end_kind, duration_ms, since_last_recv_ms, since_last_sent_ms from canary_sessions where end_kind is not null`),
    ).map(
      (r): RowFacts => ({
        probeId: Number(r.probe_id),
        target: r.target_name as string,
        proxy: r.proxy_name as string,
        profile: r.profile as string,
        profileKind: (r.profile_kind as string | null) ?? null,
        gapMs: r.gap_ms === null ? null : Number(r.gap_ms),
        endedAt: Number(r.ended_at),
        endKind: r.end_kind as EndKind,
        durationMs: r.duration_ms === null ? null : Number(r.duration_ms),
        sinceLastRecvMs: r.since_last_recv_ms === null ? null : Number(r.since_last_recv_ms),
        sinceLastSentMs: r.since_last_sent_ms === null ? null : Number(r.since_last_sent_ms),
      }),
    );
    expect(rows.length).toBe(sessions.length);
    // Every (hour, probe) written is dirty, nothing else.
    const written = [...new Set(rows.map((r) => JSON.stringify([endingBucketOf(r.endedAt), r.probeId])))].sort();
    expect((await dirtyPairs()).map((p) => JSON.stringify([p.bucket, p.probeId])).sort()).toEqual(written);
    expect(written.length).toBeGreaterThan(6);

    const fromRows = await analyses();
    const pagesFromRows = await dropPages();
    expect(pagesFromRows[0]!.cluster?.total).toBeGreaterThan(0);
    expect(fromRows[0]!.signatures.map((s) => s.nSeconds).sort((a, b) => a - b)).toEqual([55, 60, 100, 350]);

    const outcome = await sealEndingBins(database.db, { now: LATER, limit: 1000 });
    expect(outcome).toEqual({ sealed: written.length, left: 0 });
    expect(await dirtyPairs()).toEqual([]);

    const stored = rowsOf<{ bucket: number | string; probe_id: number; path_list: string; cells: string }>(
      await database.db.execute(sql`select (extract(epoch from bucket) * 1000)::float8 as bucket, probe_id, encode(path_list, 'base64') as path_list, encode(cells, 'base64') as cells from ending_packs`),
    );
    const dictionary = new Map(
      rowsOf<{ id: number; target_name: string; proxy_name: string; profile: string; profile_kind: string | null; gap_ms: number | null }>(await database.db.execute(sql`select * from ending_pack_paths`)).map((r) => [
        r.id,
        { id: r.id, target: r.target_name, proxy: r.proxy_name, profile: r.profile, profileKind: r.profile_kind, gapMs: r.gap_ms },
      ]),
    );
    // Each path once in the dictionary.
    expect(new Set([...dictionary.values()].map((p) => JSON.stringify([p.target, p.proxy, p.profile, p.profileKind, p.gapMs]))).size).toBe(dictionary.size);
    const got = new Map<string, [number, number, number]>();
    for (const r of stored) {
      const pack = decodePack({ bucket: Number(r.bucket), probeId: Number(r.probe_id), pathList: readPathList(r.path_list), cellsBase64: r.cells }, dictionary);
      for (const [k, p] of pack.paths.entries()) {
        const bins = [];
        for (let at = pack.offsets[k]!; at < pack.offsets[k + 1]!; at += CELL_INTS) {
          const [bin, sessions, drops, idle] = pack.cells.subarray(at, at + CELL_INTS);
          bins.push(bin!);
          got.set(JSON.stringify([Number(r.bucket), pack.probeId, p.target, p.proxy, p.profile, p.profileKind, p.gapMs, bin === NULL_BIN ? null : bin]), [sessions!, drops!, idle!]);
        }
        // A path's cells in bin order, the null bin first.
        expect(bins).toEqual([...bins].sort((a, b) => a - b));
      }
    }
    expect(got).toEqual(expectedBins(rows));

    // Sealed hours from the aggregate, edges from the rows: the same answers.
    expect(await analyses()).toEqual(fromRows);
    expect(await dropPages()).toEqual(pagesFromRows);
  });

  it('takes an hour written after its seal from the rows until it is sealed again', async () => {
    const before = await analyses();
    const probeId = probeIds.get('edge-fra-1')!;
    const sample = { ...sessions.find((s) => s.probe === 'edge-fra-1' && s.dropped)!, proxyHeaders: undefined };
    const late = sampleEvents(sample, sessions.length + 5, { base: BASE - (sessions.length + 5) * SPACING_MS + 2 * HOUR + 60_000, spacingMs: SPACING_MS });
    await storeBatch(database.db, probeId, late, LATER);
    const dirty = await dirtyPairs();
    expect(dirty).toHaveLength(1);
    expect(dirty[0]).toMatchObject({ probeId, bucket: endingBucketOf(Date.parse((late[1] as { endedAt: string }).endedAt)) });

    const withLate = await analyses();
    const pagesWithLate = await dropPages();
    expect(withLate[0]!.totalDrops).toBe(before[0]!.totalDrops + 1);
    expect(pagesWithLate[0]!.totalDrops).toBe(before[0]!.totalDrops + 1);

    // A seal that read an older version (a write landed meanwhile) leaves the mark.
    const pair = { bucket: new Date(dirty[0]!.bucket), probeId, version: dirty[0]!.version };
    expect(await sealPair(database.db, { ...pair, version: pair.version - 1 })).toBe(false);
    expect(await dirtyPairs()).toHaveLength(1);
    expect(await sealPair(database.db, pair)).toBe(true);
    expect(await dirtyPairs()).toEqual([]);
    expect(await analyses()).toEqual(withLate);
    expect(await dropPages()).toEqual(pagesWithLate);
  });

  it('leaves an hour open until its grace has passed', async () => {
    const hourStart = endingBucketOf(BASE + span + 3 * HOUR);
    const sample = sessions.find((s) => s.probe === 'edge-nyc-1' && s.dropped)!;
    const events = sampleEvents(sample, 0, { base: hourStart + 60_000 - (sample.ageMs ?? 0) }).map((e) => ({ ...e, sessionId: 'late-open-hour', id: `${e.id}-open-hour` }));
    await storeBatch(database.db, probeIds.get('edge-nyc-1')!, events, LATER);
    expect(await sealEndingBins(database.db, { now: new Date(hourStart + HOUR + SEAL_GRACE_MS - 1) })).toEqual({ sealed: 0, left: 0 });
    expect(await sealEndingBins(database.db, { now: new Date(hourStart + HOUR + SEAL_GRACE_MS) })).toEqual({ sealed: 1, left: 0 });
  });
});

describe.each(backends())('members of a window larger than the sample on $name', (backend) => {
  let database: Database;
  // Enough drops per signature that the sealed hours alone hold a sample of some windows:
  // the members' read then starts at their horizon, and must find the same latest ones.
  const many = mixture(PLANTS, { seed: 12, perPath: 150, background: 300, jitterMs: 50 });
  const scope: AnalysisScope = { from: new Date(BASE - HOUR), to: new Date(BASE + many.length * SPACING_MS + HOUR) };

  beforeAll(async () => {
    database = await backend.open();
    for (const name of ['edge-fra-1', 'edge-nyc-1']) {
      const { probe } = await addProbe(database.db, { name, labels: { region: name.includes('fra') ? 'eu' : 'us' } });
      const events = many.flatMap((s, i) => (s.probe === name ? sampleEvents(s, i, { base: BASE, spacingMs: SPACING_MS }) : []));
      for (let i = 0; i < events.length; i += 2000) await storeBatch(database.db, probe.id, events.slice(i, i + 2000), scope.to);
    }
  }, 300_000);
  afterAll(() => database.close());

  it('reads the same latest members from a horizon as from the whole range', async () => {
    const now = scope.to;
    const fromRows = await analyzeScope(database.db, scope, { now, layers: BUILTIN_LAYERS });
    await sealEndingBins(database.db, { now, limit: 5000 });
    const split = await endingSplit(database.db, scope.from, scope.to);
    const packs = await sealedPacks(database.db, scope, split.sealed);
    const windows = fromRows.signatures.map((s) => ({ dimension: s.dimension, lo: Math.round(s.window.lowMs / BIN_MS), hi: Math.round(s.window.highMs / BIN_MS) }));
    // The test means something only if some window's horizon falls inside the range.
    expect(memberHorizons(packs, {}, windows, 500).some((h) => h !== null && h > scope.from.getTime())).toBe(true);
    expect(await analyzeScope(database.db, scope, { now, layers: BUILTIN_LAYERS })).toEqual(fromRows);
  }, 120_000);
});
