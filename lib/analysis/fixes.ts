/**
 * One fix per layer on a report (issue 19). A signature, a ladder, the adaptive ladder's
 * bracket and an L7 keepalive rung can all see the same idle cut on one path, and each used
 * to compute its own heartbeat ("every 10 s" on the 20 s signature, "every 5 s" on the
 * ladder, "every 9 s" on the bracket): one page, one proxy, three answers. Here the fix of
 * an idle cut is defined once (`fixOf`, lib/analysis/verdict.ts, from the cut's best
 * estimate), and a finding about the same layer as a signature repeats the signature's fix
 * and says so ("see the 20.0 s signature"), instead of computing its own.
 */
import type { Finding } from './findings';
import { formatSeconds } from './stats';
import type { Fix, Signature } from './types';
import { fixOf } from './verdict';

/** What a finding knows of a path's idle cut: the longest silence that survived, the shortest that was cut. */
export interface IdleCut {
  lowMs: number | null;
  highMs: number | null;
  /** Both edges within the bisection's resolution: the high edge is the cut itself. */
  exact: boolean;
}

/**
 * The heartbeat for an idle cut known only by its edges, by the one rule (`fixOf`): from
 * the cut itself when it is known exactly, else from the longest silence the path survived
 * (the safe side: the cut may be anywhere above it), else from the shortest cut seen.
 * Null when nothing has been cut (no idle cut to beat).
 */
export function idleCutFix(cut: IdleCut): Fix | null {
  if (cut.highMs === null) return null;
  const basisMs = cut.exact || cut.lowMs === null ? cut.highMs : cut.lowMs;
  return fixOf({ nSeconds: Math.round(basisMs / 100) / 10, kind: 'idle', candidates: [] });
}

/** "send a WebSocket ping at least every 10 s": the heartbeat of a fix, as every finding words it. */
export function pingEvery(fix: Fix): string {
  if (fix.kind !== 'heartbeat') throw new TypeError(`pingEvery: a heartbeat fix was expected, got ${fix.kind}`);
  return `send a WebSocket ping at least every ${fix.intervalMs / 1000} s`;
}

/** The tolerance of a layer's timer around a signature's N (2 s or 10 %), as the transport rungs use it. */
const near = (nMs: number) => Math.max(2000, 0.1 * nMs);

/** An idle signature (or one that may be idle) cut by a layer on this path, whose N fits the finding's edges. */
function signatureOf(path: NonNullable<Finding['path']>, cut: IdleCut, signatures: readonly Signature[]): Signature | undefined {
  return signatures
    .filter(
      (s) =>
        s.kind !== 'lifetime' &&
        s.endedBy === 'layer' &&
        s.fix.kind === 'heartbeat' &&
        s.paths.some((p) => p.hits > 0 && p.probe === path.probe && p.target === path.target && p.proxy === path.proxy) &&
        (cut.lowMs === null || s.nMs > cut.lowMs - near(s.nMs)) &&
        (cut.highMs === null || s.nMs <= cut.highMs + near(s.nMs)),
    )
    .sort((a, b) => a.nMs - b.nMs)[0];
}

const pathKey = (p: NonNullable<Finding['path']>) => `${p.probe}|${p.target}|${p.proxy}`;

/**
 * The report's findings with one fix per layer. A finding that carries an idle cut on a
 * path (`path`, `idleCut`) either repeats the fix of the signature about the same layer
 * (an idle signature with hits on that path whose N lies within the finding's edges, the
 * timer's tolerance allowed) and points to it, or, without one, shares with the other
 * findings on that path the fix of what they know together (the longest survived silence
 * among them, the shortest cut). Other findings are returned as they are.
 */
export function reconcileFixes(signatures: readonly Signature[], findings: readonly Finding[]): Finding[] {
  // What the findings on each path know together, for those no signature speaks for.
  const together = new Map<string, IdleCut>();
  const own = new Map<Finding, Signature | undefined>();
  for (const f of findings) {
    if (!f.path || !f.idleCut) continue;
    const sig = signatureOf(f.path, f.idleCut, signatures);
    own.set(f, sig);
    if (sig) continue;
    const k = pathKey(f.path);
    const seen = together.get(k);
    together.set(
      k,
      seen
        ? {
            lowMs: maxOf(seen.lowMs, f.idleCut.lowMs),
            highMs: minOf(seen.highMs, f.idleCut.highMs),
            exact: seen.exact || f.idleCut.exact,
          }
        : { ...f.idleCut },
    );
  }
  return findings.map((f) => {
    // Only a finding that recommends a heartbeat has one to keep in line.
    if (!f.path || !f.idleCut || !f.fix) return f;
    const sig = own.get(f);
    if (sig) {
      const rest = f.recommendation.includes(', or raise') ? f.recommendation.slice(f.recommendation.indexOf(', or raise')) : '.';
      return { ...f, fix: sig.fix, signature: sig.key, recommendation: `See the ${formatSeconds(sig.nSeconds)} signature: ${pingEvery(sig.fix)} on this path${rest}` };
    }
    const cut = together.get(pathKey(f.path))!;
    // Edges that contradict each other (a survival above a cut: the path changed) say nothing together: each keeps its own.
    const combined = cut.lowMs !== null && cut.highMs !== null && cut.lowMs >= cut.highMs ? f.idleCut : cut;
    const fix = idleCutFix(combined);
    if (!fix || !f.fix || fix.kind !== 'heartbeat' || f.fix.kind !== 'heartbeat' || fix.intervalMs === f.fix.intervalMs) return fix ? { ...f, fix } : f;
    const [was, now] = [pingEvery(f.fix), pingEvery(fix)];
    return { ...f, fix, recommendation: f.recommendation.replace(was, now).replace(capital(was), capital(now)) };
  });
}

/** A sentence's first letter in capitals ("Send a WebSocket ping ..."). */
export const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const maxOf = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));
const minOf = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.min(a, b));
