/**
 * The drop analysis over a scope of the database. SQL does the heavy lifting in four
 * statements, whatever the number of sessions: the histograms of age and of idle time
 * before the drop, the members of each dense window (sampled), and the per-path counts
 * around every window in one pass (`width_bucket` over the windows' edges). The pure code
 * in lib/analysis finds the windows and draws the conclusions.
 */
import { and, eq, gte, isNotNull, isNull, lt, ne, or, sql, type SQL } from 'drizzle-orm';
import { BIN_MS } from '../../lib/analysis/analyze';
import type { Layer } from '../../lib/analysis/catalogue';
import { describeSignature } from '../../lib/analysis/signature';
import type { Drop, PathExposure, Signature } from '../../lib/analysis/types';
import { signatureWindows, type SignatureWindow } from '../../lib/analysis/windows';
import type { Bin } from '../../lib/analysis/peaks';
import type { ProfileKind } from '../../lib/contracts/ingest';
import type { Db, Executor } from '../client';
import { canarySessions as s, probes, targetSessionViews as tv } from '../schema';
import { pathFilters, rowsOf } from './scope';

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

/** Members read per signature: enough for N, kind, place and both ends. */
const MEMBER_SAMPLE = 2000;

/** Age at the end: for a silent death, dated by the last byte received (STACK-NOTES). */
const AGE = sql<number>`(case when ${s.endKind} = 'pong_timeout' then ${s.durationMs} - coalesce(${s.sinceLastRecvMs}, 0) else ${s.durationMs} end)`;
/** Silence both ways before the end; unknown for silent deaths. */
const IDLE = sql<number | null>`(case when ${s.endKind} = 'pong_timeout' then null else least(${s.sinceLastRecvMs}, ${s.sinceLastSentMs}) end)`;

/**
 * Numbers and instants we computed ourselves, written into the statement as literals: an
 * expression that appears in both SELECT and GROUP BY must be textually identical, and
 * bind parameters ($1 vs $5) would make them differ.
 */
function num(v: number): SQL {
  if (!Number.isFinite(v)) throw new RangeError(`not a finite number: ${v}`);
  return sql.raw(`${v}::float8`);
}
function instant(d: Date): SQL {
  return sql.raw(`'${d.toISOString()}'::timestamptz`);
}

function scopeFilters(scope: AnalysisScope): SQL[] {
  return pathFilters(s, scope);
}

function dropFilter(scope: AnalysisScope): SQL {
  return and(gte(s.endedAt, scope.from), lt(s.endedAt, scope.to), isNotNull(s.endKind), ne(s.endKind, 'probe_closed'), ...scopeFilters(scope))!;
}

export interface AnalysisResult {
  scope: { from: string; to: string; probe?: string; proxy?: string; target?: string; label?: string; profile?: string };
  totalDrops: number;
  signatures: Signature[];
}

/** The scope's drops in 100 ms bins, by age and by idle time: what the analysis starts from. */
export interface DropBins {
  /** Every drop in scope by `floor(age / 100 ms)` (a drop without an age counts in bin 0). */
  age: readonly Bin[];
  /** The drops with an idle time (not silent deaths) by `floor(idle / 100 ms)`. */
  idle: readonly Bin[];
}

export interface AnalyzeOptions {
  now: Date;
  layers: readonly Layer[];
  /**
   * The scope's bins when the caller has read them already (the drops page reads them
   * beside its own histograms in one pass): the analysis then skips its two histogram
   * statements. They must be of the same scope, binned as `dropBinIndex` and
   * `dropBinsFromRows` bin them. Read in the caller's snapshot, not the analysis's: sessions
   * that end in between are in one and not the other, as between two page loads.
   */
  bins?: DropBins;
}

/**
 * The drop analysis of a scope: signatures with their verdicts. Reads the histograms
 * unless `options.bins` brings them, then the sampled members and the per-path counts of
 * the windows found, in one read-only snapshot.
 */
export async function analyzeScope(db: Db, scope: AnalysisScope, options: AnalyzeOptions): Promise<AnalysisResult> {
  return db.transaction(
    async (tx) => {
      // The exposures group by six columns that have no combined statistics: PostgreSQL
      // expects tens of thousands of groups for a few hundred and, with the default 4 MB,
      // sorts the scope's sessions to disk instead of hashing them (1M sessions in one day:
      // 1.3-1.45 s sorted, 0.57 s hashed). Local to this read-only transaction.
      await tx.execute(sql`set local work_mem = '16MB'`);
      const ageBins = options.bins?.age ?? (await bins(tx, AGE, dropFilter(scope)));
      const idleBins = options.bins?.idle ?? (await bins(tx, IDLE, and(dropFilter(scope), sql`${IDLE} is not null`)!));
      const totalDrops = ageBins.reduce((n, b) => n + b.count, 0);
      const windows = signatureWindows(ageBins, idleBins, BIN_MS);
      if (windows.length === 0) return { scope: scopeJson(scope), totalDrops, signatures: [] };

      const members = await windowMembers(tx, scope, windows);
      const exposures = await windowExposures(tx, scope, windows, options.now);
      const signatures = windows
        .map((w, i) => {
          const m = members.get(i) ?? { sample: [], total: 0 };
          return describeSignature({ ...w, members: m.sample, totalMembers: m.total, paths: exposures.get(i) ?? [], totalDrops, layers: options.layers });
        })
        .filter((x): x is Signature => x !== null)
        .sort((a, b) => b.count - a.count);
      return { scope: scopeJson(scope), totalDrops, signatures };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
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

/** The start of a value's 100 ms bin, computed as the histogram computes it. */
function binStart(value: SQL): SQL<number> {
  return sql<number>`(${dropBinIndex(value)} * ${num(BIN_MS)})`;
}

/** A value's 100 ms bin index, as the analysis's histograms group by it. */
export function dropBinIndex(value: SQL): SQL<number> {
  return sql<number>`floor(${value} / ${num(BIN_MS)})`;
}

/**
 * Bins from grouped rows of `dropBinIndex`. A null index (a drop with no age) becomes bin 0,
 * as the analysis has always counted it: the drop still counts towards the total.
 */
export function dropBinsFromRows(rows: readonly { bin: number | null; count: number }[]): Bin[] {
  return rows.map((r) => ({ startMs: Number(r.bin) * BIN_MS, count: r.count }));
}

async function bins(tx: Executor, value: SQL, where: SQL): Promise<Bin[]> {
  const bin = dropBinIndex(value);
  const rows = await tx
    .select({ bin: sql<number | null>`${bin}`.mapWith(Number), count: sql<number>`count(*)`.mapWith(Number) })
    .from(s)
    .where(where)
    .groupBy(bin);
  return dropBinsFromRows(rows);
}

/** The windows' edges, sorted, for width_bucket: window i is bucket 2i+1 (between lo_i and hi_i). */
function edges(windows: readonly SignatureWindow[]): { array: SQL; bucketOf: Map<number, number> } {
  const sorted = windows.map((w, i) => ({ w, i })).sort((a, b) => a.w.peak.lowMs - b.w.peak.lowMs);
  const flat: number[] = [];
  const bucketOf = new Map<number, number>();
  sorted.forEach(({ w, i }, k) => {
    flat.push(w.peak.lowMs, w.peak.highMs);
    bucketOf.set(2 * k + 1, i);
  });
  return { array: sql`array[${sql.join(flat.map(num), sql`, `)}]::float8[]`, bucketOf };
}

/**
 * A sample of each window's members: the latest MEMBER_SAMPLE by end. The members are
 * numbered as narrow rows (id, end, bucket), and only the sample is joined to its wide
 * session row, its probe and the target's view: numbering 400,000 wide, joined rows to keep
 * 6,000 spilled them to disk and looked up a target view for every one.
 *
 * A member is a drop whose 100 ms bin starts in [lowMs, highMs), the same test the
 * histogram's count made: the windows' edges are bin edges (findPeaks puts them there), so
 * the window's total is the peak's count from those bins and need not be counted again.
 */
async function windowMembers(tx: Executor, scope: AnalysisScope, windows: readonly SignatureWindow[]): Promise<Map<number, { sample: Drop[]; total: number }>> {
  const out = new Map<number, { sample: Drop[]; total: number }>();
  for (const dimension of ['age', 'idle'] as const) {
    const dimWindows = windows.map((w, i) => ({ w, i })).filter((x) => x.w.dimension === dimension);
    if (dimWindows.length === 0) continue;
    const { array, bucketOf } = edges(dimWindows.map((x) => x.w));
    const value = dimension === 'age' ? AGE : IDLE;
    const bucket = sql<number>`width_bucket(${binStart(value)}, ${array})`;
    const rows = await tx
      .select({
        bucket: sql<number>`m.b`.mapWith(Number),
        id: s.id,
        probe: probes.name,
        labels: probes.labels,
        target: s.targetName,
        proxy: s.proxyName,
        proxyKind: s.proxyKind,
        profile: s.profile,
        profileKind: s.profileKind,
        gapMs: s.gapMs,
        ageMs: sql<number>`${AGE}`.mapWith(Number),
        idleMs: IDLE,
        endKind: s.endKind,
        closeCode: s.closeCode,
        endedAt: s.endedAt,
        headers: s.responseHeaders,
        egress: s.egressAddress,
        tvCloseFrame: tv.closeFrameReceived,
        tvEndKind: tv.endKind,
        tvEndedAt: tv.endedAt,
      })
      .from(
        sql`(select id, b
             from (select ${s.id} as id, ${bucket} as b, row_number() over (partition by ${bucket} order by ${s.endedAt} desc, ${s.id}) as rn
                   from ${s}
                   where ${dropFilter(scope)} and ${value} is not null and ${bucket} % 2 = 1) as numbered
             where rn <= ${MEMBER_SAMPLE}) as m`,
      )
      .innerJoin(s, eq(s.id, sql`m.id`))
      .innerJoin(probes, eq(probes.id, s.probeId))
      .leftJoin(tv, eq(tv.sessionId, s.id));
    for (const r of rows) {
      const i = bucketOf.get(r.bucket);
      if (i === undefined) continue;
      const entry = out.get(i) ?? { sample: [], total: windows[i]!.peak.count };
      entry.sample.push({
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
        egress: r.egress,
        targetView: r.tvEndedAt === null ? null : { closeFrameReceived: Boolean(r.tvCloseFrame), endKind: r.tvEndKind ?? 'error', endedAt: r.tvEndedAt.getTime() },
      });
      out.set(i, entry);
    }
  }
  return out;
}

/**
 * Per path and window: sessions, how many reached the window (by age), were cut in it,
 * outlived it. Sessions in scope: ended in the scope (by anyone; an ending means it had
 * opened, even if its open event is still on the way) or still open. One scan grouped by the path's own columns (a few hundred groups), each
 * window counted with FILTER; probes joined after grouping. Grouping by computed buckets
 * instead made PostgreSQL expect a million groups and sort the whole table to disk.
 */
/** The columns windowExposures reads, under their own names; `openedAt` only matters for live sessions. */
function exposureColumns(openedAt: SQL): SQL {
  // Named as in the table (snake_case), which the column objects render to.
  const cols = [
    [s.probeId, 'probe_id'], [s.targetName, 'target_name'], [s.proxyName, 'proxy_name'], [s.profile, 'profile'], [s.profileKind, 'profile_kind'],
    [s.gapMs, 'gap_ms'], [s.endKind, 'end_kind'], [s.endedAt, 'ended_at'], [s.durationMs, 'duration_ms'], [s.sinceLastRecvMs, 'since_last_recv_ms'],
    [s.sinceLastSentMs, 'since_last_sent_ms'],
  ] as const;
  return sql`${sql.join(cols.map(([c, name]) => sql`${c} as ${sql.identifier(name)}`), sql`, `)}, ${openedAt} as "opened_at"`;
}

async function windowExposures(tx: Executor, scope: AnalysisScope, windows: readonly SignatureWindow[], now: Date): Promise<Map<number, PathExposure[]>> {
  const liveAge = sql`extract(epoch from (${instant(now)} - ${s.openedAt})) * 1000`;
  const age = sql`(case when ${s.endedAt} is null then ${liveAge} else ${AGE} end)`;
  const dropped = sql`(${s.endKind} is not null and ${s.endKind} <> 'probe_closed')`;
  const counts: SQL[] = [];
  windows.forEach((w, i) => {
    const lo = num(w.peak.lowMs);
    const hi = num(w.peak.highMs);
    const value = w.dimension === 'age' ? age : IDLE;
    counts.push(sql`count(*) filter (where ${age} >= ${lo}) as ${sql.identifier(`reached${i}`)}`);
    counts.push(sql`count(*) filter (where ${age} >= ${hi}) as ${sql.identifier(`outlived${i}`)}`);
    counts.push(sql`count(*) filter (where ${dropped} and ${value} >= ${lo} and ${value} < ${hi}) as ${sql.identifier(`hits${i}`)}`);
  });
  // The sessions in scope as two branches, each with its own index: the endings (an
  // index-only scan of canary_sessions_endings_idx, which holds every column used here)
  // and the live canaries (canary_sessions_live_idx). The derived table keeps the name
  // canary_sessions so that AGE and IDLE, shared with the other statements, apply to it.
  const rows = rowsOf<Record<string, unknown>>(
    await tx.execute(sql`select ${s.probeId} as "probeId", ${s.targetName} as target, ${s.proxyName} as proxy, ${s.profile} as profile,
        ${s.profileKind} as "profileKind", ${s.gapMs} as "gapMs", count(*) as sessions, ${sql.join(counts, sql`, `)}
      from (select ${exposureColumns(sql`null::timestamptz`)} from ${s}
              where ${and(isNotNull(s.endKind), gte(s.endedAt, scope.from), lt(s.endedAt, scope.to), ...scopeFilters(scope))}
            union all
            select ${exposureColumns(sql`${s.openedAt}`)} from ${s}
              where ${and(eq(s.outcome, 'opened'), isNull(s.endedAt), lt(s.openedAt, scope.to), ...scopeFilters(scope))}) as ${s}
      group by ${s.probeId}, ${s.targetName}, ${s.proxyName}, ${s.profile}, ${s.profileKind}, ${s.gapMs}`),
  ).map((r) => ({ ...r, probeId: Number(r.probeId), sessions: Number(r.sessions) })) as (Record<string, number> & {
    probeId: number;
    target: string;
    proxy: string;
    profile: string;
    profileKind: ProfileKind | null;
    gapMs: number | null;
    sessions: number;
  })[];
  const probeRows = await tx.select({ id: probes.id, name: probes.name, labels: probes.labels }).from(probes);
  const probeOf = new Map(probeRows.map((p) => [p.id, p]));

  const out = new Map<number, PathExposure[]>();
  windows.forEach((_w, i) => {
    out.set(
      i,
      rows.map((r) => {
        const p = probeOf.get(r.probeId);
        return {
          probe: p?.name ?? String(r.probeId),
          labels: p?.labels ?? {},
          target: r.target,
          proxy: r.proxy,
          profile: r.profile,
          profileKind: r.profileKind,
          gapMs: r.gapMs === null ? null : Number(r.gapMs),
          sessions: r.sessions,
          reached: Number(r[`reached${i}`]),
          hits: Number(r[`hits${i}`]),
          outlived: Number(r[`outlived${i}`]),
        };
      }),
    );
  });
  return out;
}
