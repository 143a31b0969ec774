/**
 * The drops page in SQL: histograms of age and of idle time before the drop at a bin
 * width the user picks (`floor(value / width)`, grouped in the database), the endings and
 * close codes, the analysis' signatures to highlight, and the sessions of one signature's
 * cluster (at most CLUSTER_LIMIT). Sessions never leave the database otherwise.
 *
 * A drop is an ended session the probe did not close itself (end_kind <> 'probe_closed').
 */
import { and, desc, eq, gte, isNotNull, lt, ne, sql, type SQL } from 'drizzle-orm';
import type { Layer } from '../../lib/analysis/catalogue';
import type { DashboardScope } from '../../lib/dashboard/scope';
import { BIN_WIDTHS, type BinWidth, type YScale } from '../../lib/drops/query';
import { CLUSTER_LIMIT, MAX_DENSE_BINS, type ClusterDrop, type ClusterSignature, type DropHistogram, type DropsReport } from '../../lib/drops/report';
import type { EndKind } from '../../lib/contracts/ingest';
import { binWidthFor } from '../../lib/overview/histogram-bins';
import type { Db, Executor } from '../client';
import { canarySessions as s, probes } from '../schema';
import { analyzeScope, dropBinIndex, dropBinsFromRows, type DropBins } from './analysis';
import { sessionFilters } from './scope';

/** Age at the end; a silent death is dated by the last byte received (as the analysis does). */
export const AGE = sql<number>`(case when ${s.endKind} = 'pong_timeout' then ${s.durationMs} - coalesce(${s.sinceLastRecvMs}, 0) else ${s.durationMs} end)`;
/** Silence both ways before the end; unknown (null) for silent deaths. */
export const IDLE = sql<number | null>`(case when ${s.endKind} = 'pong_timeout' then null else least(${s.sinceLastRecvMs}, ${s.sinceLastSentMs}) end)`;

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
export async function dropsReport(db: Db, scope: DashboardScope, params: DropsParams, options: { now: Date; layers: readonly Layer[] }): Promise<DropsReport> {
  if (params.bin !== 'auto' && !(params.bin in BIN_WIDTHS)) throw new RangeError(`unknown bin width ${params.bin}`);
  const where = dropFilter(scope);

  const part = await db.transaction(
    async (tx) => {
      const binWidthMs = params.bin === 'auto' ? await autoWidth(tx, where) : BIN_WIDTHS[params.bin];
      // The analysis's own 100 ms bins come along in the same pass, unless a label or profile
      // filter narrows the page: the analysis ignores those, so its bins would differ.
      const { age, idle, analysisBins } = await histograms(tx, where, binWidthMs, !scope.label && !scope.profile);
      const endKinds = await tx
        .select({ endKind: sql<EndKind>`${s.endKind}`, count: sql<number>`count(*)`.mapWith(Number) })
        .from(s)
        .where(where)
        .groupBy(s.endKind)
        .orderBy(sql`count(*) desc`, s.endKind);
      const closeCodes = await tx
        .select({ closeCode: s.closeCode, count: sql<number>`count(*)`.mapWith(Number) })
        .from(s)
        .where(where)
        .groupBy(s.closeCode)
        .orderBy(sql`count(*) desc`, sql`${s.closeCode} nulls last`);
      return { binWidthMs, age, idle, endKinds, closeCodes, analysisBins };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );

  const analysis =
    part.age.total === 0
      ? { signatures: [] }
      : await analyzeScope(
          db,
          { from: scope.from, to: scope.to, probe: scope.probe, proxy: scope.proxy, target: scope.target },
          { now: options.now, layers: options.layers, ...(part.analysisBins && { bins: part.analysisBins }) },
        );
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
    signaturesIgnoreFilters: Boolean(scope.label || scope.profile),
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

/** About 60 bins over the longest drop, at a round width (as the overview picks). */
async function autoWidth(tx: Executor, where: SQL): Promise<number> {
  const [row] = await tx.select({ max: sql<number | null>`max(${AGE})`.mapWith((v) => (v === null ? null : Number(v))) }).from(s).where(where);
  return binWidthFor(Math.max(0, row?.max ?? 0));
}

/**
 * The page's histograms of age and idle time at `widthMs`, and with `withAnalysisBins` the
 * analysis's 100 ms bins of both, from one pass over the drops (grouping sets) instead of
 * one pass each. The bin expressions are inlined, not bound: SELECT and GROUP BY must be
 * the same text for PostgreSQL (a parameter would be $1 in one and $2 in the other);
 * widthMs comes from BIN_WIDTHS or binWidthFor.
 */
async function histograms(tx: Executor, where: SQL, widthMs: number, withAnalysisBins: boolean): Promise<{ age: DropHistogram; idle: DropHistogram; analysisBins?: DropBins }> {
  const width = sql.raw(`${Number(widthMs)}::float8`);
  const sets: Record<'age' | 'idle' | 'age100' | 'idle100', SQL> = {
    age: sql`floor(${AGE} / ${width})::bigint`,
    idle: sql`floor(${IDLE} / ${width})::bigint`,
    age100: dropBinIndex(AGE),
    idle100: dropBinIndex(IDLE),
  };
  const names = (withAnalysisBins ? ['age', 'idle', 'age100', 'idle100'] : ['age', 'idle']) as (keyof typeof sets)[];
  const rows = await tx
    .select({
      // Which set a row belongs to: grouping() has a bit set for each expression not grouped in it.
      grouping: sql<number>`grouping(${sql.join(names.map((n) => sets[n]), sql`, `)})`.mapWith(Number),
      ...Object.fromEntries(names.map((n) => [n, sql<number | null>`${sets[n]}`.mapWith(Number)])),
      count: sql<number>`count(*)`.mapWith(Number),
    })
    .from(s)
    .where(where)
    .groupBy(sql`grouping sets (${sql.join(names.map((n) => sql`(${sets[n]})`), sql`, `)})`);
  const of = (name: keyof typeof sets) => {
    const i = names.indexOf(name);
    const mask = (1 << names.length) - 1 - (1 << (names.length - 1 - i));
    return rows.filter((r) => r.grouping === mask).map((r) => ({ bin: (r as unknown as Record<string, number | null>)[name] ?? null, count: r.count }));
  };
  // The page leaves out drops without a value (silent deaths have no idle time).
  const page = (name: 'age' | 'idle') =>
    shapeBins(
      of(name)
        .filter((r): r is { bin: number; count: number } => r.bin !== null)
        .sort((a, b) => a.bin - b.bin),
      widthMs,
    );
  return {
    age: page('age'),
    idle: page('idle'),
    ...(withAnalysisBins && { analysisBins: { age: dropBinsFromRows(of('age100')), idle: dropBinsFromRows(of('idle100').filter((r) => r.bin !== null)) } }),
  };
}

/**
 * Dense bins from 0 (or the first filled bin) when that stays under MAX_DENSE_BINS; else
 * the filled bins with an empty neighbour each side, so a chart on a numeric axis still
 * draws each bar one bin wide and does not bridge the gaps.
 */
export function shapeBins(rows: readonly { bin: number; count: number }[], widthMs: number): DropHistogram {
  const total = rows.reduce((n, r) => n + r.count, 0);
  if (rows.length === 0) return { total, bins: [], dense: true };
  const first = rows[0]!.bin;
  const last = rows.at(-1)!.bin;
  const lo = last - Math.min(0, first) + 1 <= MAX_DENSE_BINS ? Math.min(0, first) : first;
  if (last - lo + 1 <= MAX_DENSE_BINS) {
    const bins = Array.from({ length: last - lo + 1 }, (_, i) => ({ startMs: (lo + i) * widthMs, count: 0 }));
    for (const r of rows) bins[r.bin - lo]!.count = r.count;
    return { total, bins, dense: true };
  }
  const byBin = new Map(rows.map((r) => [r.bin, r.count]));
  const keys = new Set<number>();
  for (const r of rows) for (const b of [r.bin - 1, r.bin, r.bin + 1]) keys.add(b);
  const bins = [...keys].sort((a, b) => a - b).map((b) => ({ startMs: b * widthMs, count: byBin.get(b) ?? 0 }));
  return { total, bins, dense: false };
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
