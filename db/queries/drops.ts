/**
 * The drops page in SQL: histograms of age and of idle time before the drop at a bin
 * width the user picks (`floor(value / width)`, grouped in the database), the endings and
 * close codes, the analysis' signatures to highlight, and the sessions of one signature's
 * cluster (at most CLUSTER_LIMIT). Sessions never leave the database otherwise.
 *
 * A drop is an ended session the probe did not close itself (end_kind <> 'probe_closed').
 */
import { and, desc, eq, sql, type SQL } from 'drizzle-orm';
import { BIN_MS } from '../../lib/analysis/analyze';
import type { Layer } from '../../lib/analysis/catalogue';
import type { DashboardScope } from '../../lib/dashboard/scope';
import { BIN_WIDTHS, type BinWidth, type YScale } from '../../lib/drops/query';
import { CLUSTER_LIMIT, type ClusterDrop, type ClusterSignature, type DropsReport } from '../../lib/drops/report';
import type { EndKind } from '../../lib/contracts/ingest';
import { binWidthFor } from '../../lib/overview/histogram-bins';
import { finerAutoWidth, rebin, rebinCentred, shapeBins } from '../../lib/drops/bins';
import type { Db } from '../client';
import { canarySessions as s, probes } from '../schema';
import { analysisBins, analyzeScope, type DropBins } from './analysis';
import { AGE, IDLE, dropFilter, dropFilterIn } from './drop-values';
import { histogram } from './histogram';
import { runReads } from './reads';
import { rowsOf } from './scope';
import { dropPassIn, endingSplit, packFilter, sealedPacks } from './ending-bins';
import type { EndingSplit } from '../../lib/rollups/ending-buckets';
import type { EndingPack } from '../../lib/rollups/ending-pack';
import type { BinCounts } from '../../lib/rollups/pack-drop-bins';
import { sumEndings } from '../../lib/rollups/pack-endings';

export interface DropsParams {
  bin: BinWidth;
  scale: YScale;
  /** A signature's N in seconds: list that cluster's drops. */
  cluster?: number;
}

/**
 * The whole drops report for a scope. `now` dates the analysis; the scope is absolute.
 * Throws RangeError for an unknown bin width.
 */
export async function dropsReport(
  db: Db,
  scope: DashboardScope,
  params: DropsParams,
  options: { now: Date; layers: readonly Layer[]; concurrent?: boolean },
): Promise<DropsReport> {
  if (params.bin !== 'auto' && !(params.bin in BIN_WIDTHS)) throw new RangeError(`unknown bin width ${params.bin}`);
  const where = dropFilter(scope);

  const concurrent = options.concurrent ?? false;
  const picked = params.bin === 'auto' ? null : BIN_WIDTHS[params.bin];
  // Widths of an even number of 100 ms bins (every one from 1 s up, and 200 ms) come from
  // the endings aggregate for the sealed hours, summed straight into the bars and the
  // analysis' bins (dropPassIn); its read is kept for the analysis' exposures and members.
  // The others (100 and 500 ms; auto picks them only for drops all younger than half a
  // minute) from 50 ms bins of the rows.
  // The sealed hours' packs, with their endings: read once for the bars, the analysis and
  // the endings, whichever pass draws the bars.
  const split = await endingSplit(db, scope.from, scope.to);
  const sealed: { split: EndingSplit; packs: Promise<EndingPack[]> } = { split, packs: sealedPacks(db, scope, split.sealed, { endings: true }) };
  // Settled here too: the fine pass below may fail first, and the read must not be left unhandled.
  sealed.packs.catch(() => undefined);
  type Shaped = { binWidthMs: number; age: BinCounts; idle: BinCounts; analysisBins: DropBins };
  const shape = async (width: number | null): Promise<Shaped> => {
    if (width === null || passBinFor(width) === COARSE_PASS_BIN_MS) {
      const pass = await dropPassIn(db, scope, split, concurrent, sealed.packs, (maxAgeMs) => width ?? binWidthFor(Math.max(0, maxAgeMs ?? 0)));
      if (pass) return { binWidthMs: pass.binWidthMs, age: pass.age, idle: pass.idle, analysisBins: analysisBins({ bins: pass.windows.age, nulls: pass.windows.unaged }, { bins: pass.windows.idle }) };
    }
    const pass = await dropHistograms(db, where, FINE_PASS_BIN_MS, concurrent);
    const binWidthMs = width ?? binWidthFor(Math.max(0, pass.maxAgeMs ?? 0));
    return { binWidthMs, age: rebinCentred(pass.age, pass.binMs, binWidthMs), idle: rebinCentred(pass.idle, pass.binMs, binWidthMs), analysisBins: passBins(pass) };
  };
  let shaped = await shape(picked);
  // Automatic width fitted to the longest drop: when one outlier would squash the axis, the
  // chart clips it into an overflow bar, and the bars below get the width of the clipped
  // axis (read once more, only then; lib/drops/bins.ts finerAutoWidth).
  if (picked === null) {
    const finer = finerAutoWidth(shaped.age, shaped.binWidthMs);
    if (finer !== null) shaped = await shape(finer);
  }
  const { binWidthMs } = shaped;
  const age = shapeBins(shaped.age, binWidthMs);
  const idle = shapeBins(shaped.idle, binWidthMs);

  // The endings need no histogram: they are read beside the analysis' members and
  // exposures, leaving both cores to the two histograms before.
  const [analysis, endings] = await runReads(concurrent, [
    () => (age.total === 0 ? Promise.resolve({ signatures: [], findings: [] }) : analyzeScope(db, scope, { now: options.now, layers: options.layers, bins: shaped.analysisBins, concurrent, sealed })),
    () => endingsOf(db, scope, sealed),
  ] as const);
  const signatures: ClusterSignature[] = analysis.signatures.map((g) => ({
    key: g.key,
    dimension: g.dimension,
    nMs: g.nMs,
    nSeconds: g.nSeconds,
    minMs: g.minMs,
    maxMs: g.maxMs,
    window: g.window,
    count: g.count,
    kind: g.kind,
    verdict: g.verdict,
  }));

  let cluster: DropsReport['cluster'] = null;
  if (params.cluster !== undefined) {
    const n = params.cluster;
    const signature = signatures.find((g) => g.nSeconds === n && g.dimension === 'age') ?? signatures.find((g) => g.nSeconds === n) ?? null;
    cluster = { nSeconds: n, signature, total: 0, drops: [] };
    if (signature) Object.assign(cluster, await clusterDrops(db, where, signature));
  }

  return {
    scope: scopeJson(scope),
    bin: params.bin,
    binWidthMs,
    scale: params.scale,
    totalDrops: age.total,
    age,
    idle,
    endKinds: endings.endKinds,
    closeCodes: endings.closeCodes,
    signatures,
    earlyCloses: analysis.findings.map((f) => ({ cause: f.cause ?? 'early-close', severity: f.severity, title: f.title, detail: f.detail, recommendation: f.recommendation })),
    signaturesIgnoreFilters: false,
    cluster,
  };
}

function scopeJson(scope: DashboardScope): DropsReport['scope'] {
  return {
    from: scope.from.toISOString(),
    to: scope.to.toISOString(),
    ...(scope.probe && { probe: scope.probe }),
    ...(scope.label && { label: `${scope.label.key}=${scope.label.value}` }),
    ...(scope.proxy && { proxy: scope.proxy }),
    ...(scope.target && { target: scope.target }),
    ...(scope.profile && { profile: scope.profile }),
  };
}

/**
 * The pass's bins: 100 ms, of which the page's centred bins of width w (bin k holds
 * [(k − ½)·w, (k + ½)·w)) are sums when w is an even multiple of 100 ms: 200 ms, and every
 * width from 1 s up (the aggregate's cells are summed straight into them, dropPassIn). The
 * 100 and 500 ms widths need 50 ms bins of the rows, twice as many to count, send and sum.
 */
const COARSE_PASS_BIN_MS = BIN_MS;
const FINE_PASS_BIN_MS = 50;

function passBinFor(widthMs: number): number {
  return widthMs % (2 * COARSE_PASS_BIN_MS) === 0 ? COARSE_PASS_BIN_MS : FINE_PASS_BIN_MS;
}

interface DropHistograms {
  binMs: number;
  age: { bin: number; count: number }[];
  /** Drops without an age. */
  ageUnknown: number;
  idle: { bin: number; count: number }[];
  maxAgeMs: number | null;
}

/**
 * The drops of a scope by age and by idle time in `binMs` bins (with the longest age): two
 * statements over the same index-only range of canary_sessions_endings_idx, at once on
 * PostgreSQL (one statement with grouping sets counted every drop twice in one process and
 * cannot run in parallel). The page's centred bins are sums of these (lib/drops/bins.ts).
 */
async function dropHistograms(db: Db, where: SQL, binMs: number, concurrent: boolean): Promise<DropHistograms> {
  const [age, idle] = await runReads(concurrent, [() => histogram(db, AGE, where, binMs), () => histogram(db, IDLE, where, binMs)] as const);
  return { binMs, age: age.bins, ageUnknown: age.nulls, idle: idle.bins, maxAgeMs: age.max };
}

/** Most frequent first, as the page lists them. */
function sortEndings(e: Pick<DropsReport, 'endKinds' | 'closeCodes'>): Pick<DropsReport, 'endKinds' | 'closeCodes'> {
  e.endKinds.sort((x, y) => y.count - x.count || x.endKind.localeCompare(y.endKind));
  e.closeCodes.sort((x, y) => y.count - x.count || (x.closeCode ?? Infinity) - (y.closeCode ?? Infinity));
  return e;
}

/**
 * Drops by ending and by close code: the sealed hours' from their packs (read already for
 * the bars and the analysis: lib/rollups/pack-endings.ts), the rest of the range (its edges
 * and dirty hours) from the session rows. Read in its own snapshot when concurrent: a drop
 * stored meanwhile can be in the histograms and not yet here (it is in both on the next
 * refresh).
 */
async function endingsOf(db: Db, scope: DashboardScope, sealed: { split: EndingSplit; packs: Promise<EndingPack[]> }): Promise<Pick<DropsReport, 'endKinds' | 'closeCodes'>> {
  const raw = async () => {
    if (sealed.split.raw.length === 0) return [];
    return rowsOf<{ gk: number; k: string | null; c: number | null; n: string | number }>(
      await db.execute(sql`select grouping(${s.endKind}) as gk, ${s.endKind}::text as k, coalesce(${s.closeCode}, 0)::int as c, count(*) as n from ${s}
        where ${dropFilterIn(scope, sealed.split.raw)} group by grouping sets ((${s.endKind}), (coalesce(${s.closeCode}, 0)))`),
    );
  };
  const [rows, packs] = await Promise.all([raw(), sealed.packs]);
  const { endKinds: byKind, closeCodes: byCode } = sumEndings(packs, packFilter(scope));
  for (const r of rows) {
    if (Number(r.gk) === 0) byKind.set(r.k as EndKind, (byKind.get(r.k as EndKind) ?? 0) + Number(r.n));
    else byCode.set(Number(r.c), (byCode.get(Number(r.c)) ?? 0) + Number(r.n));
  }
  // No close frame carries code 0: the aggregate and the rows keep "none" as 0.
  return sortEndings({
    endKinds: [...byKind].filter(([, n]) => n !== 0).map(([endKind, count]) => ({ endKind, count })),
    closeCodes: [...byCode].filter(([, n]) => n !== 0).map(([code, count]) => ({ closeCode: code === 0 ? null : code, count })),
  });
}

/** The analysis' plain 100 ms bins, from the pass's (summed when they are 50 ms), as it would read them itself. */
function passBins(pass: DropHistograms): DropBins {
  return analysisBins({ bins: rebin(pass.age, pass.binMs, BIN_MS), nulls: pass.ageUnknown }, { bins: rebin(pass.idle, pass.binMs, BIN_MS) });
}

async function clusterDrops(db: Db, where: SQL, g: ClusterSignature): Promise<{ total: number; drops: ClusterDrop[] }> {
  const value = g.dimension === 'age' ? AGE : IDLE;
  const inCluster = and(where, sql`${value} >= ${g.window.lowMs}::float8 and ${value} < ${g.window.highMs}::float8`)!;
  return db.transaction(
    async (tx) => {
      const [n] = await tx.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(s).where(inCluster);
      const rows = await tx
        .select({
          sessionId: s.id,
          endedAt: s.endedAt,
          probe: probes.name,
          target: s.targetName,
          proxy: s.proxyName,
          profile: s.profile,
          durationMs: s.durationMs,
          ageMs: sql<number | null>`${AGE}`.mapWith((v) => (v === null ? null : Number(v))),
          idleMs: sql<number | null>`${IDLE}`.mapWith((v) => (v === null ? null : Number(v))),
          endKind: s.endKind,
          closeCode: s.closeCode,
          egress: s.egressAddress,
        })
        .from(s)
        .innerJoin(probes, eq(probes.id, s.probeId))
        .where(inCluster)
        .orderBy(desc(s.endedAt), desc(s.id))
        .limit(CLUSTER_LIMIT);
      return {
        total: n?.n ?? 0,
        drops: rows.map((r) => ({ ...r, endedAt: r.endedAt!.toISOString(), endKind: r.endKind! })),
      };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}
