/**
 * Did a signature's fix hold? (issue 18). The server asks the probes that see an idle
 * signature to run its recommended heartbeat for 3 × N (`hold`), and those that see a
 * lifetime limit to reconnect on its schedule (a hold shorter than N). A session held when
 * the probe ended it itself at its hold (`hold: ...`, open at least holdMs); it died when it
 * ended otherwise before (a layer's FIN, reset or close, a silent death). Probe stops for
 * other reasons and an endpoint's own close (lib/diagnosis/bisect.ts `rungOutcome`) prove
 * nothing either way.
 */
import { formatSeconds, median, tally } from '../analysis/stats';
import type { Signature } from '../analysis/types';
import { outcomeOf } from './brackets';
import { groupBy, pathKey } from './describe';
import type { ExperimentSession, VerificationPath, VerificationView } from './types';

type Outcome = VerificationPath['outcome'];

/** The reason the probe writes when a session reached its hold. */
const HELD = 'hold:';

function sessionOutcome(s: ExperimentSession): Outcome | null {
  // Open (its age known) is running; an attempt that never opened has no age and says nothing.
  if (s.endedAt === null) return s.durationMs === null ? null : 'running';
  if (s.endKind === 'probe_closed' && s.closeReason?.startsWith(HELD) && s.durationMs !== null && s.durationMs >= s.holdMs!) return 'held';
  return outcomeOf(s) === 'died' ? 'died' : null;
}

/** A configured interval as it was set: "30 s", not "30.0 s". */
const setting = (ms: number) => (ms % 1000 === 0 && ms < 120_000 ? `${ms / 1000} s` : formatSeconds(ms / 1000));

/** "3 × N (225.0 s)" when the hold is a whole multiple of N, else "4 min 10 s (2.2 × N)". */
function holdText(holdMs: number, nMs: number): string {
  const k = holdMs / nMs;
  const whole = Math.round(k);
  return whole >= 2 && Math.abs(k - whole) <= 0.05 * whole ? `${whole} × N (${formatSeconds(holdMs / 1000)})` : `${formatSeconds(holdMs / 1000)} (${k.toFixed(1)} × N)`;
}

/**
 * The verification of `signature`'s fix from the sessions on the paths that show it (cut
 * there at N), or null when none ran or all ended inconclusively (or its fix is the
 * endpoint's: nothing to verify).
 *   heartbeat  held-heartbeat sessions whose hold reaches past N; of several intervals, the
 *              one nearest the recommended. Per path: died if any died, held if any held,
 *              else running. Verified when every concluded path held, refuted when any died.
 *   reconnect  heartbeat sessions whose hold is shorter than N (a reconnect schedule), counted
 *              by connection: verified when every concluded one reached its hold.
 */
export function verificationOf(signature: Signature, sessions: readonly ExperimentSession[]): VerificationView | null {
  const fix = signature.fix;
  if (fix.kind === 'endpoint') return null;
  const cut = new Set(signature.paths.filter((p) => p.hits > 0).map(pathKey));
  const onPaths = sessions.filter((s) => s.holdMs !== null && s.profileKind === 'heartbeat' && s.intervalMs !== null && cut.has(pathKey(s)));
  if (fix.kind === 'heartbeat') {
    const tried = onPaths.filter((s) => s.holdMs! > signature.nMs && s.intervalMs! < signature.nMs && sessionOutcome(s) !== null);
    if (tried.length === 0) return null;
    const interval = [...new Set(tried.map((s) => s.intervalMs!))].sort((a, b) => Math.abs(a - fix.intervalMs) - Math.abs(b - fix.intervalMs) || a - b)[0]!;
    return heartbeatView(signature, tried.filter((s) => s.intervalMs === interval), interval);
  }
  const schedule = onPaths.filter((s) => s.holdMs! < signature.nMs && sessionOutcome(s) !== null);
  if (schedule.length === 0) return null;
  const every = [...new Set(schedule.map((s) => s.holdMs!))].sort((a, b) => Math.abs(a - fix.everyMs) - Math.abs(b - fix.everyMs) || a - b)[0]!;
  return reconnectView(signature, schedule.filter((s) => s.holdMs === every), every);
}

function pathsOf(sessions: readonly ExperimentSession[]): VerificationPath[] {
  const out: VerificationPath[] = [];
  for (const group of groupBy(sessions, pathKey).values()) {
    const { probe, target, proxy } = group[0]!;
    const seen = group.map((s) => ({ s, o: sessionOutcome(s) })).filter((x): x is { s: ExperimentSession; o: Outcome } => x.o !== null);
    if (seen.length === 0) continue;
    const deaths = seen.filter((x) => x.o === 'died').sort((a, b) => a.s.attemptedAt - b.s.attemptedAt);
    const heldMs = Math.max(0, ...seen.map((x) => x.s.durationMs ?? 0));
    const first = deaths[0]?.s;
    out.push({
      probe,
      target,
      proxy,
      outcome: first ? 'died' : seen.some((x) => x.o === 'held') ? 'held' : 'running',
      heldMs,
      ...(first && { diedAtMs: first.durationMs ?? 0, endKind: first.endKind! }),
    });
  }
  return out.sort((a, b) => pathKey(a).localeCompare(pathKey(b)));
}

function statusOf(outcomes: readonly Outcome[]): VerificationView['status'] {
  if (outcomes.includes('died')) return 'refuted';
  return outcomes.includes('held') ? 'verified' : 'running';
}

/** The deaths' typical age and ending: "120.0 s (tcp_fin)". */
function deathText(ages: readonly number[], ends: readonly string[]): { at: number; text: string } {
  const at = median(ages);
  const end = Object.entries(tally(ends)).sort((a, b) => b[1] - a[1])[0]![0];
  return { at, text: `${formatSeconds(at / 1000)} (${end})` };
}

function heartbeatView(signature: Signature, sessions: readonly ExperimentSession[], intervalMs: number): VerificationView {
  const holdMs = Math.min(...sessions.map((s) => s.holdMs!));
  const paths = pathsOf(sessions);
  const status = statusOf(paths.map((p) => p.outcome));
  const hb = `a ${setting(intervalMs)} heartbeat`;
  const held = paths.filter((p) => p.outcome === 'held').length;
  const running = paths.filter((p) => p.outcome === 'running').length;
  const still = running > 0 ? ` (${running} still running)` : '';
  let summary: string;
  if (status === 'verified') summary = `verified: ${hb} survived ${holdText(holdMs, signature.nMs)} on ${held} of ${paths.length} path${paths.length === 1 ? '' : 's'}${still}`;
  else if (status === 'running') summary = `running: ${hb} is being held for ${holdText(holdMs, signature.nMs)} on ${paths.length} path${paths.length === 1 ? '' : 's'}`;
  else {
    const dead = paths.filter((p) => p.outcome === 'died');
    const d = deathText(dead.map((p) => p.diedAtMs!), dead.map((p) => p.endKind!));
    // What the death says instead: past N, the heartbeat kept it through the idle cut and
    // something cut it by age; near N, the heartbeat did not count; well before, a drop of another cause.
    const near = Math.abs(d.at - signature.nMs) <= Math.max(2000, 0.1 * signature.nMs);
    const instead =
      d.at > signature.nMs && !near
        ? `not an idle timeout; a lifetime limit near ${formatSeconds(Math.round(d.at / 1000))}`
        : near
          ? `cut at N although the heartbeat ran: a lifetime limit at N, or a layer that does not count pings as traffic`
          : `it died before N, of something else than this signature`;
    summary = `refuted: ${hb} died at ${d.text} on ${dead.length} of ${paths.length} path${paths.length === 1 ? '' : 's'}: ${instead}`;
  }
  return { fix: { kind: 'heartbeat', intervalMs }, holdMs, status, paths, summary };
}

function reconnectView(signature: Signature, sessions: readonly ExperimentSession[], everyMs: number): VerificationView {
  const paths = pathsOf(sessions);
  const outcomes = sessions.map(sessionOutcome).filter((o): o is Outcome => o !== null);
  const status = statusOf(outcomes);
  const every = `reconnecting every ${setting(everyMs)}`;
  const concluded = outcomes.filter((o) => o !== 'running').length;
  const held = outcomes.filter((o) => o === 'held').length;
  const conn = (n: number) => `${n} connection${n === 1 ? '' : 's'}`;
  let summary: string;
  if (status === 'verified') summary = `verified: ${every} kept ${held} of ${conn(concluded)} until handover`;
  else if (status === 'running') summary = `running: ${every} is being tried on ${paths.length} path${paths.length === 1 ? '' : 's'}`;
  else {
    const dead = sessions.filter((s) => sessionOutcome(s) === 'died');
    const d = deathText(dead.map((s) => s.durationMs ?? 0), dead.map((s) => s.endKind!));
    summary = `refuted: ${every}, ${dead.length} of ${conn(concluded)} died first, at ${d.text}: the limit is shorter than the schedule, or not a lifetime limit`;
  }
  return { fix: { kind: 'reconnect', everyMs }, holdMs: everyMs, status, paths, summary };
}

/**
 * The sentence the verdict gains: the verification's summary, or, for a lifetime limit no
 * reconnect schedule was tried on, the plain statement that no heartbeat helps.
 */
export function verificationSentence(signature: Signature, view: VerificationView | null): string | null {
  if (view) return `${view.summary.charAt(0).toUpperCase()}${view.summary.slice(1)}.`;
  if (signature.fix.kind === 'reconnect') return `No heartbeat helps a lifetime limit: only reconnecting before ${formatSeconds(signature.nSeconds)} does (not verified yet: no reconnect schedule ran on these paths).`;
  return null;
}
