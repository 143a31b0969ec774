/**
 * The report aggregates (attempt_lifetimes for the paths matrix, duration_bins for the
 * overview's histogram; migration 0012): every answer read with sealed hours equals the one
 * read from the rows alone, for scopes whose edges cut hours, every filter, split by probe
 * or not, and overview windows whose open and closed ends fall on and off the hour; a
 * write into a sealed hour (a late end, a replayed session) is read from the rows until
 * it is sealed again. The oracle counts the same things from the rows in JS.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { storeBatch } from '../../db/queries/ingest';
import { overview } from '../../db/queries/overview';
import { pathDetail } from '../../db/queries/path-detail';
import { pathsMatrix } from '../../db/queries/paths';
import { addProbe } from '../../db/queries/probes';
import { ATTEMPT_LIFETIMES } from '../../db/queries/attempt-lifetimes';
import { sealReportBins } from '../../db/queries/report-bins';
import { sealReportPair } from '../../db/queries/sealed-aggregate';
import { rowsOf } from '../../db/queries/scope';
import type { IngestEvent, PathDescriptor } from '../../lib/contracts/ingest';
import type { DashboardScope } from '../../lib/dashboard/scope';
import { MEDIAN_LIFETIME_RELATIVE_ERROR, binnedMedian, lifetimeBin } from '../../lib/rollups/lifetime-bins';
import { backends } from '../helpers/databases';
import { ended, failed, opened, path, shuffledBatches } from '../helpers/events';
import { rng } from '../lib/analysis/synthetic';

const HOUR = 3_600_000;
const MIN = 60_000;
const BASE = new Date('2026-11-20T08:00:00Z');
const at = (ms: number) => new Date(BASE.getTime() + ms);
const LATER = at(30 * HOUR);

const PATHS: PathDescriptor[] = [
  path({ target: 'chat' }),
  path({ target: 'chat', proxy: 'squid', kind: 'http' }),
  { ...path({ target: 'feed', proxy: 'mobile', kind: 'socks5', profile: 'hb' }), profileKind: 'heartbeat' },
  { ...path({ target: 'feed', profile: 'ladder-45' }), profileKind: 'ladder', gapMs: 45_000 },
];

/** Six hours of sessions: refusals, live canaries, ends without their open, a 60 s cut through squid, sub-millisecond lifetimes. */
function fleet(random: () => number, count: number, prefix: string): IngestEvent[] {
  const pick = <T,>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const out: IngestEvent[] = [];
  for (let i = 0; i < count; i++) {
    const id = `${prefix}-${i}`;
    const p = pick(PATHS);
    const base = at(Math.floor(random() * 6 * HOUR));
    if (random() < 0.1) {
      out.push(failed(id, { path: p, outcome: pick(['upgrade_refused', 'proxy_refused'] as const), httpStatus: pick([403, 502]) }, base));
      continue;
    }
    const open = opened(id, { path: p }, base);
    if (random() < 0.15) {
      out.push(open);
      continue;
    }
    let duration = -Math.log(1 - random()) * 600_000;
    if (p.proxy.name === 'squid' && random() < 0.5) duration = 60_000 + random() * 40;
    if (i % 37 === 0) duration = random() * 0.9;
    if (random() > 0.1) out.push(open);
    out.push(ended(id, duration, { path: p, endKind: pick(['tcp_fin', 'tcp_reset', 'probe_closed', 'pong_timeout'] as const) }, base));
  }
  // On the boundaries: attempted exactly on an hour and a quarter, ended exactly on an hour.
  for (const [k, h] of [2, 3, 5].entries()) {
    const b = at(h * HOUR);
    out.push(opened(`${prefix}-edge-${k}-a`, {}, b), ended(`${prefix}-edge-${k}-a`, 90_000, {}, b));
    const e = at(h * HOUR - 5 - 120_000);
    out.push(opened(`${prefix}-edge-${k}-b`, {}, e), ended(`${prefix}-edge-${k}-b`, 120_000, { endKind: 'probe_closed' }, e));
    out.push(failed(`${prefix}-edge-${k}-c`, {}, at(h * HOUR + 15 * MIN)));
  }
  return out;
}

const SCOPES: DashboardScope[] = [
  { from: at(-HOUR), to: LATER },
  { from: at(HOUR + 17 * MIN + 123), to: at(4 * HOUR + 3 * MIN) },
  { from: at(2 * HOUR), to: at(5 * HOUR) },
  { from: at(0), to: LATER, proxy: 'squid' },
  { from: at(0), to: LATER, target: 'feed' },
  { from: at(0), to: LATER, proxy: 'mobile', probe: 'edge-a' },
  { from: at(30 * MIN), to: LATER, label: { key: 'region', value: 'eu' } },
  { from: at(0), to: LATER, profile: 'ladder-45' },
];
/** [now, windowMs]: ends off the hour, on the hour, and a window opening on the hour. */
const WINDOWS: [Date, number][] = [
  [at(4 * HOUR + 61_001), HOUR],
  [at(4 * HOUR + 61_001), 3 * HOUR + 17 * MIN + 123],
  [at(5 * HOUR), 3 * HOUR],
  [at(6 * HOUR - 1), 9 * HOUR],
  [at(7 * HOUR), 24 * HOUR],
];

interface Row {
  probe: string;
  target: string;
  proxy: string;
  attemptedAt: number;
  outcome: string | null;
  httpStatus: number | null;
  endedAt: number | null;
  endKind: string | null;
  durationMs: number | null;
}

/** percentile_cont(0.5), in JS. */
function exactMedian(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const v = [...xs].sort((a, b) => a - b);
  const pos = (v.length - 1) / 2;
  return v[Math.floor(pos)]! + (pos - Math.floor(pos)) * (v[Math.ceil(pos)]! - v[Math.floor(pos)]!);
}

describe.each(backends())('report aggregates on $name', (backend) => {
  let database: Database;
  const probeIds = new Map<string, number>();

  const matrices = () => Promise.all(SCOPES.flatMap((scope) => [false, true].map((byProbe) => pathsMatrix(database.db, scope, { byProbe, now: LATER }))));
  const summaries = () => Promise.all(SCOPES.map(async (scope) => (await pathDetail(database.db, { target: 'chat', proxy: 'squid' }, scope, LATER)).summary));
  const overviews = () => Promise.all(WINDOWS.map(([now, windowMs]) => overview(database.db, { now, windowMs })));
  const reports = async () => ({ matrices: await matrices(), summaries: await summaries(), overviews: await overviews() });
  const dirtyCount = async (table: string) => Number(rowsOf<{ n: string | number }>(await database.db.execute(sql`select count(*) as n from ${sql.identifier(table)}`))[0]!.n);
  const sessionRows = async (): Promise<Row[]> =>
    rowsOf<Record<string, unknown>>(
      await database.db.execute(sql`select p.name as probe, target_name, proxy_name, (extract(epoch from attempted_at) * 1000)::float8 as attempted_at, outcome::text, http_status,
          (extract(epoch from ended_at) * 1000)::float8 as ended_at, end_kind::text, duration_ms from canary_sessions s join probes p on p.id = s.probe_id`),
    ).map((r) => ({
      probe: String(r.probe),
      target: String(r.target_name),
      proxy: String(r.proxy_name),
      attemptedAt: Number(r.attempted_at),
      outcome: (r.outcome as string | null) ?? null,
      httpStatus: r.http_status === null ? null : Number(r.http_status),
      endedAt: r.ended_at === null ? null : Number(r.ended_at),
      endKind: (r.end_kind as string | null) ?? null,
      durationMs: r.duration_ms === null ? null : Number(r.duration_ms),
    }));

  /** The oracle: the unfiltered matrix of a scope and the overview's attempts and histogram, from the rows. */
  async function expectOracle(got: Awaited<ReturnType<typeof reports>>) {
    const rows = await sessionRows();
    const scope = SCOPES[1]!;
    const inScope = rows.filter((r) => r.attemptedAt >= scope.from.getTime() && r.attemptedAt < scope.to.getTime());
    const cells = new Map<string, Row[]>();
    for (const r of inScope) cells.set(`${r.target}~${r.proxy}`, [...(cells.get(`${r.target}~${r.proxy}`) ?? []), r]);
    const matrix = got.matrices[2]!;
    expect(matrix.cells.map((c) => c.id).sort()).toEqual([...cells.keys()].sort());
    for (const c of matrix.cells) {
      const rs = cells.get(c.id)!;
      const ends = rs.filter((r) => r.endKind !== null);
      const durations = ends.map((r) => r.durationMs!).filter((d) => d !== null);
      expect(c).toMatchObject({ attempts: rs.filter((r) => r.outcome !== null).length, opened: rs.filter((r) => r.outcome === 'opened').length, ended: ends.length, drops: ends.filter((r) => r.endKind !== 'probe_closed').length });
      expect(Date.parse(c.lastAttemptAt)).toBe(Math.max(...rs.map((r) => r.attemptedAt)));
      const bins = durations.map(lifetimeBin).sort((a, b) => a - b);
      const n = bins.length;
      expect(c.medianLifetimeMs).toBeCloseTo(binnedMedian(n, bins[Math.floor((n - 1) / 2)] ?? null, bins[Math.floor(n / 2)] ?? null)!, 6);
      const exact = exactMedian(durations)!;
      expect(Math.abs(c.medianLifetimeMs! - exact)).toBeLessThanOrEqual(Math.max(exact * MEDIAN_LIFETIME_RELATIVE_ERROR, 0.5));
    }
    WINDOWS.forEach(([now, windowMs], i) => {
      const from = now.getTime() - windowMs;
      const inWindow = (t: number | null) => t !== null && t > from && t <= now.getTime();
      const o = got.overviews[i]!;
      const attempts = rows.filter((r) => inWindow(r.attemptedAt) && r.outcome !== null);
      expect(o.attempts).toBe(attempts.length);
      expect(o.upgrades101).toBe(attempts.filter((r) => r.httpStatus === 101).length);
      const timed = rows.filter((r) => inWindow(r.endedAt) && r.endKind !== null && r.durationMs !== null);
      expect(o.histogram.bins.reduce((a, b) => a + b.count, 0)).toBe(timed.length);
      const w = o.histogram.binWidthMs;
      for (const [k, bin] of o.histogram.bins.entries()) {
        const here = timed.filter((r) => Math.floor(r.durationMs! / w + 0.5) === k);
        expect([bin.count, bin.drops]).toEqual([here.length, here.filter((r) => r.endKind !== 'probe_closed').length]);
      }
    });
  }

  beforeAll(async () => {
    database = await backend.open();
    for (const [name, region] of [['edge-a', 'eu'], ['edge-b', 'us']]) probeIds.set(name!, (await addProbe(database.db, { name: name!, labels: { region: region! } })).probe.id);
    const random = rng(20261206);
    const events = [
      ...shuffledBatches(random, fleet(random, 500, 'a'), 60).map((batch) => ({ probe: probeIds.get('edge-a')!, batch })),
      ...shuffledBatches(random, fleet(random, 250, 'b'), 60).map((batch) => ({ probe: probeIds.get('edge-b')!, batch })),
    ];
    for (const { probe, batch } of events) {
      await storeBatch(database.db, probe, batch, LATER);
      if (random() < 0.2) await storeBatch(database.db, probe, batch, LATER);
    }
  }, 120_000);
  afterAll(() => database?.close());

  it('answers from sealed hours as from the rows alone', async () => {
    expect(await dirtyCount('attempt_lifetimes_dirty')).toBeGreaterThan(6);
    expect(await dirtyCount('duration_bins_dirty')).toBeGreaterThan(6);
    const fromRows = await reports();
    expect(fromRows.matrices[0]!.cells.length).toBeGreaterThan(3);
    expect(fromRows.overviews[4]!.histogram.bins.length).toBeGreaterThan(1);
    await expectOracle(fromRows);

    const outcome = await sealReportBins(database.db, { now: LATER, limit: 1000 });
    expect(outcome.left).toBe(0);
    expect(outcome.sealed).toBeGreaterThan(12);
    expect(await dirtyCount('attempt_lifetimes_dirty')).toBe(0);
    expect(await dirtyCount('duration_bins_dirty')).toBe(0);
    expect(await dirtyCount('attempt_lifetimes')).toBeGreaterThan(0);
    expect(await dirtyCount('duration_bins')).toBeGreaterThan(0);

    expect(await reports()).toEqual(fromRows);
  });

  it('reads an hour written after its seal from the rows until it is sealed again', async () => {
    const before = await reports();
    // A live canary of a sealed hour ends late; a session of a sealed hour is reported late.
    const live = rowsOf<{ id: string; attempted_at: string | Date }>(
      await database.db.execute(sql`select id, attempted_at from canary_sessions where probe_id = ${probeIds.get('edge-a')!} and outcome = 'opened' and ended_at is null
        and target_name = 'chat' and proxy_name = 'squid' and attempted_at >= ${at(2 * HOUR).toISOString()}::timestamptz and attempted_at < ${at(4 * HOUR).toISOString()}::timestamptz order by id limit 1`),
    )[0]!;
    const base = new Date(live.attempted_at);
    const squid = PATHS[1]!;
    const late = [ended(live.id, 60_010, { path: squid, attemptedAt: base.toISOString() }, base), opened('late-new', { path: squid }, at(3 * HOUR + 7 * MIN)), ended('late-new', 61_000, { path: squid }, at(3 * HOUR + 7 * MIN))];
    await storeBatch(database.db, probeIds.get('edge-a')!, late, LATER);
    expect(await dirtyCount('attempt_lifetimes_dirty')).toBeGreaterThan(0);
    expect(await dirtyCount('duration_bins_dirty')).toBeGreaterThan(0);

    const withLate = await reports();
    const squidCell = (r: typeof before) => r.matrices[0]!.cells.find((c) => c.id === 'chat~squid')!;
    expect(squidCell(withLate).ended).toBe(squidCell(before).ended + 2);
    expect(squidCell(withLate).attempts).toBe(squidCell(before).attempts + 1);
    await expectOracle(withLate);

    // A seal that read an older version (written meanwhile) leaves the mark; the current one removes it.
    const [pair] = rowsOf<{ bucket: string | Date; probe_id: number; version: string | number }>(await database.db.execute(sql`select bucket, probe_id, version from attempt_lifetimes_dirty order by bucket limit 1`));
    const p = { bucket: new Date(pair!.bucket), probeId: Number(pair!.probe_id), version: Number(pair!.version) };
    expect(await sealReportPair(database.db, ATTEMPT_LIFETIMES, { ...p, version: p.version - 1 })).toBe(false);
    expect(await dirtyCount('attempt_lifetimes_dirty')).toBeGreaterThan(0);
    expect(await sealReportBins(database.db, { now: LATER })).toMatchObject({ left: 0 });
    expect(await dirtyCount('attempt_lifetimes_dirty')).toBe(0);
    expect(await dirtyCount('duration_bins_dirty')).toBe(0);
    expect(await reports()).toEqual(withLate);
  });
});
