/**
 * Chain bisection (issue 18). A service declares its entry points outermost first (the CDN,
 * the load balancer, the app), and canaries run on each. A canary to an entry point crosses
 * that layer and every one inward of it, so a cut by one layer shows on its own entry point
 * and on every one outward, and not on those inward: the cutting layer is the one whose entry
 * point shows the cut while the next one inward does not.
 */
import { exposedPaths } from '../analysis/location';
import { formatSeconds } from '../analysis/stats';
import type { PathExposure, Signature } from '../analysis/types';
import type { Chain, ChainPosition } from './types';

type HopState = ChainPosition['hops'][number]['state'];

/**
 * Evidence per hop, over the paths to it a cut of this kind can touch (idle canaries for an
 * idle or undetermined cut: a heartbeat outlives an idle timeout on any hop, so it would
 * make every hop look clean): `cut` when at least CUT_HITS canaries were cut at N and no
 * more outlived it than were cut there; `clean` when at least CLEAN_OUTLIVED outlived N and
 * under a tenth as many were cut (stragglers); otherwise `unseen` (no canary there reached
 * N, or too few to say).
 */
const CUT_HITS = 2;
const CLEAN_OUTLIVED = 3;

function hopState(paths: readonly PathExposure[]): HopState {
  const hits = paths.reduce((n, p) => n + p.hits, 0);
  const outlived = paths.reduce((n, p) => n + p.outlived, 0);
  if (hits >= CUT_HITS && hits >= outlived) return 'cut';
  if (outlived >= CLEAN_OUTLIVED && hits <= outlived / 10) return 'clean';
  return 'unseen';
}

/** Where on one chain the signature's cut happens; null when none of its hops shows the cut. */
function positionOn(signature: Signature, chain: Chain): ChainPosition | null {
  const exposed = exposedPaths(signature.paths, signature.kind === 'lifetime' ? 'lifetime' : 'idle', signature.nSeconds);
  const hops = chain.hops.map((target) => ({ target, state: hopState(exposed.filter((p) => p.target === target)) }));
  if (!hops.some((h) => h.state === 'cut')) return null;
  const n = formatSeconds(signature.nSeconds);
  // The outermost hop that shows the cut while the next one inward does not.
  const i = hops.findIndex((h, k) => h.state === 'cut' && hops[k + 1]?.state === 'clean');
  if (i >= 0) {
    const at = hops[i]!.target;
    const next = hops[i + 1]!.target;
    return { chain: chain.name, hops, cutAt: at, nextInward: next, summary: `the ${n} cut happens between ${at} and ${next}: ${at}'s timeout` };
  }
  const last = hops.at(-1)!;
  if (last.state === 'cut') {
    return { chain: chain.name, hops, cutAt: last.target, nextInward: null, summary: `the ${n} cut happens at ${last.target} itself (its own timeout, or the app's)` };
  }
  // A cut hop, then only unseen hops before the next clean one (or the end): the cut is
  // between the two, at one of the unseen entry points' layers or the cut one's.
  const k = hops.findLastIndex((h) => h.state === 'cut');
  const clean = hops.findIndex((h, j) => j > k && h.state === 'clean');
  const unseen = hops.slice(k + 1, clean >= 0 ? clean : undefined).map((h) => h.target);
  const between = clean >= 0 ? `between ${hops[k]!.target} and ${hops[clean]!.target}` : `at ${hops[k]!.target} or further in`;
  return {
    chain: chain.name,
    hops,
    cutAt: null,
    nextInward: null,
    summary: `the ${n} cut happens ${between}; no canary on ${unseen.join(', ')} reached N: run one there to tell which layer's timeout it is`,
  };
}

/**
 * The signature's position on the declared chain that says the most: one that names the
 * cutting layer first, then the one with the most hops seen; null when no chain has a hop
 * that shows the cut.
 */
export function chainPositionOf(signature: Signature, chains: readonly Chain[]): ChainPosition | null {
  const seen = (p: ChainPosition) => p.hops.filter((h) => h.state !== 'unseen').length;
  return (
    chains
      .map((c) => positionOn(signature, c))
      .filter((p): p is ChainPosition => p !== null)
      .sort((a, b) => Number(b.cutAt !== null) - Number(a.cutAt !== null) || seen(b) - seen(a) || a.chain.localeCompare(b.chain))[0] ?? null
  );
}
