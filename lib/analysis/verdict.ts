/** The sentence an SRE acts on, and the one-line fix. */
import { formatSeconds } from './stats';
import type { Candidate, LocationScope, SignatureKind } from './types';

export function verdictSentence(s: {
  nSeconds: number;
  kind: SignatureKind;
  count: number;
  scope: LocationScope;
  value: string | null;
  candidates: readonly Candidate[];
  controlIsDirect: boolean;
  /** Distinct proxies (the direct path counts as one) among the cut sessions. */
  proxiesCut?: number;
}): string {
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
  const layer =
    s.scope === 'proxy'
      ? s.value === 'direct'
        ? 'a layer on the probe side of the direct route'
        : "a layer inside that proxy's chain"
      : s.scope === 'target'
        ? "a layer in front of that target (its CDN, load balancer or reverse proxy)"
        : s.scope === 'probe' || s.scope === 'label'
          ? "a layer on those probes' side (their NAT, firewall or ISP)"
          : 'a layer every path shares';
  const kindWord = s.kind === 'lifetime' ? 'maximum lifetime' : 'idle timeout';
  const top = s.candidates[0];
  const named = top && top.score >= 3 ? ` (${top.name} is ${top.timeoutS} s)` : '';
  return `WebSockets die at ${how} ${where} (${s.count} drops): ${layer} with a ${formatSeconds(s.nSeconds)} ${kindWord}${named}.`;
}

export function recommendation(s: { nSeconds: number; kind: SignatureKind; candidates: readonly Candidate[] }): string {
  const top = s.candidates[0];
  const setting = top && top.score >= 3 ? `, or raise ${top.setting}` : ', or raise that layer\'s timeout';
  if (s.kind === 'lifetime') {
    return `Heartbeats will not help: reconnect proactively before ${formatSeconds(s.nSeconds)} (say at ${formatSeconds(Math.floor(s.nSeconds * 0.9))})${setting}.`;
  }
  const interval = Math.max(1, Math.floor(s.nSeconds / 2 / 5) * 5 || Math.floor(s.nSeconds / 2));
  const advice = `send a WebSocket ping at least every ${interval} s (half of ${formatSeconds(s.nSeconds)})${setting}.`;
  return s.kind === 'undetermined' ? `If it is an idle timeout (most are): ${advice}` : advice.charAt(0).toUpperCase() + advice.slice(1);
}
