/**
 * From a dense window and its members to a signature: N, spread, kind, place, candidate
 * layers, the target's view, the verdict and the fix.
 */
import type { Layer } from './catalogue';
import { bothEnds } from './both-ends';
import { rankCandidates } from './candidates';
import { decideKind } from './kind';
import { locate } from './location';
import type { Peak } from './peaks';
import { median, robustSpread, tally } from './stats';
import type { Drop, PathExposure, Signature } from './types';
import { recommendation, verdictSentence } from './verdict';

export interface SignatureInput {
  dimension: 'age' | 'idle';
  peak: Peak;
  /** Drops whose value on `dimension` falls in the peak's window (possibly a sample). */
  members: readonly Drop[];
  /** How many drops the window holds when `members` is a sample. */
  totalMembers?: number;
  /** Every path in scope, measured around this window. */
  paths: readonly PathExposure[];
  /** All drops in scope (for the share). */
  totalDrops: number;
  layers: readonly Layer[];
}

export function valueOf(d: Drop, dimension: 'age' | 'idle'): number | null {
  return dimension === 'age' ? d.ageMs : d.idleMs;
}

export function describeSignature(input: SignatureInput): Signature | null {
  const { dimension, peak, members, paths, totalDrops, layers } = input;
  const count = Math.max(input.totalMembers ?? 0, members.length);
  const values = members.map((d) => valueOf(d, dimension)).filter((v): v is number => v !== null);
  if (values.length === 0) return null;
  const nMs = median(values);
  const nSeconds = Math.round(nMs / 100) / 10;
  const halfWidth = (peak.highMs - peak.lowMs) / 2;
  const { kind, evidence } = decideKind(dimension, nMs, halfWidth, members, paths);
  const location = locate(paths, kind, nSeconds);
  const candidates = rankCandidates(layers, { nMs, kind, members, scope: location.scope });
  const ends = bothEnds(members);
  const controlIsDirect = location.evidence.some((e) => e.startsWith('control: the direct path'));
  const ended = members.map((d) => d.endedAt).sort((a, b) => a - b);
  return {
    key: `${dimension}-${nSeconds.toFixed(1)}s`,
    dimension,
    nMs: Math.round(nMs),
    nSeconds,
    spreadMs: Math.round(robustSpread(values)),
    minMs: Math.min(...values),
    maxMs: Math.max(...values),
    window: { lowMs: peak.lowMs, highMs: peak.highMs },
    count,
    share: totalDrops > 0 ? Math.round((count / totalDrops) * 1000) / 1000 : 0,
    firstSeen: new Date(ended[0]!).toISOString(),
    lastSeen: new Date(ended.at(-1)!).toISOString(),
    kind,
    kindEvidence: evidence,
    endings: tally(members.map((d) => d.endKind)),
    closeCodes: tally(members.filter((d) => d.closeCode !== null).map((d) => d.closeCode!)),
    paths: paths.filter((p) => p.hits > 0 || p.reached > 0).sort((a, b) => b.hits - a.hits || b.reached - a.reached),
    location,
    candidates,
    bothEnds: ends,
    verdict: verdictSentence({ nSeconds, kind, count, scope: location.scope, value: location.value, candidates, controlIsDirect, proxiesCut: new Set(members.map((d) => d.proxy)).size }),
    recommendation: recommendation({ nSeconds, kind, candidates }),
  };
}
