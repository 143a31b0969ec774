/**
 * The analysis' exposures: per path and window, how many sessions reached the window (by
 * age), were cut in it and outlived it: what places a signature on the target × proxy ×
 * probe matrix. The sealed hours come from the endings aggregate's packs, the rest of the
 * range and the live canaries from the rows, added path by path.
 */
import { and, eq, isNotNull, isNull, lt, sql, type SQL } from 'drizzle-orm';
import { BIN_MS } from '../../lib/analysis/analyze';
import type { PathExposure } from '../../lib/analysis/types';
import type { SignatureWindow } from '../../lib/analysis/windows';
import type { ProfileKind } from '../../lib/contracts/ingest';
import type { EndingSplit } from '../../lib/rollups/ending-buckets';
import type { EndingPack } from '../../lib/rollups/ending-pack';
import { packExposures, type BinWindow, type PackExposure } from '../../lib/rollups/pack-windows';
import type { Executor } from '../client';
import { canarySessions as s, probes } from '../schema';
import type { AnalysisScope } from './analysis';
import { AGE, IDLE } from './drop-values';
import { packFilter } from './ending-bins';
import { instant, num } from './literals';
import { pathFilters, rowsOf, within } from './scope';

/** Per window, each path's exposure, with its probe's name and labels. */
function exposuresByWindow(windows: readonly SignatureWindow[], rows: readonly ExposureRow[], probeRows: readonly { id: number; name: string; labels: Record<string, string> | null }[]): Map<number, PathExposure[]> {
  const probeOf = new Map(probeRows.map((p) => [p.id, p]));
  // In a fixed order, however the database grouped them (a hash's order changes with the data).
  const text = (v: string | number | null) => (v === null ? '' : String(v));
  const order = (r: ExposureRow) => [probeOf.get(r.probeId)?.name ?? String(r.probeId), r.target, r.proxy, r.profile, text(r.profileKind), text(r.gapMs)];
  const sorted = [...rows].sort((a, b) => {
    const x = order(a);
    const y = order(b);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
    return 0;
  });
  const out = new Map<number, PathExposure[]>();
  windows.forEach((_w, i) => {
    out.set(
      i,
      sorted.map((r) => {
        const p = probeOf.get(r.probeId);
        return {
          probe: p?.name ?? String(r.probeId),
          labels: p?.labels ?? {},
          target: r.target,
          proxy: r.proxy,
          profile: r.profile,
          profileKind: r.profileKind as ProfileKind | null,
          gapMs: r.gapMs === null ? null : Number(r.gapMs),
          sessions: r.sessions,
          drops: r.drops,
          ...r.window(i),
        };
      }),
    );
  });
  return out;
}

/** A path's exposure (its path, sessions and drops as the packs count them) with its counts for window i. */
interface ExposureRow extends Omit<PackExposure, 'reached' | 'outlived' | 'hits'> {
  window(i: number): { reached: number; outlived: number; hits: number };
}

/**
 * The row windowExposures counts, per session: its path, its age (a live canary's by the
 * clock), its idle time and whether it dropped, each computed once here rather than in
 * every window's FILTER (three per window, per session).
 */
function exposureRow(age: SQL, idle: SQL, dropped: SQL): SQL {
  return sql`${s.probeId} as probe_id, ${s.targetName} as target_name, ${s.proxyName} as proxy_name, ${s.profile} as profile,
    ${s.profileKind} as profile_kind, ${s.gapMs} as gap_ms, ${age}::float8 as age_ms, ${idle}::float8 as idle_ms, ${dropped} as dropped`;
}

/**
 * Per path and window: sessions, how many reached the window (by age), were cut in it,
 * outlived it. Sessions in scope: ended in the scope (by anyone; an ending means it had
 * opened, even if its open event is still on the way) or still open. The sealed hours'
 * endings are counted from the aggregate, the rest from the rows; both are grouped by the
 * path's own columns (a few hundred groups) with each window counted by FILTER, and added
 * path by path. Grouping by computed buckets instead made PostgreSQL expect a million
 * groups and sort the whole table to disk.
 */
export async function windowExposures(
  tx: Executor,
  scope: AnalysisScope,
  windows: readonly SignatureWindow[],
  now: Date,
  split: EndingSplit,
  packs: () => Promise<EndingPack[]>,
): Promise<Map<number, PathExposure[]>> {
  const [fromRows, fromSealed, probeRows] = await Promise.all([
    rowExposures(tx, scope, windows, now, split),
    split.sealed.length === 0 ? [] : packs().then((p) => sealedExposures(p, scope, windows)),
    tx.select({ id: probes.id, name: probes.name, labels: probes.labels }).from(probes),
  ]);
  const byPath = new Map<string, Record<string, unknown>>();
  const keyOf = (r: Record<string, unknown>) => JSON.stringify([Number(r.probeId), r.target, r.proxy, r.profile, r.profileKind ?? null, r.gapMs === null ? null : Number(r.gapMs)]);
  for (const r of [...fromRows, ...fromSealed]) {
    const key = keyOf(r);
    const seen = byPath.get(key);
    if (!seen) {
      byPath.set(key, { ...r });
      continue;
    }
    for (const [name, value] of Object.entries(r)) if (name === 'sessions' || name === 'drops' || /^(reached|outlived|hits)\d+$/.test(name)) seen[name] = Number(seen[name] ?? 0) + Number(value ?? 0);
  }
  const rows = [...byPath.values()].map(
    (r): ExposureRow => ({
      probeId: Number(r.probeId),
      target: r.target as string,
      proxy: r.proxy as string,
      profile: r.profile as string,
      profileKind: (r.profileKind as string | null) ?? null,
      gapMs: r.gapMs === null || r.gapMs === undefined ? null : Number(r.gapMs),
      sessions: Number(r.sessions),
      drops: Number(r.drops),
      window: (i: number) => ({ reached: Number(r[`reached${i}`] ?? 0), outlived: Number(r[`outlived${i}`] ?? 0), hits: Number(r[`hits${i}`] ?? 0) }),
    }),
  );
  return exposuresByWindow(windows, rows, probeRows);
}

/** The path columns every exposure statement answers with, under the names ExposureRow reads. */
const EXPOSURE_PATH = sql.raw(`probe_id as "probeId", target_name as target, proxy_name as proxy, profile, profile_kind as "profileKind", gap_ms as "gapMs"`);
const EXPOSURE_GROUP = sql.raw('group by probe_id, target_name, proxy_name, profile, profile_kind, gap_ms');

/** The exposures of the endings read from the rows (edges, open and dirty hours) and of the live canaries. */
async function rowExposures(tx: Executor, scope: AnalysisScope, windows: readonly SignatureWindow[], now: Date, split: EndingSplit): Promise<Record<string, unknown>[]> {
  const liveAge = sql`extract(epoch from (${instant(now)} - ${s.openedAt})) * 1000`;
  const counts: SQL[] = [];
  windows.forEach((w, i) => {
    const lo = num(w.peak.lowMs);
    const hi = num(w.peak.highMs);
    const value = sql.raw(w.dimension === 'age' ? 'age_ms' : 'idle_ms');
    counts.push(sql`count(*) filter (where age_ms >= ${lo}) as ${sql.identifier(`reached${i}`)}`);
    counts.push(sql`count(*) filter (where age_ms >= ${hi}) as ${sql.identifier(`outlived${i}`)}`);
    counts.push(sql`count(*) filter (where dropped and ${value} >= ${lo} and ${value} < ${hi}) as ${sql.identifier(`hits${i}`)}`);
  });
  // The sessions as two branches, each with its own index: the endings (an index-only scan
  // of canary_sessions_endings_idx, which holds every column used here) and the live
  // canaries (canary_sessions_live_idx).
  return rowsOf<Record<string, unknown>>(
    await tx.execute(sql`select ${EXPOSURE_PATH}, count(*) as sessions, count(*) filter (where dropped) as drops, ${sql.join(counts, sql`, `)}
      from (select ${exposureRow(AGE, IDLE, sql`(${s.endKind} <> 'probe_closed')`)} from ${s}
              where ${and(isNotNull(s.endKind), within(s.endedAt, split.raw), ...pathFilters(s, scope))}
            union all
            select ${exposureRow(liveAge, sql`null`, sql`false`)} from ${s}
              where ${and(eq(s.outcome, 'opened'), isNull(s.endedAt), lt(s.openedAt, scope.to), ...pathFilters(s, scope))}) as e
      ${EXPOSURE_GROUP}`),
  );
}

/** The windows in BIN_MS bins: their edges are bin edges (findPeaks puts them there). */
export function windowBins(windows: readonly SignatureWindow[]): BinWindow[] {
  const edge = (ms: number) => {
    const bin = Math.round(ms / BIN_MS);
    if (Math.abs(bin * BIN_MS - ms) > 1e-6) throw new RangeError(`a window edge off the ${BIN_MS} ms bins: ${ms}`);
    return bin;
  };
  return windows.map((w) => ({ dimension: w.dimension, lo: edge(w.peak.lowMs), hi: edge(w.peak.highMs) }));
}

/**
 * The exposures of the sealed hours' endings, from the aggregate's packs: a window's edges
 * are bin edges (findPeaks puts them there), so "age >= lowMs" is "bin >= lowMs / BIN_MS"
 * exactly. Answered in the shape of rowExposures' rows, which they are added to.
 */
function sealedExposures(packs: readonly EndingPack[], scope: AnalysisScope, windows: readonly SignatureWindow[]): Record<string, unknown>[] {
  return packExposures(packs, packFilter(scope), windowBins(windows)).map((e) => {
    const row: Record<string, unknown> = { probeId: e.probeId, target: e.target, proxy: e.proxy, profile: e.profile, profileKind: e.profileKind, gapMs: e.gapMs, sessions: e.sessions, drops: e.drops };
    windows.forEach((_w, i) => {
      row[`reached${i}`] = e.reached[i];
      row[`outlived${i}`] = e.outlived[i];
      row[`hits${i}`] = e.hits[i];
    });
    return row;
  });
}
