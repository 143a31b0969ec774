/**
 * The whole analysis over sessions held in memory: used by tests, the lab suite and small
 * scopes. db/queries/analysis.ts runs the same phases with SQL doing the binning and the
 * per-path counting for large scopes, and calls the same pure functions.
 */
import { BUILTIN_LAYERS, type Layer } from './catalogue';
import { pathId } from './kind';
import type { Bin } from './bins';
import { describeSignature, valueOf } from './signature';
import type { Drop, PathExposure, Signature } from './types';
import { earlyCloseFindings } from './early-close';
import { reconcileFixes } from './fixes';
import type { Finding } from './findings';
import { earlyWindow, isEcho, signatureWindows, withoutEarly, type SignatureWindow } from './windows';
import { diagnose } from '../diagnosis/diagnose';
import type { Chain, Diagnosis, ExperimentSession } from '../diagnosis/types';

export const BIN_MS = 100;

/** A session in scope: a drop, or one that survived (ended by the probe, or still open). */
export type SessionSample = Drop & { dropped: boolean };

export interface Analysis {
  totalDrops: number;
  signatures: Signature[];
  /** What the drops say beside the signatures: connections closed right after their 101; and the experiments' findings (bisect, transport, echo). */
  findings: Finding[];
  /** What the experiments concluded (issue 18): empty without experiment sessions. */
  diagnosis: Diagnosis;
}

/** The experiments of the scope and the declared chains, for the active diagnosis (lib/diagnosis). */
export interface AnalysisExtra {
  experiments?: readonly ExperimentSession[];
  chains?: readonly Chain[];
}

export function binsOf(values: Iterable<number>, binMs = BIN_MS): Bin[] {
  const counts = new Map<number, number>();
  for (const v of values) {
    const b = Math.floor(v / binMs) * binMs;
    counts.set(b, (counts.get(b) ?? 0) + 1);
  }
  return [...counts.entries()].map(([startMs, count]) => ({ startMs, count }));
}

export function analyzeSessions(sessions: readonly SessionSample[], layers: readonly Layer[] = BUILTIN_LAYERS, extra: AnalysisExtra = {}): Analysis {
  const drops = sessions.filter((s) => s.dropped);
  const ageBins = binsOf(drops.map((d) => d.ageMs).filter((v): v is number => v !== null));
  const windows = signatureWindows(ageBins, binsOf(drops.map((d) => d.idleMs).filter((v): v is number => v !== null)), BIN_MS);
  const early = earlyWindow(ageBins);
  const earlyPaths = early ? pathExposures(sessions, early) : undefined;
  const signatures = windows
    .map((w) => ({ w, members: membersOf(drops, w) }))
    .filter(({ w, members }) => !isEcho(w, members, windows))
    .map(({ w, members }) =>
      describeSignature({
        ...w,
        members,
        paths: withoutEarly(pathExposures(sessions, w), earlyPaths),
        totalDrops: drops.length,
        layers,
      }),
    )
    .filter((s): s is Signature => s !== null)
    .sort((a, b) => b.count - a.count);
  const findings = early ? earlyCloseFindings(membersOf(drops, early), earlyPaths!) : [];
  const diagnosed = diagnose({ sessions: extra.experiments ?? [], chains: extra.chains ?? [], signatures, identities: latestIdentities(sessions) });
  return { totalDrops: drops.length, signatures: diagnosed.signatures, findings: reconcileFixes(diagnosed.signatures, [...findings, ...diagnosed.findings]), diagnosis: diagnosed.diagnosis };
}

export function membersOf(drops: readonly Drop[], w: SignatureWindow): Drop[] {
  return drops.filter((d) => {
    const v = valueOf(d, w.dimension);
    return v !== null && v >= w.peak.lowMs && v < w.peak.highMs;
  });
}

/**
 * Per path: how many sessions reached the window, were cut in it, or outlived it (by age).
 * A path is also its rung's gap, as db/queries/analysis-exposures.ts groups them: the
 * adaptive ladder's rungs share one profile name, and each gap says something else of N.
 */
export function pathExposures(sessions: readonly SessionSample[], w: SignatureWindow): PathExposure[] {
  const byPath = new Map<string, PathExposure>();
  for (const s of sessions) {
    const id = `${pathId(s)}|${s.profileKind}|${s.gapMs}`;
    let p = byPath.get(id);
    if (!p) {
      p = { probe: s.probe, target: s.target, proxy: s.proxy, profile: s.profile, profileKind: s.profileKind, gapMs: s.gapMs, labels: s.labels, sessions: 0, drops: 0, reached: 0, hits: 0, outlived: 0 };
      byPath.set(id, p);
    }
    p.sessions += 1;
    if (s.dropped) p.drops += 1;
    if (s.ageMs !== null && s.ageMs >= w.peak.lowMs) p.reached += 1;
    if (s.ageMs !== null && s.ageMs >= w.peak.highMs) p.outlived += 1;
    const v = valueOf(s, w.dimension);
    if (s.dropped && v !== null && v >= w.peak.lowMs && v < w.peak.highMs) p.hits += 1;
  }
  return [...byPath.values()];
}

/** Each target's latest identifying 101 headers among the sessions (what a chain's entry points say about themselves). */
function latestIdentities(sessions: readonly SessionSample[]): Map<string, Record<string, string>> {
  const latest = new Map<string, SessionSample>();
  for (const s of sessions) {
    if (Object.keys(s.headers).length === 0) continue;
    const seen = latest.get(s.target);
    if (!seen || s.endedAt > seen.endedAt) latest.set(s.target, s);
  }
  return new Map([...latest].map(([target, s]) => [target, s.headers]));
}
