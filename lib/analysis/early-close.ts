/**
 * Connections that end right after their 101 (under EARLY_MS): never a timeout's
 * signature, but something an SRE must be told, with who did it. The README's alert demo
 * pauses the target, which then accepts every upgrade and closes at once with 1013: that
 * used to read "WebSockets die at 0.0 s of silence". Said here instead: "target builtin
 * closes every connection right after the upgrade with 1013 (Try Again Later)".
 */
import { closeCodeAdvice, describeCloseCode, isApplicationCode } from './close-codes';
import { describeEnding } from './candidates';
import type { Finding } from './findings';
import { pct } from './stats';
import type { Drop, PathExposure } from './types';

const ENDING_OF: Partial<Record<Drop['endKind'], string>> = { tcp_fin: 'fin', tcp_reset: 'rst', pong_timeout: 'silent', close_frame: 'close_frame', error: 'error' };

/** Fewest early drops on a target (or target × proxy) worth saying. */
const MIN_GROUP = 3;

/**
 * One finding per target whose endpoint closed (an application close code the target
 * itself sent), and one per target × proxy where a layer cut right after the upgrade.
 * `members` are (a sample of) the early drops; `paths` count each path's sessions and its
 * early drops (`hits`) in scope.
 */
export function earlyCloseFindings(members: readonly Drop[], paths: readonly PathExposure[]): Finding[] {
  const byTarget = new Map<string, Drop[]>();
  for (const d of members) byTarget.set(d.target, [...(byTarget.get(d.target) ?? []), d]);
  const out: Finding[] = [];
  for (const [target, drops] of [...byTarget.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const onTarget = paths.filter((p) => p.target === target);
    const sessions = onTarget.reduce((n, p) => n + p.sessions, 0);
    const early = onTarget.reduce((n, p) => n + p.hits, 0) || drops.length;
    const endpoint = drops.filter(closedByEndpoint);
    if (endpoint.length >= Math.max(MIN_GROUP, 0.5 * drops.length)) {
      const code = dominant(endpoint.map((d) => d.closeCode!))!;
      const proxies = [...new Set(endpoint.map((d) => d.proxy))].sort();
      const every = early >= 0.9 * sessions;
      out.push({
        kind: 'early-close',
        cause: 'endpoint-close',
        severity: every ? 'critical' : 'warning',
        title: `Target ${target} closes ${every ? 'every connection' : `${early} of ${sessions} connections`} right after the upgrade with ${describeCloseCode(code)}`,
        detail: `${early} of ${sessions} sessions to ${target} (${pct(early, sessions)}) ended within a second of their 101, closed by the endpoint with ${describeCloseCode(code)} on ${proxies.map((p) => (p === 'direct' ? 'the direct path' : `proxy ${p}`)).join(', ')}: an application decision, not a layer's timeout, so these drops are no signature.`,
        recommendation: `${capitalise(closeCodeAdvice(code))}.`,
      });
      continue;
    }
    // A layer that accepts the upgrade and cuts at once: per proxy, since the layer may be the proxy.
    const byProxy = new Map<string, Drop[]>();
    for (const d of drops) if (!closedByEndpoint(d)) byProxy.set(d.proxy, [...(byProxy.get(d.proxy) ?? []), d]);
    for (const [proxy, cut] of byProxy) {
      if (cut.length < MIN_GROUP) continue;
      const path = onTarget.filter((p) => p.proxy === proxy);
      const n = path.reduce((t, p) => t + p.hits, 0) || cut.length;
      const of = path.reduce((t, p) => t + p.sessions, 0);
      const ending = dominant(cut.map((d) => ENDING_OF[d.endKind] ?? 'error'))!;
      const via = proxy === 'direct' ? 'directly' : `through proxy ${proxy}`;
      out.push({
        kind: 'early-close',
        cause: 'layer-cut',
        severity: n >= 0.9 * of ? 'critical' : 'warning',
        title: `Connections ${via} to ${target} are cut right after the upgrade (${ending === 'error' ? 'a socket error' : describeEnding(ending)})`,
        detail: `${n} of ${of} sessions ${via} to ${target} ended within a second of their 101, by ${ending === 'error' ? 'a socket error' : describeEnding(ending)}, not by the endpoint's own close: a layer on the path accepts the upgrade and then drops it (a WAF or proxy rule on upgraded connections, a connection limit, a backend that crashes on accept).`,
        recommendation: proxy === 'direct' ? `Look at the layers in front of ${target} for a rule or limit on upgraded connections, and at the target's logs for a crash on accept.` : `Compare with the direct path: if only ${proxy} cuts, look at its rules for upgraded or long-lived connections.`,
      });
    }
  }
  return out;
}

/** The endpoint closed it: a close frame with an application code (a layer's cut is a FIN, a reset or silence). */
export function closedByEndpoint(d: Pick<Drop, 'endKind' | 'closeCode'>): boolean {
  return d.endKind === 'close_frame' && isApplicationCode(d.closeCode);
}

function dominant<T extends string | number>(xs: readonly T[]): T | undefined {
  const counts = new Map<T, number>();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0];
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
