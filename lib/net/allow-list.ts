/**
 * DROPSCOPE_OUTBOUND_ALLOW: the internal destinations an operator lets webhooks reach, as a
 * comma-separated list of CIDRs (`10.0.0.0/8`, `127.0.0.1/32`, `fd00::/8`; a bare address
 * means that one address), host names (`hooks.internal`) and host-name suffixes
 * (`*.svc.cluster.local`: any name below it, not the suffix itself). A host name entry
 * lets that name resolve to anything; a CIDR lets any name (or literal) resolve into it.
 * Empty by default: nothing internal is reachable.
 */
import { BlockList, isIP } from 'node:net';

export class AllowListError extends Error {
  readonly code = 'OUTBOUND_ERR_ALLOW_LIST';
  constructor(message: string) {
    super(message);
    this.name = 'AllowListError';
  }
}

export interface OutboundAllowList {
  /** The entries as written (trimmed), for messages and logs. */
  readonly entries: readonly string[];
  /** Whether `address` (an IP as dns.lookup gives it) is inside an allowed CIDR. */
  allowsAddress(address: string): boolean;
  /** Whether the host name `host` (as a URL gives it) is allowed by name. */
  allowsHost(host: string): boolean;
}

const LABEL = '[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?';
const HOST_NAME = new RegExp(`^(?:\\*\\.)?${LABEL}(?:\\.${LABEL})*$`);

/** A host name as compared: lower case, without the root's trailing dot. */
export function normalizeHostName(host: string): string {
  return host.toLowerCase().replace(/\.$/, '');
}

/**
 * Parse the variable's value. Throws AllowListError naming the first bad entry and what
 * was expected; an empty value (or only commas and spaces) allows nothing.
 */
export function parseAllowList(text: string): OutboundAllowList {
  const entries = text
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  // One list per family: BlockList compares an IPv4 address with an IPv6 rule as
  // ::ffff:a.b.c.d, so `::/0` would otherwise allow all of IPv4 too.
  const v4 = new BlockList();
  const v6 = new BlockList();
  const names = new Set<string>();
  const suffixes: string[] = [];
  for (const entry of entries) {
    const cidr = parseCidr(entry);
    if (cidr) {
      (cidr.family === 4 ? v4 : v6).addSubnet(cidr.network, cidr.prefix, cidr.family === 4 ? 'ipv4' : 'ipv6');
      continue;
    }
    const name = normalizeHostName(entry);
    if (entry.includes('/') || isIP(entry.replace(/^\[(.*)\]$/, '$1')) || /^[0-9.]+$/.test(name) || name.length > 253 || !HOST_NAME.test(name)) {
      throw new AllowListError(`${JSON.stringify(entry)} is neither a CIDR (10.0.0.0/8, 127.0.0.1/32, fd00::/8, or one address) nor a host name (hooks.internal, *.svc.cluster.local)`);
    }
    if (name.startsWith('*.')) suffixes.push(name.slice(1));
    else names.add(name);
  }
  return {
    entries,
    allowsAddress(address) {
      const bare = address.replace(/^\[(.*)\]$/, '$1').split('%')[0]!;
      const family = isIP(bare);
      if (family === 4) return v4.check(bare, 'ipv4');
      // An IPv4-mapped IPv6 address is allowed by its IPv4 CIDR (BlockList maps it).
      return family === 6 && (v6.check(bare, 'ipv6') || v4.check(bare, 'ipv6'));
    },
    allowsHost(host) {
      const name = normalizeHostName(host);
      return names.has(name) || suffixes.some((s) => name.endsWith(s));
    },
  };
}

/** `a.b.c.d/n`, `x::y/n`, or a bare address; null if `entry` does not look like one; throws if it does but is wrong. */
function parseCidr(entry: string): { network: string; prefix: number; family: 4 | 6 } | null {
  const [rawNet, rawPrefix, extra] = entry.split('/');
  const network = rawNet!.replace(/^\[(.*)\]$/, '$1');
  const family = isIP(network);
  if (family === 0) return null;
  const max = family === 4 ? 32 : 128;
  if (extra !== undefined || (rawPrefix !== undefined && !/^\d{1,3}$/.test(rawPrefix))) {
    throw new AllowListError(`${JSON.stringify(entry)} is not a CIDR: expected ${network}/0 to ${network}/${max}`);
  }
  const prefix = rawPrefix === undefined ? max : Number(rawPrefix);
  if (prefix > max) throw new AllowListError(`${JSON.stringify(entry)} is not a CIDR: an IPv${family} prefix is 0 to ${max}`);
  return { network, prefix, family: family as 4 | 6 };
}

/** Allows nothing. */
export const EMPTY_ALLOW_LIST: OutboundAllowList = parseAllowList('');
