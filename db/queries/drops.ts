/**
 * The drops page in SQL: histograms of age and of idle time before the drop at a bin
 * width the user picks (`floor(value / width)`, grouped in the database), the endings and
 * close codes, the analysis' signatures to highlight, and the sessions of one signature's
 * cluster (at most CLUSTER_LIMIT). Sessions never leave the database otherwise.
 *
 * A drop is an ended session the probe did not close itself (end_kind <> 'probe_closed').
 */
import { and, desc, eq, gte, isNotNull, lt, ne, sql, type SQL } from 'drizzle-orm';
import { BIN_MS } from '../../lib/analysis/analyze';
import type { Layer } from '../../lib/analysis/catalogue';
import type { DashboardScope } from '../../lib/dashboard/scope';
import { BIN_WIDTHS, type BinWidth, type YScale } from '../../lib/drops/query';
import { CLUSTER_LIMIT, type ClusterDrop, type ClusterSignature, type DropsReport } from '../../lib/drops/report';
import type { EndKind } from '../../lib/contracts/ingest';
import { binWidthFor } from '../../lib/overview/histogram-bins';
import { rebin, rebinCentred, shapeBins } from '../../lib/drops/bins';
import type { Db } from '../client';
import { canarySessions as s, probes } from '../schema';
import { analysisBins, analyzeScope, type DropBins } from './analysis';
import { AGE, IDLE } from './drop-values';
import { histogram } from './histogram';
import { runReads } from './reads';
import { rowsOf, sessionFilters } from './scope';

export interface DropsParams {
  bin: BinWidth;
  scale: YScale;
  /** A signature's N in seconds: list that cluster's drops. */
  cluster?: number;
}

/** Drops in the scope: ended in [from, to), not closed by the probe, filters applied. */
export function dropFilter(scope: DashboardScope): SQL {
  return and(gte(s.endedAt, scope.from), lt(s.endedAt, scope.to), isNotNull(s.endKind), ne(s.endKind, 'probe_closed'), ...sessionFilters(scope))!;
}

/**
 * The whole drops report for a scope. `now` dates the analysis; the scope is absolute.
 * Throws RangeError for an unknown bin width.
 */
export async function dropsReport(db: Db, scope: DashboardScope, params: DropsParams, options: { now: Date; layers: readonly Layer[]; concurrent?: boolean }): Promise<DropsReport> {
  if (params.bin !== 'auto' && !(params.bin in BIN_WIDTHS)) throw new RangeError(`unknown bin width ${params.bin}`);
  const where = dropFilter(scope);

  const concurrent = options.concurrent ?? false;
  const picked = params.bin === 'auto' ? null : BIN_WIDTHS[params.bin];
  let pass = await dropsPass(db, where, picked === null ? COARSE_PASS_BIN_MS : passBinFor(picked), concurrent);
  const binWidthMs = picked ?? binWidthFor(Math.max(0, pass.maxAgeMs ?? 0));
  // Auto picks 100 or 500 ms only for drops all younger than half a minute.
  if (passBinFor(binWidthMs) !== pass.binMs) pass = await dropsPass(db, where, passBinFor(binWidthMs), concurrent);
  const part = {
    binWidthMs,
    age: shapeBins(rebinCentred(pass.age, pass.binMs, binWidthMs), binWidthMs),
    idle: shapeBins(rebinCentred(pass.idle, pass.binMs, binWidthMs), binWidthMs),
    endKinds: pass.endKinds,
    closeCodes: pass.closeCodes,
  };

  const analysis =
    part.age.total === 0
      ? { signatures: [] }
      : await analyzeScope(db, scope, { now: options.now, layers: options.layers, bins: passBins(pass), concurrent });
  const signatures: ClusterSignature[] = analysis.signatures.map((g) => ({
    key: g.key,
    dimension: g.dimension,
    nMs: g.nMs,
    nSeconds: g.nSeconds,
    minMs: g.minMs,
    maxMs: g.maxMs,
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
    binWidthMs: part.binWidthMs,
    scale: params.scale,
    totalDrops: part.age.total,
    age: part.age,
    idle: part.idle,
    endKinds: part.endKinds,
    closeCodes: part.closeCodes,
    signatures,
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
 * The pass's bins: 100 ms, of which the analysis' plain 100 ms bins are the bins themselves
 * and the page's centred bins of width w (bin k holds [(k − ½)·w, (k + ½)·w)) are sums
 * when w is an even multiple of 100 ms: 200 ms, and every width from 1 s up. The 100 and
 * 500 ms widths need 50 ms bins, twice as many rows to count, send and sum.
 */
const COARSE_PASS_BIN_MS = 100;
const FINE_PASS_BIN_MS = 50;

function passBinFor(widthMs: number): number {
  return widthMs % (2 * COARSE_PASS_BIN_MS) === 0 ? COARSE_PASS_BIN_MS : FINE_PASS_BIN_MS;
}

interface DropsPass {
  binMs: number;
  age: { bin: number; count: number }[];
  /** Drops without an age. */
  ageUnknown: number;
  idle: { bin: number; count: number }[];
  endKinds: { endKind: EndKind; count: number }[];
  closeCodes: { closeCode: number | null; count: number }[];
  maxAgeMs: number | null;
}

/**
 * Everything the page shows about the drops of a scope: age and idle in `binMs` bins (with
 * the longest age), endings and close codes. Three statements over the same index-only
 * range of canary_sessions_endings_idx, concurrent on PostgreSQL: one statement with
 * grouping sets read the range once but counted every drop four times in one process, and
 * cannot run in parallel. Concurrent statements read separate snapshots: a drop stored
 * between them can be in the histograms and not yet in the endings (it is in both on the
 * next refresh). The page's centred bins are sums of these (lib/drops/bins.ts).
 */
async function dropsPass(db: Db, where: SQL, binMs: number, concurrent: boolean): Promise<DropsPass> {
  const [age, idle, endings] = await runReads(concurrent, [
    () => histogram(db, AGE, where, binMs),
    () => histogram(db, IDLE, where, binMs),
    () => endingsOf(db, where),
  ] as const);
  return { binMs, age: age.bins, ageUnknown: age.nulls, idle: idle.bins, ...endings, maxAgeMs: age.max };
}

async function endingsOf(db: Db, where: SQL): Promise<Pick<DropsPass, 'endKinds' | 'closeCodes'>> {
  const rows = rowsOf<{ gk: number; k: string | null; c: number | null; n: string | number }>(
    await db.execute(sql`select grouping(${s.endKind}) as gk, ${s.endKind}::text as k, ${s.closeCode}::int as c, count(*) as n
      from ${s} where ${where} group by grouping sets ((${s.endKind}), (${s.closeCode}))`),
  );
  const endKinds = rows.filter((r) => Number(r.gk) === 0).map((r) => ({ endKind: r.k as EndKind, count: Number(r.n) }));
  const closeCodes = rows.filter((r) => Number(r.gk) === 1).map((r) => ({ closeCode: r.c === null ? null : Number(r.c), count: Number(r.n) }));
  endKinds.sort((x, y) => y.count - x.count || x.endKind.localeCompare(y.endKind));
  closeCodes.sort((x, y) => y.count - x.count || (x.closeCode ?? Infinity) - (y.closeCode ?? Infinity));
  return { endKinds, closeCodes };
}

/** The analysis' plain 100 ms bins, from the pass's (summed when they are 50 ms), as it would read them itself. */
function passBins(pass: DropsPass): DropBins {
  return analysisBins({ bins: rebin(pass.age, pass.binMs, BIN_MS), nulls: pass.ageUnknown }, { bins: rebin(pass.idle, pass.binMs, BIN_MS) });
}

async function clusterDrops(db: Db, where: SQL, g: ClusterSignature): Promise<{ total: number; drops: ClusterDrop[] }> {
  const value = g.dimension === 'age' ? AGE : IDLE;
  const inCluster = and(where, sql`${value} between ${g.minMs}::float8 and ${g.maxMs}::float8`)!;
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
