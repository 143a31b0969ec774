/**
 * Findings beside the signatures, each with its fix in one line: upgrade refusals by
 * status and path, silent deaths by path and how long the path was quiet, ladder results,
 * and egress address rotations that coincide with drops.
 */
import { formatSeconds } from './stats';

export interface RefusalGroup {
  target: string;
  proxy: string;
  outcome: 'upgrade_refused' | 'proxy_refused' | 'dial_failed';
  /** HTTP status, proxy reply or socket error code. */
  reason: string;
  server: string | null;
  count: number;
  /** Attempts on the same path in scope. */
  attempts: number;
  /** The same reason on the direct path to the same target. */
  directCount: number;
}

export interface SilentGroup {
  probe: string;
  target: string;
  proxy: string;
  count: number;
  /** Median quiet time before the death (last byte received to the deadline firing minus the deadline). */
  medianQuietMs: number;
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

export interface Finding {
  kind: 'refusal' | 'silent-death' | 'ladder' | 'egress-rotation' | 'rtt-rise';
  severity: 'critical' | 'warning' | 'info';
  title: string;
  detail: string;
  recommendation: string;
}

export function refusalFindings(groups: readonly RefusalGroup[]): Finding[] {
  return groups
    .filter((g) => g.count >= 3)
    .map((g) => {
      const share = `${g.count} of ${g.attempts} attempts`;
      const via = g.proxy === 'direct' ? 'directly' : `through proxy ${g.proxy}`;
      const status = Number(g.reason);
      let detail = `${share} ${via} to ${g.target} ended with ${describeReason(g)}${g.server ? ` (Server: ${g.server})` : ''}.`;
      let recommendation = 'Look at the layer that answered: its access rules or its upstream.';
      if (g.outcome === 'upgrade_refused' && (status === 400 || status === 426) && g.proxy !== 'direct' && g.directCount === 0) {
        detail += ' The direct path upgrades fine: the proxy strips the Upgrade and Connection headers.';
        recommendation = `Make ${g.proxy} tunnel WebSockets (CONNECT) or forward Upgrade/Connection headers (nginx: proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade").`;
      } else if (g.outcome === 'upgrade_refused' && (status === 502 || status === 503 || status === 504)) {
        recommendation = `The layer in front of ${g.target} could not reach its upstream: check the backend's health and the proxy's upstream timeouts.`;
      } else if (g.outcome === 'upgrade_refused' && (status === 401 || status === 403)) {
        recommendation = 'An access rule refuses the upgrade: check the WAF or CDN rules, the Origin allow-list and the credentials.';
      } else if (g.outcome === 'proxy_refused') {
        recommendation = `Proxy ${g.proxy} refuses the tunnel: allow CONNECT to the target's port (squid: SSL_ports / Safe_ports; tinyproxy: ConnectPort; dante: socks pass rules) or fix the credentials.`;
      } else if (g.outcome === 'dial_failed') {
        recommendation = g.reason === 'ETIMEDOUT' ? 'Nothing answered in time: a firewall dropping packets, or an overloaded first hop.' : 'The first hop refused or was unreachable: is it up, and is the address right?';
      }
      return { kind: 'refusal' as const, severity: g.count === g.attempts ? ('critical' as const) : ('warning' as const), title: `${describeReason(g)} ${via} to ${g.target}`, detail, recommendation };
    });
}

function describeReason(g: RefusalGroup): string {
  if (g.outcome === 'upgrade_refused') return `HTTP ${g.reason} on upgrade`;
  if (g.outcome === 'proxy_refused') return `proxy refusal "${g.reason}"`;
  return `dial failure ${g.reason}`;
}

export function silentFindings(groups: readonly SilentGroup[]): Finding[] {
  return groups
    .filter((g) => g.count >= 3)
    .map((g) => ({
      kind: 'silent-death' as const,
      severity: 'warning' as const,
      title: `${g.count} silent deaths ${g.proxy === 'direct' ? 'direct' : `through ${g.proxy}`} to ${g.target} from ${g.probe}`,
      detail: `No FIN, no reset: the path went dark and only the pong deadline noticed, after ${formatSeconds(g.medianQuietMs / 1000)} of quiet (median). A NAT or stateful firewall forgot the flow, or the route black-holed it.`,
      recommendation: `Keep heartbeats well under the shortest NAT idle timeout on that path, and size client pong deadlines to notice within seconds, not minutes.`,
    }));
}

/** "survives 45 s idle, dies by 60 s" per path, from the ladder's rungs. */
export function ladderFindings(rungs: readonly LadderRung[]): Finding[] {
  const byPath = new Map<string, LadderRung[]>();
  for (const r of rungs) byPath.set(`${r.probe}|${r.target}|${r.proxy}`, [...(byPath.get(`${r.probe}|${r.target}|${r.proxy}`) ?? []), r]);
  const out: Finding[] = [];
  for (const rs of byPath.values()) {
    const { probe, target, proxy } = rs[0]!;
    const ok = rs.filter((r) => r.survived > 0 && r.died <= r.survived / 4).map((r) => r.gapMs);
    const dead = rs.filter((r) => r.died > 0 && r.survived <= r.died / 4).map((r) => r.gapMs);
    const longestOk = ok.length ? Math.max(...ok) : null;
    const shortestDead = dead.length ? Math.min(...dead) : null;
    const path = `${probe} → ${proxy === 'direct' ? 'direct' : proxy} → ${target}`;
    let title: string;
    let recommendation: string;
    if (longestOk !== null && shortestDead !== null) {
      title = `${path}: survives ${longestOk / 1000} s idle, dies by ${shortestDead / 1000} s`;
      recommendation = `Send a heartbeat at most every ${Math.floor(longestOk / 2000)} s on this path (half the longest silence it survives).`;
    } else if (shortestDead !== null) {
      title = `${path}: dies even at ${shortestDead / 1000} s idle, the shortest rung`;
      recommendation = 'Add shorter rungs to the ladder to bracket the idle timeout.';
    } else if (longestOk !== null) {
      title = `${path}: survives every rung, up to ${longestOk / 1000} s idle`;
      recommendation = 'No idle timeout below the longest rung on this path.';
    } else {
      continue;
    }
    out.push({ kind: 'ladder', severity: shortestDead !== null ? 'warning' : 'info', title, detail: rs.map((r) => `${r.gapMs / 1000} s: ${r.survived} survived, ${r.died} died`).join('; '), recommendation });
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
