/**
 * The adaptive ladder's conclusion per path: each probe × target × proxy × profile's bisect
 * rungs replayed in the order they ran, exactly as the probe replays them to choose its next
 * gaps (lib/diagnosis/bisect.ts), so that the server reports the bracket the probe searched.
 */
import type { Finding } from '../analysis/findings';
import { capital, idleCutFix, pingEvery } from '../analysis/fixes';
import { formatSeconds } from '../analysis/stats';
import { cutAtOf, replay, rungOutcome, type RungOutcome } from './bisect';
import { groupBy, pathText } from './describe';
import type { BracketView, ExperimentSession } from './types';

/** A rung's outcome (lib/diagnosis/bisect.ts): one still open, or that never opened, is inconclusive. */
export function outcomeOf(s: ExperimentSession): RungOutcome {
  return rungOutcome({ endKind: s.endKind, closeCode: s.closeCode, closeReason: s.closeReason });
}

/** The order rungs ran in: by dial, then by end (rungs of one round dial together). */
export function inRunOrder<T extends Pick<ExperimentSession, 'attemptedAt' | 'endedAt'>>(xs: readonly T[]): T[] {
  return [...xs].sort((a, b) => a.attemptedAt - b.attemptedAt || (a.endedAt ?? Infinity) - (b.endedAt ?? Infinity));
}

/**
 * Every path's bracket, from its bisect sessions (profileKind `bisect` with a gap). A path
 * none of whose rungs has concluded (all open, or all inconclusive: probe stops, an
 * endpoint's own close) has no bracket.
 */
export function bracketsOf(sessions: readonly ExperimentSession[]): BracketView[] {
  const rungs = sessions.filter((s) => s.profileKind === 'bisect' && s.gapMs !== null && s.endedAt !== null);
  const out: BracketView[] = [];
  for (const group of groupBy(rungs, (s) => `${s.probe}|${s.target}|${s.proxy}|${s.profile}`).values()) {
    // As the probe records them: a death its FIN or reset dated carries the age it was cut at.
    const ordered = inRunOrder(group).map((s) => {
      const outcome = outcomeOf(s);
      return { gapMs: s.gapMs!, outcome, cutAtMs: outcome === 'died' ? cutAtOf(s) : null };
    });
    if (!ordered.some((r) => r.outcome !== 'inconclusive')) continue;
    const r = replay(ordered);
    const { probe, target, proxy, profile } = group[0]!;
    out.push({
      probe,
      target,
      proxy,
      profile,
      lowMs: r.lowMs,
      highMs: r.highMs,
      state: r.state,
      rungs: r.rungsToConverge ?? r.rungs,
      restarts: r.restarts,
      lastRungAt: Math.max(...group.map((s) => s.endedAt!)),
    });
  }
  return out.sort((a, b) => pathText(a).localeCompare(pathText(b)) || a.profile.localeCompare(b.profile));
}

/**
 * Evidence needed before a bracket is said as a finding. Both edges known (converged or
 * searching) is two rungs that disagree, which a single random drop cannot fake for long:
 * the next rungs recheck it. One rung that died may be any drop, so a path that only dies
 * is said after DIES_RUNGS; one that only survives after SURVIVES_RUNGS (the bisection grew
 * twice without finding a cut: worth saying, as information).
 */
const DIES_RUNGS = 2;
const SURVIVES_RUNGS = 3;

/** "idle timeout between 74.5 s and 75.0 s on edge-fra-1 → squid-corp → api (bisected over 8 rungs)", and the other states. */
export function bracketFindings(brackets: readonly BracketView[]): Finding[] {
  const out: Finding[] = [];
  for (const b of brackets) {
    const path = pathText(b);
    const s = (ms: number) => formatSeconds(ms / 1000);
    const restarted = b.restarts > 0 ? `, after ${b.restarts} restart${b.restarts === 1 ? '' : 's'}: the path's behaviour changed` : '';
    const since = `${b.rungs} rung${b.rungs === 1 ? '' : 's'}${b.restarts > 0 ? ' since the last restart' : ''}`;
    // The fix of an idle cut, by the one rule of lib/analysis/fixes.ts (a signature about the same layer overrides it there).
    const idleCut = { lowMs: b.lowMs, highMs: b.highMs, exact: b.state === 'converged' };
    const fix = idleCutFix(idleCut);
    const about = fix ? { path: { probe: b.probe, target: b.target, proxy: b.proxy }, idleCut, fix } : {};
    const ping = (tail: string) => `${capital(pingEvery(fix!))} on this path${tail}`;
    if ((b.state === 'converged' || b.state === 'searching') && b.lowMs !== null && b.highMs !== null) {
      const converged = b.state === 'converged';
      out.push({
        kind: 'bisect',
        cause: b.state,
        severity: 'warning',
        title: `idle timeout between ${s(b.lowMs)} and ${s(b.highMs)} on ${path} (${converged ? `bisected over ${b.rungs} rungs` : `bisecting: ${b.rungs} rungs so far`}${restarted})`,
        detail: `The adaptive ladder (profile ${b.profile}) replayed in the order its rungs ran: ${s(b.lowMs)} of silence survived and ${s(b.highMs)} died, ${since}${converged ? ', within its resolution of max(0.5 s, 1 % of N)' : '; it keeps halving the interval until it is within max(0.5 s, 1 % of N)'}.`,
        recommendation: ping(`, or raise the idle timeout of the layer that cuts at ${s(b.highMs)}.`),
        ...about,
      });
    } else if (b.state === 'dies' && b.highMs !== null && b.rungs >= DIES_RUNGS) {
      out.push({
        kind: 'bisect',
        cause: 'dies',
        severity: 'warning',
        title: `${path} dies even at ${s(b.highMs)} of silence (bisecting: ${since}, none survived)`,
        detail: `Every rung of the adaptive ladder (profile ${b.profile}) died, ${since}${restarted}; it halves the gap down to 1 s. A path that dies even at 1 s cuts every connection, idle or not: look at its drops' signature instead.`,
        recommendation: ping(' until the bisection brackets the timeout.'),
        ...about,
      });
    } else if (b.state === 'survives' && b.lowMs !== null && b.rungs >= SURVIVES_RUNGS) {
      out.push({
        kind: 'bisect',
        cause: 'survives',
        severity: 'info',
        title: `${path} survives ${s(b.lowMs)} of silence (bisecting: ${since}, no cut yet)`,
        detail: `Every rung of the adaptive ladder (profile ${b.profile}) survived${restarted}; it doubles the gap up to its maximum.`,
        recommendation: `No idle timeout below ${s(b.lowMs)} on this path so far.`,
      });
    }
  }
  return out;
}
