/**
 * Findings beside the signatures, each with its fix in one line: upgrade refusals by
 * status and path, silent deaths by path and how long the path was quiet, ladder results,
 * and egress address rotations that coincide with drops.
 */
import { capital, idleCutFix, pingEvery, type IdleCut } from './fixes';
import { formatSeconds } from './stats';
import type { Fix } from './types';

export { refusalFindings, type RefusalGroup } from './refusals';

export interface SilentGroup {
  probe: string;
  target: string;
  proxy: string;
  count: number;
  /** Median quiet time before the death (last byte received to the deadline firing minus the deadline). */
  medianQuietMs: number;
  /**
   * Of `count`, the deaths with no byte at all received after the 101: the endpoint never
   * answered a ping (an endpoint that does not pong), rather than pongs that stopped (a
   * black hole). Their age is unknown, so they never enter an age signature.
   */
  neverAnswered?: number;
}

export interface LadderRung {
  probe: string;
  target: string;
  proxy: string;
  gapMs: number;
  survived: number;
  died: number;
}

export interface EgressStat {
  probe: string;
  proxy: string;
  addresses: number;
  changes: number;
  /** Drops on that probe × proxy within 5 s of an egress change. */
  dropsNearChange: number;
  drops: number;
}

/**
 * What a finding is about, in the order a report lists them within a severity. The
 * experiments of issue 18 add `bisect` (the adaptive ladder's bracket), `transport` (L4 or
 * L7, by a keepalive rung) and `echo` (a layer that buffers, or loses, cuts or refuses
 * large frames): lib/diagnosis.
 */
export const findingKinds = ['refusal', 'early-close', 'egress-rotation', 'silent-death', 'bisect', 'ladder', 'transport', 'echo', 'rtt-rise'] as const;
export type FindingKind = (typeof findingKinds)[number];

export interface Finding {
  kind: FindingKind;
  severity: 'critical' | 'warning' | 'info';
  /**
   * A stable machine-readable class within the kind, so a program can act without parsing
   * the title: for refusals `upgrade-headers-stripped`, `origin-unavailable`,
   * `proxy-upstream-unreachable`, `connect-port-closed`, `connect-denied`, `proxy-auth`,
   * `access-denied`, ...; for silent deaths `never-ponged` or `black-hole`; for early
   * closes `endpoint-close` or `layer-cut`; for bisect `converged`, `searching`, `survives`
   * or `dies`; for transport `l4` or `l7`; for echo `buffering`, `frame-lost`, `frame-cut`
   * or `frame-refused`.
   */
  cause?: string;
  title: string;
  detail: string;
  recommendation: string;
  /** The path it is about, when it is about one (probe × target × proxy). */
  path?: { probe: string; target: string; proxy: string };
  /** What it knows of that path's idle cut: lib/analysis/fixes.ts keeps one fix per layer from it. */
  idleCut?: IdleCut;
  /** The fix it recommends, as data (a heartbeat against an idle cut). */
  fix?: Fix;
  /** The key of the signature whose fix it repeats: the same layer (lib/analysis/fixes.ts). */
  signature?: string;
}

/**
 * Silent deaths per path, told apart by whether any byte came after the 101: an endpoint
 * that never answers a ping (every canary's pong deadline fires; a heartbeat interval will
 * not help, the endpoint must answer pings) against pongs that stopped (a NAT or firewall
 * forgot the flow, or the route black-holed it).
 */
export function silentFindings(groups: readonly SilentGroup[]): Finding[] {
  const out: Finding[] = [];
  for (const g of groups) {
    const via = g.proxy === 'direct' ? 'direct' : `through ${g.proxy}`;
    const never = g.neverAnswered ?? 0;
    const stopped = g.count - never;
    if (never >= 3 && never >= 0.5 * g.count) {
      out.push({
        kind: 'silent-death',
        cause: 'never-ponged',
        severity: 'warning',
        title: `${never} canaries ${via} to ${g.target} from ${g.probe} never got a pong`,
        detail: `${never} of ${g.count} silent deaths received nothing at all after the 101: the endpoint (or a layer in front of it that terminates WebSocket) does not answer pings. These are not drops at any N: their age is unknown and they make no signature.`,
        recommendation: `Make ${g.target} answer WebSocket pings (most servers do by default; a proxy that terminates WebSocket must pass them), or use application-level heartbeats on this target.`,
      });
    }
    if (stopped >= 3) {
      out.push({
        kind: 'silent-death',
        cause: 'black-hole',
        severity: 'warning',
        title: `${stopped} silent deaths ${via} to ${g.target} from ${g.probe}`,
        detail: `No FIN, no reset: pongs came, then the path went dark and only the pong deadline noticed, after ${formatSeconds(g.medianQuietMs / 1000)} of quiet (median). A NAT or stateful firewall forgot the flow, or the route black-holed it.`,
        recommendation: `Keep heartbeats well under the shortest NAT idle timeout on that path, and size client pong deadlines to notice within seconds, not minutes.`,
      });
    }
  }
  return out;
}

/**
 * "survives 45 s idle, dies by 60 s" per path, from the ladder's rungs. A rung survives
 * when at most a quarter of its canaries died (a random drop is no idle cut), dies when at
 * most a quarter survived, and is mixed otherwise; the title never says "every rung
 * survives" of a ladder where canaries died: it says how many.
 */
export function ladderFindings(rungs: readonly LadderRung[]): Finding[] {
  const byPath = new Map<string, LadderRung[]>();
  for (const r of rungs) byPath.set(`${r.probe}|${r.target}|${r.proxy}`, [...(byPath.get(`${r.probe}|${r.target}|${r.proxy}`) ?? []), r]);
  const out: Finding[] = [];
  for (const rs of byPath.values()) {
    const { probe, target, proxy } = rs[0]!;
    const survives = (r: LadderRung) => r.survived > 0 && r.died <= r.survived / 4;
    const dies = (r: LadderRung) => r.died > 0 && r.survived <= r.died / 4;
    const ok = rs.filter(survives).map((r) => r.gapMs);
    const dead = rs.filter(dies).map((r) => r.gapMs);
    const mixed = rs.filter((r) => !survives(r) && !dies(r) && r.survived + r.died > 0).sort((a, b) => a.gapMs - b.gapMs);
    const died = rs.reduce((n, r) => n + r.died, 0);
    const total = rs.reduce((n, r) => n + r.died + r.survived, 0);
    const longestOk = ok.length ? Math.max(...ok) : null;
    const shortestDead = dead.length ? Math.min(...dead) : null;
    const path = `${probe} → ${proxy === 'direct' ? 'direct' : proxy} → ${target}`;
    const gap = (ms: number) => `${ms / 1000} s`;
    const mixedNote = mixed.length > 0 ? `; mixed at ${mixed.map((r) => `${gap(r.gapMs)} (${r.died} of ${r.died + r.survived} died)`).join(', ')}` : '';
    const idleCut: IdleCut = { lowMs: longestOk, highMs: shortestDead, exact: false };
    const fix = idleCutFix(idleCut);
    let title: string;
    let recommendation: string;
    if (longestOk !== null && shortestDead !== null) {
      title = `${path}: survives ${gap(longestOk)} idle, dies by ${gap(shortestDead)}${mixedNote}`;
      recommendation = `${capital(pingEvery(fix!))} on this path (under the longest silence it survives, ${gap(longestOk)}).`;
    } else if (shortestDead !== null) {
      title = `${path}: dies even at ${gap(shortestDead)} idle, the shortest rung`;
      recommendation = `${capital(pingEvery(fix!))} on this path meanwhile, and add shorter rungs to the ladder to bracket the idle timeout.`;
    } else if (longestOk !== null && died === 0 && mixed.length === 0) {
      title = `${path}: survives every rung, up to ${gap(longestOk)} idle`;
      recommendation = 'No idle timeout below the longest rung on this path.';
    } else if (longestOk !== null) {
      title = `${path}: no idle cut up to ${gap(longestOk)}, but ${died} of ${total} canaries died${mixedNote}`;
      recommendation =
        mixed.length > 0
          ? `Rerun the ladder around ${gap(mixed[0]!.gapMs)}: some canaries die there and some survive (a pool of layers with different timeouts, or drops that are not an idle cut).`
          : `No idle timeout below the longest rung on this path; its ${died} deaths are spread over the rungs, not tied to a silence: see the signatures for what cut them.`;
    } else {
      continue;
    }
    out.push({
      kind: 'ladder',
      severity: shortestDead !== null || mixed.length > 0 ? 'warning' : 'info',
      title,
      detail: rs.map((r) => `${gap(r.gapMs)}: ${r.survived} survived, ${r.died} died`).join('; '),
      recommendation,
      path: { probe, target, proxy },
      idleCut,
      ...(fix && { fix }),
    });
  }
  return out;
}

export function egressFindings(stats: readonly EgressStat[]): Finding[] {
  return stats
    .filter((s) => s.changes >= 2)
    .map((s) => {
      const coincide = s.drops > 0 && s.dropsNearChange >= Math.max(2, 0.3 * s.drops);
      return {
        kind: 'egress-rotation' as const,
        severity: coincide ? ('critical' as const) : ('info' as const),
        title: `${s.proxy} from ${s.probe}: egress address changed ${s.changes} times (${s.addresses} addresses)`,
        detail: coincide
          ? `${s.dropsNearChange} of ${s.drops} drops on this path came within 5 s of an egress change: the rotation cuts live connections.`
          : `Drops do not coincide with the changes (${s.dropsNearChange} of ${s.drops} within 5 s).`,
        recommendation: coincide ? `Use sticky sessions on ${s.proxy} (a session id in the proxy username, or a longer rotation interval) for WebSocket traffic.` : 'Rotation looks harmless to open connections here.',
      };
    });
}

export interface RttBeforeDrops {
  target: string;
  proxy: string;
  /** Mean RTT over the whole scope on this path. */
  baselineMs: number;
  baselineSamples: number;
  /** Mean RTT in the minutes just before drops on this path. */
  beforeMs: number;
  beforeSamples: number;
  drops: number;
}

/** RTT that climbs before drops: queues filling up (a buffering proxy, a congested link). */
export function rttFindings(stats: readonly RttBeforeDrops[]): Finding[] {
  return stats
    .filter((s) => s.beforeSamples >= 10 && s.baselineSamples >= 30 && s.drops >= 3 && s.beforeMs >= 2 * s.baselineMs && s.beforeMs - s.baselineMs >= 20)
    .map((s) => ({
      kind: 'rtt-rise' as const,
      severity: 'warning' as const,
      title: `RTT rises before drops ${s.proxy === 'direct' ? 'direct' : `through ${s.proxy}`} to ${s.target}`,
      detail: `In the minutes before ${s.drops} drops the mean RTT was ${s.beforeMs.toFixed(0)} ms against ${s.baselineMs.toFixed(0)} ms overall (${s.beforeSamples} and ${s.baselineSamples} samples): something queues before the connection dies.`,
      recommendation: 'Look for buffering or congestion on that path (a proxy holding messages back, a saturated link) and for server-side backpressure.',
    }));
}
