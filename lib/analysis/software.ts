/**
 * Naming the software of the layer that cut, from what it says about itself: a header of
 * the 101 (Server, Via, CF-Ray ...). The identity must fit the place: the 101 reaches the
 * probe through a forward proxy's tunnel untouched, so its headers speak for the layers in
 * front of the target, never for the proxy; and a NAT or firewall on the probes' side says
 * nothing at all. A Server header the sign table does not know is still the identity of
 * the layer that answered ("acme-gw/2.3"). When several layers in front of the target name
 * themselves (a CDN's Via and an origin's Server), the one whose documented timeout is N
 * is favoured; if none is, nothing tells them apart and the answer says so.
 */
import type { Layer } from './catalogue';
import { toleranceMs } from './candidates';
import { softwareIn, type SoftwareSign } from './software-signs';
import type { Drop, LocationScope, SignatureKind, Software } from './types';

export interface Identification {
  software: Software | null;
  note: string;
}

/** Headers that are ours (the canary target's), not a layer's. */
const OWN_HEADERS = new Set(['x-dropscope-peer', 'x-dropscope-target', 'sec-websocket-protocol', 'sec-websocket-extensions']);

interface Seen {
  name: string;
  version: string | null;
  header: string;
  value: string;
  side: SoftwareSign['side'] | 'unknown';
  /** The sign's role; null for a Server value no sign knows. */
  role: SoftwareSign['role'] | null;
  members: number;
}

/**
 * Every identity the members' answers show, with on how many members: the 101's headers
 * by default, or another set (a forward proxy's CONNECT reply). A value of `selfNaming`
 * that no sign knows still names whatever answered.
 */
function identitiesOf(members: readonly Drop[], headersOf: (d: Drop) => Record<string, string> = (d) => d.headers, selfNaming: readonly string[] = ['server']): Seen[] {
  const seen = new Map<string, Seen>();
  for (const d of members) {
    const names = new Set<string>();
    const add = (s: Omit<Seen, 'members'>) => {
      if (names.has(s.name)) return;
      names.add(s.name);
      const prior = seen.get(s.name);
      if (prior) prior.members += 1;
      else seen.set(s.name, { ...s, members: 1 });
    };
    const headers = Object.fromEntries(Object.entries(headersOf(d)).filter(([h]) => !OWN_HEADERS.has(h)));
    const known = softwareIn(headers);
    // One header names one layer: where two signs read the same value ("istio-envoy" is
    // both Envoy and Istio), the first in the table speaks for it.
    const read = new Set<string>();
    for (const k of known) {
      if (read.has(k.sign.header)) continue;
      read.add(k.sign.header);
      add({ name: k.sign.software, version: k.version, header: k.sign.header, value: k.value, side: k.sign.side, role: k.sign.role });
    }
    // A Server (or Proxy-Agent) header no sign knows: still the identity of whatever answered.
    for (const h of selfNaming) {
      const value = headers[h];
      if (!value || read.has(h)) continue;
      const m = /^\s*([^\s/()]+)(?:\/([^\s()]+))?/.exec(value);
      if (m) add({ name: m[1]!, version: m[2] ?? null, header: h, value, side: 'unknown', role: null });
    }
  }
  return [...seen.values()].sort((a, b) => b.members - a.members || (a.name < b.name ? -1 : 1));
}

export function identifySoftware(
  members: readonly Drop[],
  place: { scope: LocationScope; value: string | null },
  sig: { nMs: number; kind: SignatureKind },
  layers: readonly Layer[],
): Identification {
  const n = members.length;
  if (place.scope === 'probe' || place.scope === 'label') {
    return { software: null, note: "a layer on the probes' side (their NAT, firewall or ISP) does not show itself in any response" };
  }
  const all = identitiesOf(members).filter((s) => s.members >= 0.5 * n);
  const describe = (s: Seen) => `${s.header}: ${s.value}`;
  if (place.scope === 'proxy') {
    if (place.value === 'direct') return { software: null, note: 'the layer on the probe side of the direct route does not show itself in any response' };
    // Only the proxy's own CONNECT reply speaks for it (tinyproxy: Proxy-agent).
    const own = identitiesOf(members, (d) => d.proxyHeaders ?? {}, ['proxy-agent', 'server']).filter((s) => s.members >= 0.5 * n && s.side !== 'target-front');
    if (own.length === 1) {
      const p = own[0]!;
      return {
        software: { name: p.name, version: p.version, shownBy: { header: p.header, value: p.value, source: 'proxy-reply', seen: p.members, of: n }, side: 'proxy', known: layers.some((l) => l.software === p.name) },
        note: `proxy ${place.value} names itself in its CONNECT reply (${describe(p)}, ${p.members} of ${n})`,
      };
    }
    const front = all.filter((s) => s.side !== 'proxy');
    return {
      software: null,
      note: `proxy ${place.value} does not show itself here: the 101 comes through its tunnel untouched${front.length ? `, so ${front.map(describe).join(' and ')} speak${front.length === 1 ? 's' : ''} for the target's front, not for the proxy` : ''}${own.length > 1 ? `, and its CONNECT replies name several (${own.map(describe).join('; ')})` : ', and its CONNECT reply names nothing'}`,
    };
  }
  // The target's front (or, with no better place, whatever answered the upgrade).
  const fitting = all.filter((s) => s.side !== 'proxy');
  if (fitting.length === 0) {
    const where = place.scope === 'target' ? `in front of target ${place.value}` : 'on this path';
    return { software: null, note: `nothing in the 101 identifies the layer ${where} (no Server, Via or vendor header): an L4 proxy or a load balancer that does not name itself (HAProxy by default)` };
  }
  const known = (name: string) => layers.some((l) => l.software === name);
  const matchesN = (name: string) => layers.some((l) => l.software === name && Math.abs(sig.nMs - l.timeoutS * 1000) <= toleranceMs(l.timeoutS) && (sig.kind === 'undetermined' || l.kind === sig.kind));
  /** A known software none of whose timeouts is of this kind (a lifetime-only load balancer for an idle cut). */
  const wrongKind = (name: string) => sig.kind !== 'undetermined' && known(name) && !layers.some((l) => l.software === name && l.kind === sig.kind);
  let chosen: Seen;
  let note: string;
  if (fitting.length === 1) {
    chosen = fitting[0]!;
    note = `the layer that answered the upgrade identifies itself by ${describe(chosen)} (${chosen.members} of ${n} upgrade responses)`;
  } else {
    const byDefault = fitting.filter((s) => matchesN(s.name));
    // Without a default at N: the application server behind the proxies (uvicorn, Jetty)
    // names the origin, not a layer in front of it; and a software with no timeout of
    // this kind cannot have made this cut.
    const layersInFront = fitting.filter((s) => s.role !== 'library' && !wrongKind(s.name));
    const favoured = byDefault.length === 1 ? byDefault : byDefault.length === 0 && layersInFront.length === 1 ? layersInFront : [];
    if (favoured.length !== 1) {
      return {
        software: null,
        note: `several layers identify themselves in front of the target (${fitting.map(describe).join('; ')}) and ${byDefault.length === 0 ? "none's documented timeout is" : "more than one's documented timeout is"} ${(sig.nMs / 1000).toFixed(1)} s: nothing here tells which of them cut`,
      };
    }
    chosen = favoured[0]!;
    const others = fitting.filter((s) => s !== chosen);
    const why =
      byDefault.length === 1
        ? `its documented timeout is ${(sig.nMs / 1000).toFixed(1)} s`
        : `the others are ${others.map((o) => (o.role === 'library' ? `the origin's application server (${o.name})` : `${o.name}, whose timeouts are all ${sig.kind === 'idle' ? 'lifetimes' : 'idle timeouts'}`)).join(' and ')}`;
    note = `several layers identify themselves (${fitting.map(describe).join('; ')}); ${chosen.name} is favoured because ${why}`;
  }
  return {
    software: {
      name: chosen.name,
      version: chosen.version,
      shownBy: { header: chosen.header, value: chosen.value, source: 'upgrade', seen: chosen.members, of: n },
      side: 'target-front',
      known: known(chosen.name),
    },
    note,
  };
}
