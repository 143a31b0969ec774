/**
 * What kind of address an IP is, for the outbound-request guard: public (a webhook may go
 * there) or one of the special-purpose ranges a server must not be made to reach
 * (loopback, private, link-local with the cloud metadata service at 169.254.169.254, ...).
 *
 * Library: node's own `net.BlockList`, not ipaddr.js. It parses with the runtime's
 * inet_pton (every IPv6 spelling: compressed, zero-padded, upper case, dotted tail), matches
 * subnets, and already treats an IPv4-mapped IPv6 address (`::ffff:127.0.0.1`, also written
 * `::ffff:7f00:1`) as its IPv4 address, with no dependency to add or keep up to date. What
 * is ours is the table below, taken from the IANA special-purpose registries
 * (iana-ipv4-special-registry, iana-ipv6-special-registry, RFC 6890). Two things about
 * BlockList shape the code: an IPv6 rule also matches IPv4 addresses (it compares them as
 * ::ffff:a.b.c.d, so `::/8` would match 8.8.8.8), hence one table per family; and a string
 * it cannot parse matches nothing, so IPv6 is allow-listed (only global unicast 2000::/3
 * can be public) and an unparseable address is refused, never let through.
 *
 * NAT64 (64:ff9b::/96, RFC 6052) embeds an IPv4 address that a NAT64 gateway connects to:
 * such an address is classified as the IPv4 address it carries (so an IPv6-only host with
 * DNS64 still reaches public receivers, and 64:ff9b::a00:1 is private like 10.0.0.1).
 */
import { BlockList, isIP } from 'node:net';

export type AddressKind =
  | 'public'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'shared'
  | 'link-local'
  | 'unique-local'
  | 'multicast'
  | 'broadcast'
  | 'documentation'
  | 'benchmarking'
  | 'reserved'
  | 'invalid';

export interface AddressClass {
  kind: AddressKind;
  /** The special-purpose range it is in (`127.0.0.0/8`), or null for public and invalid. */
  range: string | null;
}

/** How an error message names each kind: "127.0.0.1 is a loopback address". */
export const KIND_PHRASES: Record<Exclude<AddressKind, 'public'>, string> = {
  unspecified: 'an unspecified ("this host") address',
  loopback: 'a loopback address',
  private: 'a private (RFC 1918) address',
  shared: 'a carrier-grade NAT (RFC 6598 shared) address',
  'link-local': 'a link-local address',
  'unique-local': 'a unique-local (private IPv6) address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  documentation: 'a documentation address',
  benchmarking: 'a benchmarking address',
  reserved: 'a reserved address',
  invalid: 'not a valid IP address',
};

type Rule = readonly [kind: Exclude<AddressKind, 'public' | 'invalid'>, cidr: string];

/** First match wins (the broadcast address is inside 240.0.0.0/4). */
const IPV4_RULES: readonly Rule[] = [
  ['unspecified', '0.0.0.0/8'],
  ['private', '10.0.0.0/8'],
  ['shared', '100.64.0.0/10'],
  ['loopback', '127.0.0.0/8'],
  ['link-local', '169.254.0.0/16'],
  ['private', '172.16.0.0/12'],
  ['reserved', '192.0.0.0/24'],
  ['documentation', '192.0.2.0/24'],
  ['reserved', '192.88.99.0/24'],
  ['private', '192.168.0.0/16'],
  ['benchmarking', '198.18.0.0/15'],
  ['documentation', '198.51.100.0/24'],
  ['documentation', '203.0.113.0/24'],
  ['multicast', '224.0.0.0/4'],
  ['broadcast', '255.255.255.255/32'],
  ['reserved', '240.0.0.0/4'],
];

/** Named IPv6 ranges; anything else outside 2000::/3 is `reserved` too (classifyIpv6). */
const IPV6_RULES: readonly Rule[] = [
  ['unspecified', '::/128'],
  ['loopback', '::1/128'],
  ['reserved', '64:ff9b:1::/48'],
  ['reserved', '100::/64'],
  ['unique-local', 'fc00::/7'],
  ['link-local', 'fe80::/10'],
  ['reserved', 'fec0::/10'],
  ['multicast', 'ff00::/8'],
  ['benchmarking', '2001:2::/48'],
  ['documentation', '2001:db8::/32'],
  // IETF protocol assignments (Teredo 2001::/32, ORCHID, ...) and 6to4, which tunnels to
  // an IPv4 address written inside it.
  ['reserved', '2001::/23'],
  ['reserved', '2002::/16'],
  ['documentation', '3fff::/20'],
];

interface Compiled {
  kind: Rule[0];
  range: string;
  list: BlockList;
}

function compile(rules: readonly Rule[], family: 'ipv4' | 'ipv6'): Compiled[] {
  return rules.map(([kind, range]) => {
    const [net, prefix] = range.split('/') as [string, string];
    const list = new BlockList();
    list.addSubnet(net, Number(prefix), family);
    return { kind, range, list };
  });
}

/** The same IPv4 rules inside NAT64's 64:ff9b::/96: 127.0.0.0/8 becomes 64:ff9b::7f00:0/104. */
function nat64Rules(rules: readonly Rule[]): Rule[] {
  return rules.map(([kind, range]) => {
    const [net, prefix] = range.split('/') as [string, string];
    const [a, b, c, d] = net.split('.').map(Number) as [number, number, number, number];
    const hex = (hi: number, lo: number) => ((hi << 8) | lo).toString(16);
    return [kind, `64:ff9b::${hex(a, b)}:${hex(c, d)}/${96 + Number(prefix)}`] as const;
  });
}

const V4 = compile(IPV4_RULES, 'ipv4');
const V6 = compile(IPV6_RULES, 'ipv6');
const NAT64 = compile(nat64Rules(IPV4_RULES), 'ipv6');

const single = (cidr: string, family: 'ipv4' | 'ipv6') => compile([['reserved', cidr]], family)[0]!.list;
const ANY_V4 = single('0.0.0.0/0', 'ipv4');
const ANY_V6 = single('::/0', 'ipv6');
const MAPPED = single('::ffff:0:0/96', 'ipv6');
const NAT64_WKP = single('64:ff9b::/96', 'ipv6');
const GLOBAL_UNICAST = single('2000::/3', 'ipv6');

const firstMatch = (rules: readonly Compiled[], address: string, family: 'ipv4' | 'ipv6'): AddressClass | null => {
  const hit = rules.find((r) => r.list.check(address, family));
  return hit ? { kind: hit.kind, range: hit.range } : null;
};

/**
 * Classify one IP address (as dns.lookup or a URL gives it; an IPv6 zone `%eth0` is
 * ignored). Never throws: anything that is not an address is `invalid`.
 */
export function classifyAddress(address: string): AddressClass {
  const bare = address.replace(/^\[(.*)\]$/, '$1').split('%')[0]!;
  const family = isIP(bare);
  if (family === 4) {
    if (!ANY_V4.check(bare, 'ipv4')) return { kind: 'invalid', range: null };
    return firstMatch(V4, bare, 'ipv4') ?? { kind: 'public', range: null };
  }
  if (family === 6) return classifyIpv6(bare);
  return { kind: 'invalid', range: null };
}

function classifyIpv6(address: string): AddressClass {
  if (!ANY_V6.check(address, 'ipv6')) return { kind: 'invalid', range: null };
  // IPv4-mapped (::ffff:0:0/96): checked against the IPv4 table, which BlockList maps it to.
  if (MAPPED.check(address, 'ipv6')) return firstMatch(V4, address, 'ipv6') ?? { kind: 'public', range: null };
  if (NAT64_WKP.check(address, 'ipv6')) {
    const hit = firstMatch(NAT64, address, 'ipv6');
    // The range named is the IPv4 one the embedded address is in.
    return hit ? { kind: hit.kind, range: IPV4_RULES[NAT64.findIndex((r) => r.range === hit.range)]![1] } : { kind: 'public', range: null };
  }
  const special = firstMatch(V6, address, 'ipv6');
  if (special) return special;
  // Everything outside 2000::/3 is unassigned or special (IPv4-compatible ::/96 included).
  return GLOBAL_UNICAST.check(address, 'ipv6') ? { kind: 'public', range: null } : { kind: 'reserved', range: 'outside 2000::/3' };
}

/** Whether `address` is a literal IP (v4 or v6, brackets allowed), not a host name. */
export function isIpLiteral(host: string): boolean {
  return isIP(host.replace(/^\[(.*)\]$/, '$1')) !== 0;
}
