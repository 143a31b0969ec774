/**
 * The sentence an SRE acts on, and the one-line fix, generated from the signature's
 * structured fields (place, kind, who ended it, the software, the ranked candidates), so
 * that a program reading those fields and a person reading the sentence are told the same.
 */
import { NAMED_SCORE } from './candidates';
import { closeCodeAdvice, describeCloseCode } from './close-codes';
import { formatSeconds } from './stats';
import type { Candidate, Fix, LocationScope, SignatureKind, Software } from './types';

export interface VerdictFacts {
  nSeconds: number;
  kind: SignatureKind;
  count: number;
  scope: LocationScope;
  value: string | null;
  candidates: readonly Candidate[];
  controlIsDirect: boolean;
  /** Distinct proxies (the direct path counts as one) among the cut sessions. */
  proxiesCut?: number;
  software?: Software | null;
  endedBy?: 'layer' | 'endpoint';
  /** The endpoint's close code when `endedBy` is 'endpoint'. */
  closeCode?: number | null;
}

/** A candidate worth naming in the sentence: it named itself, or its default fits well. */
export function namedCandidate(candidates: readonly Candidate[]): Candidate | undefined {
  const top = candidates[0];
  return top && (top.basis === 'identity' || top.score >= NAMED_SCORE) ? top : undefined;
}

export function verdictSentence(s: VerdictFacts): string {
  const n = formatSeconds(s.nSeconds);
  const how = s.kind === 'idle' ? `${n} of silence` : s.kind === 'lifetime' ? `${n} of age, traffic or not` : `${n}`;
  const where =
    s.scope === 'proxy'
      ? s.value === 'direct'
        ? 'on the direct path only'
        : `through proxy ${s.value}, on every target it reaches${s.controlIsDirect ? ', and not on the direct path' : ''}`
      : s.scope === 'target'
        ? (s.proxiesCut ?? 2) > 1
          ? `on target ${s.value}, through every proxy and the direct path`
          : `on target ${s.value}`
        : s.scope === 'probe'
          ? `only from probe ${s.value}`
          : s.scope === 'label'
            ? `only from probes labelled ${s.value}`
            : s.scope === 'profile'
              ? `only on profile ${s.value}`
              : s.scope === 'single-path'
                ? `on ${s.value}`
                : 'on every path observed';
  if (s.endedBy === 'endpoint' && s.closeCode != null) {
    return `WebSockets are closed by their endpoint with ${describeCloseCode(s.closeCode)} at ${n} of age ${where} (${s.count} drops): an application's decision (a session limit or a rule), not a layer's timeout.`;
  }
  const layer =
    s.scope === 'proxy'
      ? s.value === 'direct'
        ? 'a layer on the probe side of the direct route'
        : "a layer inside that proxy's chain"
      : s.scope === 'target'
        ? 'a layer in front of that target (its CDN, load balancer or reverse proxy)'
        : s.scope === 'probe' || s.scope === 'label'
          ? "a layer on those probes' side (their NAT, firewall or ISP)"
          : 'a layer every path shares';
  const kindWord = s.kind === 'lifetime' ? 'maximum lifetime' : 'idle timeout';
  const top = namedCandidate(s.candidates);
  const sw = s.software ?? null;
  const front = sw?.side === 'proxy' ? 'the proxy itself' : s.scope === 'target' ? 'in front of that target' : 'that answered the upgrade';
  if (top?.basis === 'identity' && sw) {
    return `WebSockets die at ${how} ${where} (${s.count} drops): ${sw.name}${sw.version ? ` ${sw.version}` : ''}, ${front} (${sw.shownBy.header}: ${sw.shownBy.value}), whose ${top.name} is set to about ${n} (its default is ${formatSeconds(top.timeoutS)}).`;
  }
  if (sw && !top) {
    const who = sw.side === 'proxy' ? 'the proxy' : `the layer ${front}`;
    return `WebSockets die at ${how} ${where} (${s.count} drops): ${who} identifies itself as ${sw.shownBy.value.trim()} (${sw.shownBy.header}), with a ${n} ${kindWord}.`;
  }
  const named = top ? ` (${top.name} is ${formatSeconds(top.timeoutS)})` : '';
  return `WebSockets die at ${how} ${where} (${s.count} drops): ${layer} with a ${n} ${kindWord}${named}.`;
}

/** What a recommendation is computed from: the facts the verdict reads, less the place. */
export type FixFacts = Pick<VerdictFacts, 'nSeconds' | 'kind' | 'candidates' | 'endedBy' | 'closeCode'>;

/**
 * The fix, as data: the one definition of the heartbeat interval and the reconnect period
 * that `recommendation` words and that the server asks probes to verify (issue 18).
 *   heartbeat  half of N, rounded down to 5 s (an idle timeout, or an undetermined one:
 *              most are idle), at least 1 s
 *   reconnect  90 % of N, whole seconds, at least 1 s (a lifetime limit: no heartbeat helps)
 *   endpoint   the endpoint closed on purpose with an application code: no layer to tune
 */
export function fixOf(s: FixFacts): Fix {
  if (s.endedBy === 'endpoint' && s.closeCode != null) return { kind: 'endpoint' };
  if (s.kind === 'lifetime') return { kind: 'reconnect', everyMs: Math.max(1, Math.floor(s.nSeconds * 0.9)) * 1000 };
  return { kind: 'heartbeat', intervalMs: Math.max(1, Math.floor(s.nSeconds / 2 / 5) * 5 || Math.floor(s.nSeconds / 2)) * 1000 };
}

/** The one-line fix for people, worded from `fix` (by default `fixOf(s)`, which the signature carries beside it). */
export function recommendation(s: FixFacts, fix: Fix = fixOf(s)): string {
  if (fix.kind === 'endpoint') {
    const advice = closeCodeAdvice(s.closeCode!);
    return `${advice.charAt(0).toUpperCase()}${advice.slice(1)}; no layer's timeout is involved, and clients should reconnect when it happens.`;
  }
  const top = namedCandidate(s.candidates);
  const setting = top ? `, or raise ${top.setting}${top.basis === 'identity' ? ` (now about ${formatSeconds(s.nSeconds)})` : ''}` : ", or raise that layer's timeout";
  if (fix.kind === 'reconnect') {
    return `Heartbeats will not help: reconnect proactively before ${formatSeconds(s.nSeconds)} (say at ${formatSeconds(fix.everyMs / 1000)})${setting}.`;
  }
  const advice = `send a WebSocket ping at least every ${fix.intervalMs / 1000} s (half of ${formatSeconds(s.nSeconds)})${setting}.`;
  return s.kind === 'undetermined' ? `If it is an idle timeout (most are): ${advice}` : advice.charAt(0).toUpperCase() + advice.slice(1);
}
