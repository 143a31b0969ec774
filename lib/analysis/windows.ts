/**
 * Phase one of the analysis: the dense windows in the histograms of age and of idle time
 * before the drop. An idle window at the same N as an age window is the same signature
 * (idle canaries' age is their idle time), so it is kept once, as age.
 *
 * Nothing under EARLY_MS is a signature: no layer times out in under a second, and what
 * ends there (a target that accepts the upgrade and closes at once, with 1013 while it is
 * paused) is said as a finding of its own (`earlyWindow`, lib/analysis/early-close.ts),
 * never as "WebSockets die at 0.0 s".
 */
import { ascending, type Bin } from './bins';
import { findPeaks, type Peak } from './peaks';
import { pathId } from './kind';
import { relativeGrid, toRelativeBins } from './relative-bins';
import type { Drop, PathExposure } from './types';

/** Drops younger than this ended "right after the upgrade": never a timeout's signature. */
export const EARLY_MS = 1000;
/** Fewest early drops worth a finding. */
const MIN_EARLY = 3;

export interface SignatureWindow {
  dimension: 'age' | 'idle';
  peak: Peak;
}

/**
 * The windows of the histograms of age and of idle time (bins of `binMs`, any order), found
 * on relative bins (lib/analysis/relative-bins.ts): the bins themselves below 409.6 s, 0.05 %
 * of the value above, so that a week of spread heartbeat lifetimes costs what a day does.
 * Window edges are on `binMs` bin edges.
 */
export function signatureWindows(ageBins: readonly Bin[], idleBins: readonly Bin[], binMs: number): SignatureWindow[] {
  const late = (bins: readonly Bin[]) => {
    // Bins in order (as the readers give them) lose their head by one slice, no per-bin test.
    if (!ascending(bins)) return toRelativeBins(bins.filter((b) => b.startMs >= EARLY_MS), binMs);
    let first = 0;
    while (first < bins.length && bins[first]!.startMs < EARLY_MS) first++;
    return toRelativeBins(first === 0 ? bins : bins.slice(first), binMs);
  };
  const grid = relativeGrid(binMs);
  const age = findPeaks(late(ageBins), { binMs, grid }).map((peak) => ({ dimension: 'age' as const, peak }));
  const idle = findPeaks(late(idleBins), { binMs, grid })
    .filter((p) => !age.some((a) => p.lowMs < a.peak.highMs && p.highMs > a.peak.lowMs))
    .map((peak) => ({ dimension: 'idle' as const, peak }));
  return [...age, ...idle].sort((a, b) => a.peak.centerMs - b.peak.centerMs);
}

/** The drops that ended within EARLY_MS of their 101, as a window of age (null when too few to say anything). */
export function earlyWindow(ageBins: readonly Bin[]): SignatureWindow | null {
  const count = ageBins.reduce((n, b) => (b.startMs < EARLY_MS ? n + b.count : n), 0);
  if (count < MIN_EARLY) return null;
  return { dimension: 'age', peak: { centerMs: EARLY_MS / 2, lowMs: 0, highMs: EARLY_MS, count, expected: 0, logP: 0 } };
}

/**
 * An idle window whose drops mostly have their age inside an age window is that age
 * signature seen on the other axis, not a second layer: heartbeat canaries cut at age N
 * had all fallen silent N mod their interval before (a 240 s lifetime showed a phantom
 * 14.9 s idle signature beside it).
 */
export function isEcho(w: SignatureWindow, members: readonly Pick<Drop, 'ageMs'>[], windows: readonly SignatureWindow[]): boolean {
  if (w.dimension !== 'idle' || members.length === 0) return false;
  const ages = windows.filter((o) => o.dimension === 'age').map((o) => o.peak);
  const explained = members.filter((d) => d.ageMs !== null && ages.some((p) => d.ageMs! >= p.lowMs && d.ageMs! < p.highMs)).length;
  return explained >= 0.5 * members.length;
}

/**
 * Each path's exposure without its sessions that ended right after their 101 (`early`:
 * the early window's exposures). Those said nothing about any N: counted as sessions, a
 * paused target's hundred early closes made the direct path, whose sessions that did live
 * all outlived the proxy's cut, look like no control at all.
 */
export function withoutEarly(paths: readonly PathExposure[], early: readonly PathExposure[] | undefined): PathExposure[] {
  if (!early || early.length === 0) return [...paths];
  const closed = new Map(early.map((p) => [pathId(p), p.hits]));
  return paths.map((p) => {
    const n = closed.get(pathId(p));
    return n ? { ...p, sessions: Math.max(0, p.sessions - n) } : p;
  });
}
