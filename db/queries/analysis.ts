/**
 * The drop analysis over a scope of the database: the histograms of age and of idle time
 * before the drop, read for the range's sealed hours from the endings aggregate
 * (db/queries/ending-bins.ts) and for the rest from the rows; the per-path counts around
 * every window (db/queries/analysis-exposures.ts); and the members of each window (a
 * sample, from the rows). The pure code in lib/analysis finds the windows and draws the
 * conclusions.
 */
import { and, eq, sql } from 'drizzle-orm';
import { BIN_MS } from '../../lib/analysis/analyze';
import type { Layer } from '../../lib/analysis/catalogue';
import { describeSignature } from '../../lib/analysis/signature';
import type { Drop, Signature } from '../../lib/analysis/types';
import { earlyCloseFindings } from '../../lib/analysis/early-close';
import type { Finding } from '../../lib/analysis/findings';
import { earlyWindow, isEcho, signatureWindows, withoutEarly, type SignatureWindow } from '../../lib/analysis/windows';
import { ascending, type Bin } from '../../lib/analysis/bins';
import type { Db, Executor } from '../client';
import { canarySessions as s, probes, targetSessionViews as tv } from '../schema';
import { ENDING_BUCKET_MS, type EndingSplit } from '../../lib/rollups/ending-buckets';
import type { EndingPack } from '../../lib/rollups/ending-pack';
import { memberHorizons, windowHours } from '../../lib/rollups/pack-windows';
import { AGE, IDLE, dropFilter } from './drop-values';
import { endingSplit, packFilter, sealedPacks, windowBinsIn } from './ending-bins';
import { binIndex, type Histogram } from './histogram';
import { runReads } from './reads';
import { rawSince } from './retention';
import { windowBins, windowExposures } from './analysis-exposures';
import { instant } from './literals';

export interface AnalysisScope {
  from: Date;
  to: Date;
  probe?: string;
  proxy?: string;
  target?: string;
  /** Probes carrying this label. */
  label?: { key: string; value: string };
  profile?: string;
}

/**
 * Members read per signature, the latest: enough for N (the median of 500 drops of a spike
 * a few hundred ms wide), kind, place and both ends. Each costs a wide row fetched and parsed.
 */
const MEMBER_SAMPLE = 500;

/** A window with at most this many drops has its members read in one pass of the range (windowMembers). */
const RARE_WINDOW_DROPS = 20 * MEMBER_SAMPLE;

export interface AnalysisResult {
  scope: { from: string; to: string; probe?: string; proxy?: string; target?: string; label?: string; profile?: string };
  totalDrops: number;
  signatures: Signature[];
  /** Connections closed right after their 101 (lib/analysis/early-close.ts): said here, never as a signature. */
  findings: Finding[];
  /**
   * Set when the scope reaches back past what retention kept of the raw sessions (DROPSCOPE_RETENTION_RAW):
   * counts, histograms and where each signature sits still come from the aggregates, but
   * its members (the drops it shows, their headers and ends) only from after this instant.
   */
  rawSince?: string;
}

/**
 * The scope's drops in 100 ms bins, by age and by idle time: what the analysis starts from.
 * Some or all may come summed into relative bins already, each at its first 100 ms bin
 * (the aggregate's, RELATIVE_BINS): the windows are found in relative bins anyway.
 */
export interface DropBins {
  /** The drops with an age by `floor(age / 100 ms)`. */
  age: readonly Bin[];
  /** The drops with an idle time (not silent deaths) by `floor(idle / 100 ms)`. */
  idle: readonly Bin[];
  /** Drops without an age (silent deaths with nothing received after the 101): counted in the total, never binned. */
  unaged?: number;
}

export interface AnalyzeOptions {
  now: Date;
  layers: readonly Layer[];
  /**
   * The scope's bins when the caller has read them already (the drops page reads them
   * beside its own histograms): the analysis then skips its two histogram statements. They
   * must be of the same scope, binned as `histogram` bins at BIN_MS (a drop without an age
   * counted in bin 0, see `dropBins`). Read in the caller's snapshot, not the analysis's:
   * sessions that end in between are in one and not the other, as between two page loads.
   */
  bins?: DropBins;
  /**
   * How the caller split the scope between the aggregate and the rows, and the sealed
   * hours' packs it read (the drops page, for its 100 ms pass): the analysis then reads
   * neither again. Must be of this scope.
   */
  sealed?: { split: EndingSplit; packs: Promise<EndingPack[]> };
  /**
   * Run the independent statements at once, each on its own pool connection (PostgreSQL,
   * see db/queries/reads.ts): the two histograms, then the members and the exposures. They
   * then read separate snapshots, so a session ending meanwhile may be counted in one and
   * not the other (as between the drops page's histograms and its analysis). Otherwise all
   * of it runs in one read-only snapshot.
   */
  concurrent?: boolean;
  /**
   * Windows with at most this many drops have their members read in one pass over the range
   * (windowMembers); RARE_WINDOW_DROPS by default. The members are the same either way (a
   * test reads them both ways).
   */
  rareWindowDrops?: number;
}

/**
 * The drop analysis of a scope: signatures with their verdicts. Reads the histograms
 * unless `options.bins` brings them, then the sampled members and the per-path counts of
 * the windows found.
 */
export async function analyzeScope(db: Db, scope: AnalysisScope, options: AnalyzeOptions): Promise<AnalysisResult> {
  if (options.concurrent) return analyzeWith(db, scope, options, true);
  return db.transaction(
    async (tx) => {
      // The exposures group by six columns that have no combined statistics: PostgreSQL
      // expects tens of thousands of groups for a few hundred and, with the default 4 MB,
      // sorts the scope's sessions to disk instead of hashing them (1M sessions in one day:
      // 1.3-1.45 s sorted, 0.57 s hashed). Local to this read-only transaction; PostgreSQL
      // pool connections open with more (db/open.ts).
      await tx.execute(sql`set local work_mem = '16MB'`);
      return analyzeWith(tx, scope, options, false);
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}

/**
 * The analysis of a scope inside a transaction the caller holds (the path page reads it in
 * its one snapshot, for the signatures its ladder findings defer to: lib/analysis/fixes.ts).
 */
export function analyzeIn(tx: Executor, scope: AnalysisScope, options: Omit<AnalyzeOptions, 'concurrent'>): Promise<AnalysisResult> {
  return analyzeWith(tx, scope, options, false);
}

async function analyzeWith(db: Executor, scope: AnalysisScope, options: AnalyzeOptions, concurrent: boolean): Promise<AnalysisResult> {
  // The sealed hours are read from the endings aggregate, the rest of the range from the rows.
  const [split, since] = await Promise.all([options.sealed?.split ?? endingSplit(db, scope.from, scope.to), rawSince(db)]);
  const approximate = since && since > scope.from ? { rawSince: since.toISOString() } : {};
  // The sealed hours' packs, read once for the histograms and the exposures, when needed.
  let packs: Promise<EndingPack[]> | undefined = options.sealed?.packs;
  const sealed = () => (packs ??= sealedPacks(db, scope, split.sealed));
  const { age: ageBins, idle: idleBins, unaged = 0 } = options.bins ?? (await dropBins(db, scope, split, concurrent, sealed()));
  const totalDrops = ageBins.reduce((n, b) => n + b.count, 0) + unaged;
  const found = signatureWindows(ageBins, idleBins, BIN_MS);
  // The drops right after the 101 are read as one more window, for a finding of their own.
  const early = earlyWindow(ageBins);
  const windows = early ? [...found, early] : found;
  if (windows.length === 0) return { scope: scopeJson(scope), totalDrops, signatures: [], findings: [], ...approximate };

  const [members, exposures] = await runReads(concurrent, [
    async () =>
      windowMembers(db, scope, windows, split.sealed.length === 0 ? windows.map(() => null) : memberHorizons(await sealed(), packFilter(scope), windowBins(windows), MEMBER_SAMPLE), options.rareWindowDrops ?? RARE_WINDOW_DROPS),
    () => windowExposures(db, scope, windows, options.now, split, sealed),
  ] as const);
  // Windows none of whose drops are left in the rows (all past raw retention) are described
  // from the aggregates, with the hours that hold them.
  const gone = since && since > scope.from ? found.map((_w, i) => (members.get(i)?.sample.length ?? 0) === 0) : [];
  const seen = gone.some(Boolean) ? windowHours(await sealed(), packFilter(scope), windowBins(found), ENDING_BUCKET_MS) : [];
  const signatures = found
    .map((w, i) => {
      const m = members.get(i) ?? { sample: [], total: 0 };
      if (isEcho(w, m.sample, found)) return null;
      const paths = withoutEarly(exposures.get(i) ?? [], early ? exposures.get(found.length) : undefined);
      const hours = gone[i] ? seen[i] : null;
      return describeSignature({ ...w, members: m.sample, totalMembers: m.total, paths, totalDrops, layers: options.layers, ...(hours && { seen: hours }) });
    })
    .filter((x): x is Signature => x !== null)
    .sort((a, b) => b.count - a.count);
  const findings = early ? earlyCloseFindings(members.get(found.length)?.sample ?? [], exposures.get(found.length) ?? []) : [];
  return { scope: scopeJson(scope), totalDrops, signatures, findings, ...approximate };
}

function scopeJson(scope: AnalysisScope): AnalysisResult['scope'] {
  return {
    from: scope.from.toISOString(),
    to: scope.to.toISOString(),
    ...(scope.probe && { probe: scope.probe }),
    ...(scope.proxy && { proxy: scope.proxy }),
    ...(scope.target && { target: scope.target }),
    ...(scope.label && { label: `${scope.label.key}=${scope.label.value}` }),
    ...(scope.profile && { profile: scope.profile }),
  };
}

/**
 * The analysis' bins from histograms of `binIndex` at BIN_MS. A drop without an age counts
 * towards the total only: binning it at 0 made a phantom "0.0 s" signature of every
 * heartbeat whose endpoint never answered a ping.
 */
export function analysisBins(age: Pick<Histogram, 'bins' | 'nulls'>, idle: Pick<Histogram, 'bins'>): DropBins {
  const toBins = (rows: readonly { bin: number; count: number }[]): Bin[] => {
    const bins = rows.map((r) => ({ startMs: r.bin * BIN_MS, count: r.count }));
    // The readers hand them in order (windowBinsIn merges sorted lists): sorted only when not.
    return ascending(bins) ? bins : bins.sort((x, y) => x.startMs - y.startMs);
  };
  return { age: toBins(age.bins), idle: toBins(idle.bins), unaged: age.nulls };
}

async function dropBins(db: Executor, scope: AnalysisScope, split: EndingSplit, concurrent: boolean, packs: Promise<EndingPack[]>): Promise<DropBins> {
  const bins = await windowBinsIn(db, scope, split, concurrent, packs);
  return analysisBins({ bins: bins.age, nulls: bins.unaged }, { bins: bins.idle });
}

/** A member's columns: its wide session row, its probe and the target's view. */
const memberColumns = {
  id: s.id,
  probeId: s.probeId,
  probe: probes.name,
  labels: probes.labels,
  target: s.targetName,
  proxy: s.proxyName,
  proxyKind: s.proxyKind,
  profile: s.profile,
  profileKind: s.profileKind,
  gapMs: s.gapMs,
  ageMs: sql<number | null>`${AGE}`.mapWith((v: unknown) => (v === null ? null : Number(v))),
  idleMs: IDLE,
  endKind: s.endKind,
  closeCode: s.closeCode,
  endedAt: s.endedAt,
  headers: s.responseHeaders,
  proxyHeaders: s.proxyHeaders,
  egress: s.egressAddress,
  tvCloseFrame: tv.closeFrameReceived,
  tvEndKind: tv.endKind,
  tvEndedAt: tv.endedAt,
};

/** Members by id, with what memberColumns joins. */
function membersById(tx: Executor, ids: readonly string[]) {
  return tx
    .select(memberColumns)
    .from(s)
    .innerJoin(probes, eq(probes.id, s.probeId))
    .leftJoin(tv, eq(tv.sessionId, s.id))
    .where(sql`${s.id} in (select json_array_elements_text(${JSON.stringify(ids)}::json))`);
}

type MemberRow = Awaited<ReturnType<typeof membersById>>[number];

function memberDrop(r: MemberRow): Drop {
  return {
    id: r.id,
    probe: r.probe,
    labels: r.labels ?? {},
    target: r.target,
    proxy: r.proxy,
    proxyKind: r.proxyKind as Drop['proxyKind'],
    profile: r.profile,
    profileKind: r.profileKind,
    gapMs: r.gapMs === null ? null : Number(r.gapMs),
    ageMs: r.ageMs,
    idleMs: r.idleMs === null ? null : Number(r.idleMs),
    endKind: r.endKind as Drop['endKind'],
    closeCode: r.closeCode === null ? null : Number(r.closeCode),
    endedAt: r.endedAt!.getTime(),
    headers: r.headers ?? {},
    ...(r.proxyHeaders && { proxyHeaders: r.proxyHeaders }),
    egress: r.egress,
    targetView: r.tvEndedAt === null ? null : { closeFrameReceived: Boolean(r.tvCloseFrame), endKind: r.tvEndKind ?? 'error', endedAt: r.tvEndedAt.getTime() },
  };
}

/**
 * A sample of each window's members: the latest MEMBER_SAMPLE by end (ties by id in byte
 * order). Each window's sample is a LIMIT over the
 * scope's drops newest first (a backward scan of the endings index that stops once it has
 * them), and only the sample is joined to its wide session row, its probe and the target's
 * view. Numbering every member of every window instead (row_number over 50,000 members at
 * a day of a million sessions) cost a sort of them all.
 *
 * A member is a drop whose 100 ms bin lies in the window's bins [lo, hi), the same test the
 * histogram's count made: the windows' edges are bin edges (findPeaks puts them there), so
 * the window's total is the peak's count from those bins and need not be counted again.
 */
async function windowMembers(tx: Executor, scope: AnalysisScope, windows: readonly SignatureWindow[], horizons: readonly (number | null)[], rareDrops: number): Promise<Map<number, { sample: Drop[]; total: number }>> {
  const out = new Map<number, { sample: Drop[]; total: number }>();
  // Both dimensions' statements at once: on the pool, the second is not held up by the
  // first's answer waiting for the event loop (the analysis report runs findings meanwhile).
  const reads = (['age', 'idle'] as const).map((dimension) => {
    const dimWindows = windows.map((w, i) => ({ w, i })).filter((x) => x.w.dimension === dimension);
    if (dimWindows.length === 0) return Promise.resolve([]);
    const value = dimension === 'age' ? AGE : IDLE;
    // From each window's horizon on (when the sealed hours tell it): the backward scan of
    // a rare window stops there instead of at the start of the range.
    const since = (i: number) => instant(new Date(Math.max(scope.from.getTime(), horizons[i] ?? scope.from.getTime())));
    // Compared as bin indices, the expression canary_sessions_drop_age_bin_idx holds: a
    // rare window's members are read from that index instead of a backward scan of them all.
    const bins = windowBins(windows);
    const bin = (v: number) => sql.raw(`${v}::bigint`);
    const list = (group: { i: number }[]) => sql.join(group.map(({ i }) => sql`(${sql.raw(String(i))}, ${bin(bins[i]!.lo)}, ${bin(bins[i]!.hi)}, ${since(i)})`), sql`, `);
    const inWindow = sql`${dropFilter(scope)} and ${s.endedAt} >= w.since and ${value} is not null and ${binIndex(value, BIN_MS)} >= w.lo and ${binIndex(value, BIN_MS)} < w.hi`;
    // A backward scan of the endings stops once it has a window's latest members, which for
    // a rare window (few drops among the range's) is most of the range, once per window; idle
    // windows have no index on their bin to do better (a smooth worst-case week: 14 idle
    // windows of ~1,000 drops among 978,000, 3.8-6 s). Rare windows are read in one pass over
    // the range's drops in their bins instead, numbered by window; the others as before.
    const rare = dimWindows.filter(({ w }) => w.peak.count <= rareDrops);
    const earliest = (group: { i: number }[]) => instant(new Date(Math.min(...group.map(({ i }) => Math.max(scope.from.getTime(), horizons[i] ?? scope.from.getTime())))));
    const walked = dimWindows.filter((x) => !rare.includes(x));
    const parts = [
      ...(walked.length > 0
        ? [sql`select w.i as w, latest.id, latest.attempted_at from (values ${list(walked)}) as w(i, lo, hi, since)
            cross join lateral (select ${s.id} as id, ${s.attemptedAt} as attempted_at from ${s} where ${inWindow}
              order by ${s.endedAt} desc, ${s.id} collate "C" limit ${sql.raw(String(MEMBER_SAMPLE))}) as latest`]
        : []),
      ...(rare.length > 0
        ? [sql`select w, id, attempted_at from (
              select w.i as w, d.id, d.attempted_at, row_number() over (partition by w.i order by d.ended_at desc, d.id collate "C") as k
              from (select ${s.id} as id, ${s.attemptedAt} as attempted_at, ${s.endedAt} as ended_at, ${binIndex(value, BIN_MS)} as b from ${s}
                    where ${dropFilter(scope)} and ${value} is not null and ${s.endedAt} >= ${earliest(rare)}
                      and ${binIndex(value, BIN_MS)} >= ${bin(Math.min(...rare.map(({ i }) => bins[i]!.lo)))} and ${binIndex(value, BIN_MS)} < ${bin(Math.max(...rare.map(({ i }) => bins[i]!.hi)))}) as d
              join (values ${list(rare)}) as w(i, lo, hi, since) on d.b >= w.lo and d.b < w.hi and d.ended_at >= w.since) as numbered
            where k <= ${sql.raw(String(MEMBER_SAMPLE))}`]
        : []),
    ];
    return tx
      .select({ window: sql<number>`m.w`.mapWith(Number), ...memberColumns })
      .from(sql`(${sql.join(parts, sql` union all `)}) as m`)
      // By the whole key: the partition of its day alone is probed per member, not every day's.
      .innerJoin(s, and(eq(s.id, sql`m.id`), eq(s.attemptedAt, sql`m.attempted_at`)))
      .innerJoin(probes, eq(probes.id, s.probeId))
      .leftJoin(tv, eq(tv.sessionId, s.id))
      .then((rows) => rows);
  });
  for (const rows of await Promise.all(reads)) {
    for (const r of rows) {
      const entry = out.get(r.window) ?? { sample: [], total: windows[r.window]!.peak.count };
      entry.sample.push(memberDrop(r));
      out.set(r.window, entry);
    }
  }
  // Each window's sample newest first, as chosen (the join does not keep the order).
  for (const entry of out.values()) entry.sample.sort((a, b) => b.endedAt - a.endedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return out;
}

