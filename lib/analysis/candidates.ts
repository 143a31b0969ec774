/**
 * Naming the layer: rank catalogue entries by how well they agree with the signature:
 * N (required), idle or lifetime, how the connection ended, the upgrade response headers,
 * and where on the path matrix it sits. No entry within tolerance of N: no name, rather
 * than a false one.
 */
import type { EndKind } from '../contracts/ingest';
import type { Layer } from './catalogue';
import type { Candidate, Drop, LocationScope, SignatureKind, Software } from './types';

const ENDING_OF: Record<EndKind, Layer['endings'][number] | null> = {
  tcp_fin: 'fin',
  tcp_reset: 'rst',
  pong_timeout: 'silent',
  close_frame: 'close_frame',
  probe_closed: null,
  error: null,
};

const ROLE_FITS: Record<LocationScope, Layer['role'][]> = {
  proxy: ['forward-proxy', 'nat', 'firewall', 'custom'],
  target: ['reverse-proxy', 'cdn', 'load-balancer', 'platform', 'gateway', 'library', 'custom'],
  probe: ['nat', 'firewall', 'forward-proxy', 'custom'],
  label: ['nat', 'firewall', 'custom'],
  profile: ['library', 'custom'],
  everywhere: ['reverse-proxy', 'cdn', 'load-balancer', 'platform', 'gateway', 'library', 'nat', 'custom'],
  'single-path': ['reverse-proxy', 'cdn', 'load-balancer', 'platform', 'gateway', 'forward-proxy', 'nat', 'firewall', 'library', 'custom'],
};

/** From this score the verdict names a candidate (lib/analysis/verdict.ts). */
export const NAMED_SCORE = 3;

export function toleranceMs(timeoutS: number): number {
  return Math.max(1000, 0.02 * timeoutS * 1000);
}

/** Places where the 101's headers speak for another layer than the one that cut. */
const HEADERS_ELSEWHERE: readonly LocationScope[] = ['proxy', 'probe', 'label'];

export function rankCandidates(
  layers: readonly Layer[],
  sig: { nMs: number; kind: SignatureKind; members: readonly Drop[]; scope: LocationScope; software?: Software | null },
): Candidate[] {
  const software = sig.software ?? null;
  const headersFit = !HEADERS_ELSEWHERE.includes(sig.scope);
  const endings = new Map<string, number>();
  for (const d of sig.members) {
    const e = ENDING_OF[d.endKind];
    if (e) endings.set(e, (endings.get(e) ?? 0) + 1);
  }
  const dominant = [...endings.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  const codes = sig.members.filter((d) => d.endKind === 'close_frame' && d.closeCode !== null).map((d) => d.closeCode!);

  const out: (Candidate & { order: number })[] = [];
  for (const [order, layer] of layers.entries()) {
    const diff = Math.abs(sig.nMs - layer.timeoutS * 1000);
    const tol = toleranceMs(layer.timeoutS);
    const named = software !== null && layer.software === software.name;
    if (diff > tol) {
      // The layer named itself: N is what its setting is set to, whatever its default.
      if (named && layer.configurable && (sig.kind === 'undetermined' || layer.kind === sig.kind)) out.push(identityCandidate(layer, software, sig.nMs, order));
      continue;
    }
    const reasons = [`N = ${(sig.nMs / 1000).toFixed(1)} s matches its ${layer.timeoutS} s ${layer.kind} timeout`];
    let score = 3 * (1 - diff / tol);
    if (sig.kind === layer.kind) {
      score += 2;
      reasons.push(`${layer.kind}-based, as observed`);
    } else if (sig.kind === 'undetermined') {
      score += 0.5;
    } else {
      score -= 2;
      reasons.push(`but it is ${layer.kind}-based and this cut is ${sig.kind}-based`);
    }
    if (dominant && layer.endings.includes(dominant as Layer['endings'][number])) {
      score += layer.endings[0] === dominant ? 1.5 : 1;
      reasons.push(`ends with ${describeEnding(dominant)}, as it does`);
    } else if (dominant) {
      score -= 0.5;
    }
    if (layer.closeCode !== undefined && codes.includes(layer.closeCode)) {
      score += 0.5;
      reasons.push(`close code ${layer.closeCode}`);
    }
    const matched = headersFit ? sig.members.filter((d) => layer.headerHints.some((h) => new RegExp(h.pattern, 'i').test(d.headers[h.header.toLowerCase()] ?? ''))) : [];
    if (named) {
      score += 2;
      reasons.push(`the layer names itself: ${software.shownBy.header}: ${software.shownBy.value}`);
    } else if (software !== null && layer.software !== undefined && software.known) {
      // Another software answered in that place.
      score -= 1;
    } else if (matched.length > 0) {
      score += 2 * (matched.length / sig.members.length);
      const h = layer.headerHints.find((hint) => matched.some((d) => new RegExp(hint.pattern, 'i').test(d.headers[hint.header.toLowerCase()] ?? '')))!;
      reasons.push(`upgrade responses carry ${h.header}: ${matched[0]!.headers[h.header.toLowerCase()]}`);
    } else if (headersFit && layer.headerHints.length > 0 && sig.members.some((d) => Object.keys(d.headers).length > 0) && (layer.role === 'cdn' || layer.role === 'reverse-proxy')) {
      // A CDN or reverse proxy in front of the target normally names itself in the 101.
      score -= 0.5;
    }
    if (ROLE_FITS[sig.scope].includes(layer.role)) {
      score += 0.5;
    } else {
      // A layer that cannot sit where the cut is (a load balancer for a cut that follows a
      // forward proxy) is listed but never named: its default matching N is a coincidence.
      score = Math.min(score - 0.5, NAMED_SCORE - 0.5);
      reasons.push(`but a ${layer.role.replace('-', ' ')} does not sit where this cut is (${sig.scope})`);
    }
    out.push({ layerId: layer.id, name: layer.name, timeoutS: layer.timeoutS, kind: layer.kind, score: Math.round(score * 100) / 100, reasons, setting: layer.setting, basis: 'default', order });
  }
  // Equal scores: the catalogue's order decides (the general case, plain nginx, before the
  // specialised one, ingress-nginx).
  return out
    .sort((a, b) => b.score - a.score || a.order - b.order)
    .slice(0, 5)
    .map(({ order: _order, ...c }) => c);
}

/**
 * A layer of the software that named itself, whose setting is evidently N rather than its
 * default: above any default that merely matches N, because the layer said what it is.
 */
function identityCandidate(layer: Layer, software: Software, nMs: number, order: number): Candidate & { order: number } {
  const n = Math.round(nMs / 100) / 10;
  return {
    layerId: layer.id,
    name: layer.name,
    timeoutS: layer.timeoutS,
    kind: layer.kind,
    score: 5,
    reasons: [
      `the layer names itself: ${software.shownBy.header}: ${software.shownBy.value} (${software.shownBy.seen} of ${software.shownBy.of} upgrade responses)`,
      `N = ${n} s is not its documented ${layer.timeoutS} s: this setting is evidently set to about ${n} s`,
    ],
    setting: layer.setting,
    basis: 'identity',
    order,
  };
}

export function describeEnding(e: string): string {
  return e === 'fin' ? 'a TCP FIN' : e === 'rst' ? 'a TCP reset' : e === 'silent' ? 'silence (no FIN, no reset)' : 'a WebSocket close frame';
}
