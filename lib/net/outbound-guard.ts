/**
 * The outbound-request guard (SSRF): before the server connects anywhere on a user's
 * behalf (webhooks), the URL's host is resolved to every address it has, and the request
 * is refused if any of them is internal (lib/net/address-class.ts) and not allowed by
 * DROPSCOPE_OUTBOUND_ALLOW (lib/net/allow-list.ts). The caller then connects to the
 * address that was checked, never resolving again (lib/net/pinned-request.ts), so a name
 * that answers a public address to the check and 127.0.0.1 to the connection (DNS
 * rebinding) cannot get through.
 *
 * Refusing when any address is internal, rather than picking a public one, keeps the rule
 * simple to state and to test: a name that mixes public and internal answers is suspect.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { classifyAddress, isIpLiteral, KIND_PHRASES, type AddressKind } from './address-class';
import { normalizeHostName, type OutboundAllowList } from './allow-list';

export const ALLOW_VARIABLE = 'DROPSCOPE_OUTBOUND_ALLOW';

export class OutboundRefusedError extends Error {
  readonly code = 'OUTBOUND_ERR_REFUSED';
  constructor(
    message: string,
    readonly host: string,
    readonly address: string,
    readonly kind: Exclude<AddressKind, 'public'>,
  ) {
    super(message);
    this.name = 'OutboundRefusedError';
  }
}

/** A resolver: every address of `host`, in the order to try them. */
export type Lookup = (host: string) => Promise<{ address: string; family: number }[]>;

/** The system's resolver (getaddrinfo: /etc/hosts, then DNS), every address, in its order. */
export const systemLookup: Lookup = (host) => dnsLookup(host, { all: true, order: 'verbatim' });

/** Where to connect: the checked address, and whether it is internal (reached through the allow list). */
export interface CheckedTarget {
  /** The URL's host name, without IPv6 brackets. */
  host: string;
  address: string;
  family: 4 | 6;
  internal: boolean;
}

/** The URL's host as a resolver or a connection takes it: no brackets around IPv6. */
export function urlHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/**
 * Why `address` (of `host`) may not be reached, or null if it may. Allowed: a public
 * address, an address in an allowed CIDR, any address of an allowed host name.
 */
function refusal(host: string, address: string, allow: OutboundAllowList): OutboundRefusedError | null {
  const c = classifyAddress(address);
  if (c.kind === 'public' || allow.allowsAddress(address) || allow.allowsHost(host)) return null;
  const what = `${KIND_PHRASES[c.kind]}${c.range && !c.range.startsWith('outside') ? ` (${c.range})` : ''}`;
  const subject = isIpLiteral(host) ? `${address} is ${what}` : `${host} resolves to ${address}, ${what}`;
  return new OutboundRefusedError(`${subject}; allow it with ${ALLOW_VARIABLE}`, host, address, c.kind);
}

/**
 * The check that needs no resolver: a URL whose host is a literal IP that may not be
 * reached. Null for an allowed literal and for every host name (names are resolved, and
 * refused, when a request is made: what they resolve to changes).
 */
export function literalRefusal(url: URL, allow: OutboundAllowList): OutboundRefusedError | null {
  const host = urlHost(url);
  return isIpLiteral(host) ? refusal(host, host, allow) : null;
}

/**
 * Resolve the URL's host and check every address. Resolves to the address to connect to
 * (the first one the resolver gave). Throws OutboundRefusedError naming the first refused
 * address, or the resolver's error (ENOTFOUND, ...).
 */
export async function checkOutbound(url: URL, allow: OutboundAllowList, lookup: Lookup = systemLookup): Promise<CheckedTarget> {
  const host = urlHost(url);
  const addresses = isIpLiteral(host) ? [{ address: host, family: host.includes(':') ? 6 : 4 }] : await lookup(normalizeHostName(host));
  if (addresses.length === 0) throw Object.assign(new Error(`${host} has no address`), { code: 'ENOTFOUND' });
  for (const a of addresses) {
    const refused = refusal(host, a.address, allow);
    if (refused) throw refused;
  }
  const first = addresses[0]!;
  return { host, address: first.address, family: first.family === 6 ? 6 : 4, internal: classifyAddress(first.address).kind !== 'public' };
}
