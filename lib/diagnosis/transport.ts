/**
 * L4 or L7, by experiment (issue 18). A keepalive rung is silent at the WebSocket level for
 * longer than the path's idle cut, with TCP keepalive on the canary's socket every
 * `keepaliveMs` (under the cut). A layer that tracks TCP segments (a NAT, a stateful
 * firewall, an L4 load balancer) sees the keepalive probes and keeps the flow: the rung
 * survives. A layer that reads the byte stream (an L7 proxy) terminates TCP, never sees
 * them, and cuts at its idle timeout as it cuts an idle canary: the rung dies there.
 */
import type { Finding } from '../analysis/findings';
import { capital, idleCutFix, pingEvery } from '../analysis/fixes';
import { formatSeconds, median } from '../analysis/stats';
import type { Signature } from '../analysis/types';
import { inRunOrder, outcomeOf } from './brackets';
import { groupBy, pathKey, pathText } from './describe';
import type { BracketView, ExperimentPath, ExperimentSession, TransportView } from './types';

/** The idle cut a path's keepalive rungs are compared against, and where it comes from. */
interface IdleCut {
  ms: number;
  from: string;
  /** A measured N (a bracket's edge, a signature): a rung that died near it died at the cut. A ladder rung's gap is only an upper bound. */
  precise: boolean;
}

/**
 * How near the cut a keepalive rung's death must come to be the cutting layer's (and not
 * some other drop): the signatures' own tolerance for a layer's timer, 2 s or 10 % of N.
 */
const NEAR_CUT = (cutMs: number) => Math.max(2000, 0.1 * cutMs);

/**
 * The idle cut on a path, from the best evidence there is: a bracket's high edge (bisected,
 * precise), an idle signature's N with hits on the path, or the shortest ladder rung that
 * died (most of its sessions) at a gap no longer than `maxGapMs` (an upper bound).
 */
function idleCutOn(p: ExperimentPath, maxGapMs: number, brackets: readonly BracketView[], signatures: readonly Signature[], ladder: readonly ExperimentSession[]): IdleCut | null {
  const bracketed = brackets
    .filter((b) => pathKey(b) === pathKey(p) && b.highMs !== null && b.state !== 'survives')
    .sort((a, b) => Number(b.state === 'converged') - Number(a.state === 'converged') || a.highMs! - b.highMs!)[0];
  if (bracketed) {
    const edges = bracketed.lowMs !== null ? `${formatSeconds(bracketed.lowMs / 1000)}–${formatSeconds(bracketed.highMs! / 1000)}` : `dies by ${formatSeconds(bracketed.highMs! / 1000)}`;
    return { ms: bracketed.highMs!, from: `the bisected idle cut (${edges})`, precise: bracketed.state === 'converged' };
  }
  // The signature's cut must be the rule on this path, not a few of its canaries (one
  // backend of a pool cutting at N): most of those that reached N were cut there.
  const sig = signatures
    .filter((s) => s.kind === 'idle' && s.endedBy === 'layer' && s.paths.some((x) => x.hits > 0 && x.hits >= 0.5 * x.reached && pathKey(x) === pathKey(p)))
    .sort((a, b) => a.nMs - b.nMs)[0];
  if (sig) return { ms: sig.nMs, from: `the ${formatSeconds(sig.nSeconds)} idle signature`, precise: true };
  const died = [...groupBy(ladder.filter((s) => pathKey(s) === pathKey(p) && s.gapMs !== null && s.gapMs <= maxGapMs), (s) => String(s.gapMs)).values()]
    .filter((g) => {
      const outcomes = g.map(outcomeOf);
      const dead = outcomes.filter((o) => o === 'died').length;
      return dead > 0 && outcomes.filter((o) => o === 'survived').length <= dead / 4;
    })
    .map((g) => g[0]!.gapMs!)
    .sort((a, b) => a - b)[0];
  return died === undefined ? null : { ms: died, from: `the ladder rung that died at ${formatSeconds(died / 1000)}`, precise: false };
}

/**
 * One view per path × keepalive setting. Evidence: a single rung decides, because the path's
 * idle cut is the control: a rung silent past the cut that survived cannot be luck (an idle
 * canary dies there), and one that died at the cut itself, although keepalive went out
 * before it, died of that layer. Deaths elsewhere (before the first keepalive probe, far from
 * the cut, after the ping) and inconclusive ends (probe stops, an endpoint's own close) count
 * for neither. `unknown`: no idle cut known on the path, the rung's silence did not pass it or
 * its keepalive did not come before it, no conclusive rung, or rungs that disagree.
 */
export function transportsOf(sessions: readonly ExperimentSession[], brackets: readonly BracketView[], signatures: readonly Signature[]): TransportView[] {
  const ladder = sessions.filter((s) => s.profileKind === 'ladder' && s.endedAt !== null);
  const rungs = sessions.filter((s) => s.profileKind === 'keepalive' && s.gapMs !== null && s.keepaliveMs !== null && s.endedAt !== null);
  const out: TransportView[] = [];
  for (const group of groupBy(inRunOrder(rungs), (s) => `${pathKey(s)}|${s.gapMs}|${s.keepaliveMs}`).values()) {
    const { probe, target, proxy, gapMs, keepaliveMs } = group[0]!;
    const cut = idleCutOn({ probe, target, proxy }, gapMs!, brackets, signatures, ladder);
    // A rung silent at least as long as one that died (the cut is the shortest gap seen to
    // die, or N), with keepalive probes out before it.
    const testable = cut !== null && cut.ms <= gapMs! && keepaliveMs! < cut.ms;
    let survived = 0;
    let died = 0;
    for (const s of group) {
      const o = outcomeOf(s);
      if (o === 'survived') survived += 1;
      else if (o === 'died' && cut !== null && diedAtCut(s, cut)) died += 1;
    }
    const layer = !testable ? 'unknown' : survived > 0 && died === 0 ? 'l4' : died > 0 && survived === 0 ? 'l7' : 'unknown';
    out.push({ probe, target, proxy, layer, gapMs: gapMs!, keepaliveMs: keepaliveMs!, survived, died, idleCutMs: cut?.ms ?? null, idleCutFrom: cut?.from ?? null });
  }
  return out.sort((a, b) => pathText(a).localeCompare(pathText(b)) || a.keepaliveMs - b.keepaliveMs);
}

/** Died of the idle cut: after its first keepalive probe, at the cut (or, against a ladder rung's bound, before it). */
function diedAtCut(s: ExperimentSession, cut: IdleCut): boolean {
  const age = s.durationMs;
  if (age === null || age < s.keepaliveMs!) return false;
  return cut.precise ? Math.abs(age - cut.ms) <= NEAR_CUT(cut.ms) : age <= cut.ms + NEAR_CUT(cut.ms);
}

/** A configured interval as it was set: "20 s", not "20.0 s". */
const setting = (ms: number) => (ms % 1000 === 0 && ms < 120_000 ? `${ms / 1000} s` : formatSeconds(ms / 1000));

/** The L4 and L7 conclusions as findings (an `unknown` view is no finding: it concludes nothing). */
export function transportFindings(views: readonly TransportView[], sessions: readonly ExperimentSession[] = []): Finding[] {
  const out: Finding[] = [];
  for (const v of views) {
    if (v.layer === 'unknown' || v.idleCutMs === null) continue;
    const path = pathText(v);
    const cut = formatSeconds(v.idleCutMs / 1000);
    const k = setting(v.keepaliveMs);
    const rungs = (n: number) => `${n} keepalive rung${n === 1 ? '' : 's'}`;
    if (v.layer === 'l4') {
      out.push({
        kind: 'transport',
        cause: 'l4',
        severity: 'info',
        title: `L4: TCP keepalive every ${k} kept ${path} alive past its ${cut} idle cut: a NAT, stateful firewall or L4 load balancer; TCP keepalive under ${cut} is enough`,
        detail: `${rungs(v.survived)} stayed silent at the WebSocket level for ${setting(v.gapMs)} with TCP keepalive every ${k} and survived, where ${v.idleCutFrom} says silence is cut at ${cut}: the layer that cuts counts TCP segments, and keepalive probes are segments.`,
        recommendation: `Enable TCP keepalive under ${cut} on the client's socket (SO_KEEPALIVE with TCP_KEEPIDLE, e.g. ${k}), or send WebSocket pings: either keeps this path alive.`,
      });
    } else {
      const deaths = sessions.filter((s) => s.profileKind === 'keepalive' && pathKey(s) === pathKey(v) && s.gapMs === v.gapMs && s.keepaliveMs === v.keepaliveMs && s.durationMs !== null && outcomeOf(s) === 'died');
      const idleCut = { lowMs: null, highMs: v.idleCutMs, exact: false };
      const fix = idleCutFix(idleCut)!;
      const at = deaths.length > 0 ? ` at ${formatSeconds(median(deaths.map((s) => s.durationMs!)) / 1000)} of silence` : '';
      out.push({
        kind: 'transport',
        cause: 'l7',
        severity: 'info',
        title: `L7: ${path} died although TCP keepalive ran every ${k}: the layer reads the byte stream; send WebSocket pings under ${cut}`,
        detail: `${rungs(v.died)} died${at}, at the ${cut} idle cut (${v.idleCutFrom}), although TCP keepalive went out every ${k}: the layer that cuts terminates TCP and reads the byte stream (an L7 proxy), so keepalive probes never reach its timer.`,
        recommendation: `${capital(pingEvery(fix))} on this path: TCP keepalive does not reach the layer that cuts.`,
        path: { probe: v.probe, target: v.target, proxy: v.proxy },
        idleCut,
        fix,
      });
    }
  }
  return out;
}
