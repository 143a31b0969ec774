/**
 * The adaptive ladder (issue 18): where exactly is a path's idle timeout N? Each rung is a
 * canary that stays silent for a gap and then sends one ping: it survives when the pong
 * comes back, and dies when a layer cut it first. A path that survives iff gap < N gives
 * every survived gap below N and every dead gap at or above it, so the longest survivor and
 * the shortest death bracket N.
 *
 * Pure, and shared: the probe replays its own rungs to choose the next gaps
 * (agent/schedule/bisect-rounds.ts), and the server replays the rungs it stored to report
 * the bracket (lib/diagnosis/brackets.ts). Both must walk the same rungs the same way, so
 * the rules live here once.
 */
import { isApplicationCode } from '../analysis/close-codes';
import type { EndKind } from '../contracts/ingest';

export type RungOutcome = 'survived' | 'died' | 'inconclusive';

export interface Rung {
  gapMs: number;
  outcome: RungOutcome;
  /**
   * For a rung that died by an end the wire showed (a FIN, a reset, a layer's close frame):
   * the age it was cut at (see {@link cutAtOf}). The layer cut it after that much silence,
   * so that is an edge too, and a far sharper one than the rung's gap: a rung of 120 s cut
   * at 75.02 s says N ≤ 75.02 s. Absent for a silent death (the pong deadline noticed it,
   * not when the layer forgot the flow).
   */
  cutAtMs?: number | null;
}

/**
 * `converged`: both edges known and within resolutionMs(high); `searching`: both known, wider;
 * `survives`: no rung died (yet); `dies`: no rung survived (yet).
 */
export type BisectState = 'converged' | 'searching' | 'survives' | 'dies';

export interface Bracket {
  /** The longest gap that survived since the last (re)start; null when none did. */
  lowMs: number | null;
  /** The shortest gap that died since the last (re)start; null when none did. */
  highMs: number | null;
  /** With no conclusive rung at all: `survives` with lowMs null (nothing has died yet). */
  state: BisectState;
  /** Conclusive rungs since the last (re)start, the contradicting rung that restarted it included. */
  rungs: number;
  /** `rungs` when the bracket first converged since the last (re)start; null while it has not. */
  rungsToConverge: number | null;
  /** How many times a rung contradicted the bracket and the search started over from it. */
  restarts: number;
  /**
   * The high edge is a cut's age, not a gap, and no rung just under it has died since: the
   * next rung may go straight to just under it ({@link nextGaps}). A cut's age is the
   * layer's N when its timer is exact (nginx, HAProxy, a NAT); a coarse timer (squid's whole
   * seconds) can cut the next one earlier, and a rung just under the edge that dies spends
   * the shortcut: the search halves from there on.
   */
  shortcut: boolean;
}

/** How narrow a bracket around N must be: half a second, or 1 % of N for long timeouts. */
export function resolutionMs(n: number): number {
  return Math.max(500, 0.01 * n);
}

/** The reasons the probe closes a rung with when its pong came back (agent/profiles.ts). */
const SURVIVED_PREFIXES = ['bisect:', 'keepalive:', 'ladder:'] as const;

/**
 * What one rung (a bisect, keepalive or ladder session) says about the path.
 *   survived      the probe closed it after its ping was answered (`bisect: survived 30s idle`)
 *   inconclusive  it never opened or is still open (endKind null), the probe stopped it for
 *                 another reason (a plan change, the probe stopping), or the endpoint itself
 *                 closed it with an application code (lib/analysis/close-codes.ts, the set the
 *                 analysis reads as "closed by the endpoint"): none of these is the path's timeout
 *   died          anything else: a FIN, a reset, a missing pong, an error, a layer's close frame
 */
export function rungOutcome(r: { endKind?: EndKind | null | undefined; closeCode?: number | null | undefined; closeReason?: string | null | undefined }): RungOutcome {
  if (r.endKind === null || r.endKind === undefined) return 'inconclusive';
  if (r.endKind === 'probe_closed') {
    const reason = r.closeReason ?? '';
    return SURVIVED_PREFIXES.some((p) => reason.startsWith(p)) ? 'survived' : 'inconclusive';
  }
  if (r.endKind === 'close_frame' && isApplicationCode(r.closeCode ?? null)) return 'inconclusive';
  return 'died';
}

/**
 * Replay rungs in the order they ran (inconclusive ones skipped). A survival at or above
 * the shortest death, or a death at or below the longest survival, contradicts the bracket:
 * the path changed, and the search starts over from that rung alone.
 */
export function replay(rungs: readonly Rung[]): Bracket {
  let low: number | null = null;
  let high: number | null = null;
  let count = 0;
  let toConverge: number | null = null;
  let restarts = 0;
  let shortcut = false;
  for (const { gapMs: g, outcome, cutAtMs } of rungs) {
    if (outcome === 'inconclusive') continue;
    if (outcome === 'survived') {
      if (high !== null && g >= high) {
        [low, high, count, toConverge, shortcut] = [g, null, 0, null, false];
        restarts += 1;
      } else low = low === null ? g : Math.max(low, g);
    } else {
      // The sharper of the two edges a death gives: its gap, or the age it was cut at. A cut
      // a moment after the gap is the same cut racing the rung's ping (the layer's timer
      // started at its last byte, before the probe's open): the gap is the edge, and it is a
      // cut's age all the same.
      const cut = cutAtMs != null && cutAtMs >= MIN_GAP_MS && cutAtMs <= g + 0.5 * resolutionMs(g) ? Math.min(cutAtMs, g) : null;
      const edge = cut ?? g;
      if (low !== null && edge <= low) {
        [low, high, count, toConverge] = [null, edge, 0, null];
        shortcut = cut !== null;
        restarts += 1;
      } else {
        // A rung just under a cut's age died: the layer's timer is not that exact.
        const spent: boolean = shortcut && high !== null && g >= high - resolutionMs(high);
        if (high === null || edge < high) {
          high = edge;
          shortcut = cut !== null && !spent;
        }
        if (spent) shortcut = false;
      }
    }
    count += 1;
    if (toConverge === null && low !== null && high !== null && high - low <= resolutionMs(high)) toConverge = count;
  }
  return { lowMs: low, highMs: high, state: stateOf(low, high), rungs: count, rungsToConverge: toConverge, restarts, shortcut };
}

/**
 * The age a rung was cut at, when its end says so: a FIN, a reset or a layer's close frame
 * came at that moment. A silent death (`pong_timeout`) or an error is dated by the probe's
 * own deadline, not by the layer: no cut age.
 */
export function cutAtOf(r: { endKind?: EndKind | null | undefined; durationMs?: number | null | undefined }): number | null {
  return (r.endKind === 'tcp_fin' || r.endKind === 'tcp_reset' || r.endKind === 'close_frame') && r.durationMs != null ? r.durationMs : null;
}

function stateOf(low: number | null, high: number | null): BisectState {
  if (high === null) return 'survives';
  if (low === null) return 'dies';
  return high - low <= resolutionMs(high) ? 'converged' : 'searching';
}

/** The shortest gap a rung waits: below a second, a path cuts every connection, idle or not. */
export const MIN_GAP_MS = 1000;
/** Gaps are whole multiples of this (the probe's timer ticks are 10 ms). */
export const GAP_STEP_MS = 10;

const step = (ms: number) => Math.round(ms / GAP_STEP_MS) * GAP_STEP_MS;
/** A gap just under a cut's age, close enough that its survival converges the bracket. */
const justUnder = (cutMs: number) => Math.ceil((cutMs - 0.9 * resolutionMs(cutMs)) / GAP_STEP_MS) * GAP_STEP_MS;

/**
 * The gaps of the next round of rungs, at most `parallel` (run at once).
 *   no death yet   grow: from, then twice the longest survivor, up to `max` (rechecked there)
 *   no survivor    shrink: half the shortest death, down to MIN_GAP_MS (rechecked there);
 *                  just under it when it is a cut's age (the shortcut)
 *   searching      `parallel` points evenly inside (low, high): each round divides the
 *                  bracket by parallel + 1; when the high edge is a cut's age, one of them
 *                  goes just under it first (the shortcut, see Bracket.shortcut)
 *   converged      recheck an edge, low and high in turn by `round`: a path that changed
 *                  contradicts one of them and restarts the search
 * Every gap is a whole GAP_STEP_MS and, except a recheck, none is an edge already tried.
 */
export function nextGaps(bracket: Pick<Bracket, 'lowMs' | 'highMs' | 'state'> & { shortcut?: boolean }, limits: { fromMs: number; maxMs: number }, parallel: number, round: number): number[] {
  const { lowMs: low, highMs: high } = bracket;
  const max = Math.max(MIN_GAP_MS, step(limits.maxMs));
  if (low === null && high === null) return [Math.min(max, Math.max(MIN_GAP_MS, step(limits.fromMs)))];
  if (high === null) return [low! >= max ? max : Math.min(max, step(low! * 2))];
  if (low === null) {
    const near = bracket.shortcut ? justUnder(high) : 0;
    if (near >= MIN_GAP_MS) return [near];
    return [high <= MIN_GAP_MS ? MIN_GAP_MS : Math.max(MIN_GAP_MS, step(high / 2))];
  }
  // The high edge may be a cut's age, off the grid: recheck the first step at or above it.
  if (bracket.state === 'converged') return [round % 2 === 0 ? low : Math.ceil(high / GAP_STEP_MS) * GAP_STEP_MS];
  const n = Math.max(1, Math.floor(parallel));
  const gaps: number[] = [];
  // The high edge is a cut's age: one rung just under it (within the resolution) most
  // likely survives and ends the search; the others, if any, split what lies below it.
  let top = high;
  if (bracket.shortcut) {
    const near = justUnder(high);
    if (near > low && near < high) {
      gaps.push(near);
      top = near;
    }
  }
  const split = n - gaps.length;
  for (let i = 1; i <= split; i++) {
    const g = step(low + ((top - low) * i) / (split + 1));
    if (g > low && g < high && !gaps.includes(g)) gaps.push(g);
  }
  // A bracket narrower than a step cannot be split: it is converged in practice (the
  // resolution is 500 ms at least), but say something rather than nothing.
  return gaps.length > 0 ? gaps : [round % 2 === 0 ? low : Math.ceil(high / GAP_STEP_MS) * GAP_STEP_MS];
}
