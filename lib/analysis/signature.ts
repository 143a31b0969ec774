/**
 * From a dense window and its members to a signature: N, spread, kind, place, candidate
 * layers, the target's view, the verdict and the fix.
 */
import type { Layer } from './catalogue';
import { bothEnds } from './both-ends';
import { confidenceOf } from './confidence';
import { describeCloseCode } from './close-codes';
import { closedByEndpoint } from './early-close';
import { identifySoftware } from './software';
import { rankCandidates } from './candidates';
import { decideKind, decideKindFromPaths } from './kind';
import { locate } from './location';
import type { Peak } from './peaks';
import { median, robustSpread, tally } from './stats';
import type { Drop, PathExposure, Signature } from './types';
import { fixOf, recommendation, verdictSentence } from './verdict';

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
  /**
   * When the window's drops are past raw retention, so that `members` is empty: the span of
   * the hours the aggregates hold them in. The signature is then described from the window
   * and the paths alone (`fromAggregates`); without it, a window without members is none.
   */
  seen?: { firstMs: number; lastMs: number };
}

/** Ends this close together are one event. */
const ONE_INSTANT_MS = 2000;

/** The header the dropscope canary target sets on its 101 (target/canary-target.ts TARGET_HEADER). */
const CANARY_TARGET_HEADER = 'x-dropscope-target';

export function valueOf(d: Pick<Drop, 'ageMs' | 'idleMs'>, dimension: 'age' | 'idle'): number | null {
  return dimension === 'age' ? d.ageMs : d.idleMs;
}

export function describeSignature(input: SignatureInput): Signature | null {
  const { dimension, peak, members, paths, totalDrops, layers } = input;
  const count = Math.max(input.totalMembers ?? 0, members.length);
  const values = members.map((d) => valueOf(d, dimension)).filter((v): v is number => v !== null);
  if (values.length === 0) return input.seen && members.length === 0 ? fromAggregates(input, input.seen) : null;
  const nMs = median(values);
  const nSeconds = Math.round(nMs / 100) / 10;
  const halfWidth = (peak.highMs - peak.lowMs) / 2;
  const { kind, evidence } = decideKind(dimension, nMs, halfWidth, members, paths);
  const location = locate(paths, kind, nSeconds);
  const closedByApp = members.filter(closedByEndpoint);
  const closeCode = dominantCode(closedByApp);
  // An endpoint that closed its open connections at one instant (a restart, a deploy, the
  // canary target paused) made their durations whatever they happened to be: no timer.
  const ended = members.map((d) => d.endedAt).sort((a, b) => a - b);
  if (closedByApp.length >= 0.8 * members.length && ended.at(-1)! - ended[0]! <= ONE_INSTANT_MS) return null;
  const identified = identifySoftware(members, location, { nMs, kind }, layers);
  // The endpoint decided (most ended with an application close code), unless a layer of
  // the catalogue that speaks WebSocket closes with that very code at this N, or the
  // endpoint is a dropscope canary target, which never closes a session by itself (only
  // when paused, at one instant for every canary: no N).
  const ranked = rankCandidates(layers, { nMs, kind, members, scope: location.scope, software: identified.software });
  const layerCloses = ranked.filter((c) => layers.find((l) => l.id === c.layerId)?.closeCode === closeCode && c.basis === 'default');
  const canaryTarget = members.filter((d) => d.headers[CANARY_TARGET_HEADER] !== undefined).length >= 0.8 * members.length;
  const endedBy = closedByApp.length >= 0.8 * members.length && layerCloses.length === 0 && !canaryTarget ? 'endpoint' : 'layer';
  // An endpoint's own close is relayed, not made, by the layers in front: naming them would mislead.
  const { software, note: softwareNote } =
    endedBy === 'endpoint' ? { software: null, note: `the endpoint closed these itself (${describeCloseCode(closeCode!)}): the layers in front of it only relayed the close` } : identified;
  const candidates = endedBy === 'endpoint' ? [] : ranked;
  return assemble({
    dimension, peak, nMs, nSeconds, count, totalDrops, paths, kind, kindEvidence: evidence, location, candidates, endedBy, software, softwareNote, closeCode,
    proxiesCut: new Set(members.map((d) => d.proxy)).size,
    spreadMs: Math.round(robustSpread(values)),
    minMs: Math.min(...values),
    maxMs: Math.max(...values),
    firstSeenMs: ended[0]!,
    lastSeenMs: ended.at(-1)!,
    endings: tally(members.map((d) => d.endKind)),
    closeCodes: tally(members.filter((d) => d.closeCode !== null).map((d) => d.closeCode!)),
    bothEnds: bothEnds(members),
  });
}

/**
 * A window whose drops are all past raw retention: what the aggregates still say. N is the
 * centre of the window's median 100 ms bin (findPeaks places it there), the kind and the place
 * come from the per-path counts, the candidates from the catalogue by N and kind; what only
 * the drops could tell (their software, close codes, both ends) is absent, and said so.
 */
function fromAggregates(input: SignatureInput, seen: { firstMs: number; lastMs: number }): Signature {
  const { dimension, peak, paths, totalDrops, layers } = input;
  const count = Math.max(input.totalMembers ?? 0, peak.count);
  const nMs = peak.centerMs;
  const nSeconds = Math.round(nMs / 100) / 10;
  const { kind, evidence } = decideKindFromPaths(dimension, nMs, count, paths);
  const location = locate(paths, kind, nSeconds);
  const candidates = rankCandidates(layers, { nMs, kind, members: [], scope: location.scope, software: null });
  return {
    ...assemble({
      dimension, peak, nMs, nSeconds, count, totalDrops, paths, kind, kindEvidence: evidence, location, candidates,
      endedBy: 'layer',
      software: null,
      softwareNote: 'its drops are past raw retention: the headers that would name the software are gone',
      closeCode: null,
      proxiesCut: 0,
      // Unknown without the values: at most the window's half-width.
      spreadMs: Math.round((peak.highMs - peak.lowMs) / 2),
      minMs: peak.lowMs,
      maxMs: peak.highMs,
      firstSeenMs: seen.firstMs,
      lastSeenMs: seen.lastMs,
      endings: {},
      closeCodes: {},
      bothEnds: null,
    }),
    fromAggregatesOnly:
      'every drop of this window is older than the raw sessions kept (DROPSCOPE_RETENTION_RAW): N is its median 100 ms bin, the first and last sightings are to the hour, and the kind, place and candidates come from the hourly aggregates; software, close codes and the target\'s view of the ends are not known',
  };
}

/** What a signature is made of, however it was decided (from its members or from the aggregates). */
interface Decided {
  dimension: 'age' | 'idle';
  peak: Peak;
  nMs: number;
  nSeconds: number;
  count: number;
  totalDrops: number;
  paths: readonly PathExposure[];
  kind: Signature['kind'];
  kindEvidence: string[];
  location: Signature['location'];
  candidates: Signature['candidates'];
  endedBy: Signature['endedBy'];
  software: Signature['software'];
  softwareNote: string;
  closeCode: number | null;
  /** Proxies among the drops read (0 when none could be). */
  proxiesCut: number;
  spreadMs: number;
  minMs: number;
  maxMs: number;
  firstSeenMs: number;
  lastSeenMs: number;
  endings: Signature['endings'];
  closeCodes: Signature['closeCodes'];
  bothEnds: Signature['bothEnds'];
}

/** The signature of what was decided: its share, the paths it shows, its confidence, verdict and fix. */
function assemble(d: Decided): Signature {
  const { location, kind, count, candidates, software, endedBy } = d;
  const controlIsDirect = location.evidence.some((e) => e.startsWith('control: the direct path'));
  const hasControl = location.evidence.some((e) => e.startsWith('control:'));
  const facts = { nSeconds: d.nSeconds, kind, count, scope: location.scope, value: location.value, candidates, controlIsDirect, proxiesCut: d.proxiesCut, software, endedBy, closeCode: d.closeCode } as const;
  const fix = fixOf(facts);
  return {
    key: `${d.dimension}-${d.nSeconds.toFixed(1)}s`,
    dimension: d.dimension,
    nMs: Math.round(d.nMs),
    nSeconds: d.nSeconds,
    spreadMs: d.spreadMs,
    minMs: d.minMs,
    maxMs: d.maxMs,
    window: { lowMs: d.peak.lowMs, highMs: d.peak.highMs },
    count,
    share: d.totalDrops > 0 ? Math.round((count / d.totalDrops) * 1000) / 1000 : 0,
    firstSeen: new Date(d.firstSeenMs).toISOString(),
    lastSeen: new Date(d.lastSeenMs).toISOString(),
    kind,
    kindEvidence: d.kindEvidence,
    endings: d.endings,
    closeCodes: d.closeCodes,
    paths: d.paths.filter((p) => p.hits > 0 || p.reached > 0).sort((a, b) => b.hits - a.hits || b.reached - a.reached),
    location,
    candidates,
    endedBy,
    software,
    softwareNote: d.softwareNote,
    confidence: confidenceOf({ count, kind, scope: location.scope, value: location.value, hasControl, endedBy, software, candidates, bothEndsSeen: d.bothEnds !== null }),
    bothEnds: d.bothEnds,
    verdict: verdictSentence(facts),
    recommendation: recommendation(facts, fix),
    fix,
  };
}

/**
 * The signature as it reads once its software is known not to be the layer that cut (a
 * declared chain showed that identity on an entry point whose canaries outlive N,
 * lib/diagnosis/diagnose.ts): no software, no candidate named by that identity, and the
 * verdict, fix and confidence said again from what is left.
 */
export function withoutSoftware(sig: Signature, note: string): Signature {
  const candidates = sig.candidates.filter((c) => c.basis !== 'identity');
  const { location, kind, count, endedBy } = sig;
  const controlIsDirect = location.evidence.some((e) => e.startsWith('control: the direct path'));
  const hasControl = location.evidence.some((e) => e.startsWith('control:'));
  const proxiesCut = new Set(sig.paths.filter((p) => p.hits > 0).map((p) => p.proxy)).size;
  const closeCode = Number(Object.entries(sig.closeCodes).sort((a, b) => b[1] - a[1])[0]?.[0] ?? NaN);
  const facts = { nSeconds: sig.nSeconds, kind, count, scope: location.scope, value: location.value, candidates, controlIsDirect, proxiesCut, software: null, endedBy, closeCode: Number.isNaN(closeCode) ? null : closeCode } as const;
  const fix = fixOf(facts);
  return {
    ...sig,
    candidates,
    software: null,
    softwareNote: note,
    confidence: confidenceOf({ count, kind, scope: location.scope, value: location.value, hasControl, endedBy, software: null, candidates, bothEndsSeen: sig.bothEnds !== null }),
    verdict: verdictSentence(facts),
    recommendation: recommendation(facts, fix),
    fix,
  };
}

function dominantCode(drops: readonly Drop[]): number | null {
  const t = tally(drops.map((d) => d.closeCode!));
  const top = Object.entries(t).sort((a, b) => b[1] - a[1])[0];
  return top ? Number(top[0]) : null;
}
