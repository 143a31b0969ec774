/**
 * The address classifier: a table of the ranges that matter (IPv4, IPv6, IPv4-mapped in
 * both spellings, NAT64), then properties against an independent model of the IPv4
 * table (integer arithmetic, no BlockList): every IPv4 address is classified as the model
 * says, and so are its mapped and NAT64 spellings; every IPv6 spelling of one address
 * agrees; nothing outside 2000::/3 is public; nothing that is not an address is public.
 */
import { isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyAddress, isIpLiteral, type AddressKind } from '../../../lib/net/address-class';

describe('classifyAddress', () => {
  it.each<[string, AddressKind]>([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::FFFF:7F00:0001', 'loopback'],
    ['0:0:0:0:0:ffff:7f00:1', 'loopback'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::127.0.0.1', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['::ffff:10.0.0.1', 'private'],
    ['64:ff9b::a01:203', 'private'],
    ['100.64.0.1', 'shared'],
    ['100.127.255.255', 'shared'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['ff02::1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.0.8', 'reserved'],
    ['::127.0.0.1', 'reserved'],
    ['2002:7f00:1::1', 'reserved'],
    ['2001::1', 'reserved'],
    ['64:ff9b:1::1', 'reserved'],
    ['fec0::1', 'reserved'],
    ['100::1', 'reserved'],
    ['4000::1', 'reserved'],
    ['192.0.2.1', 'documentation'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['2001:db8::1', 'documentation'],
    ['3fff::1', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['2001:2::1', 'benchmarking'],
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
    ['172.32.0.1', 'public'],
    ['100.128.0.1', 'public'],
    ['::ffff:8.8.8.8', 'public'],
    ['64:ff9b::808:808', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['2001:4860:4860::8888', 'public'],
    ['1.2.3', 'invalid'],
    ['01.2.3.4', 'invalid'],
    ['localhost', 'invalid'],
    ['', 'invalid'],
    ['::ffff:1.2.3.4.5', 'invalid'],
  ])('%s is %s', (address, kind) => {
    expect(classifyAddress(address).kind).toBe(kind);
  });

  it('names the range an address is in', () => {
    expect(classifyAddress('127.0.0.1')).toEqual({ kind: 'loopback', range: '127.0.0.0/8' });
    expect(classifyAddress('::ffff:7f00:1')).toEqual({ kind: 'loopback', range: '127.0.0.0/8' });
    expect(classifyAddress('64:ff9b::a9fe:a9fe')).toEqual({ kind: 'link-local', range: '169.254.0.0/16' });
    expect(classifyAddress('fd00::2')).toEqual({ kind: 'unique-local', range: 'fc00::/7' });
    expect(classifyAddress('8.8.8.8')).toEqual({ kind: 'public', range: null });
  });

  it('tells literal IPs from host names', () => {
    expect(isIpLiteral('127.0.0.1')).toBe(true);
    expect(isIpLiteral('[::1]')).toBe(true);
    expect(isIpLiteral('localhost')).toBe(false);
    expect(isIpLiteral('127.0.0.1.nip.io')).toBe(false);
  });
});

/** The IPv4 special-purpose table, restated as integer ranges (IANA, RFC 6890). */
const MODEL: [kind: AddressKind, first: number, prefix: number][] = (
  [
    ['unspecified', '0.0.0.0', 8],
    ['private', '10.0.0.0', 8],
    ['shared', '100.64.0.0', 10],
    ['loopback', '127.0.0.0', 8],
    ['link-local', '169.254.0.0', 16],
    ['private', '172.16.0.0', 12],
    ['reserved', '192.0.0.0', 24],
    ['documentation', '192.0.2.0', 24],
    ['reserved', '192.88.99.0', 24],
    ['private', '192.168.0.0', 16],
    ['benchmarking', '198.18.0.0', 15],
    ['documentation', '198.51.100.0', 24],
    ['documentation', '203.0.113.0', 24],
    ['multicast', '224.0.0.0', 4],
    ['broadcast', '255.255.255.255', 32],
    ['reserved', '240.0.0.0', 4],
  ] as const
).map(([kind, net, prefix]) => [kind, toInt(net), prefix]);

function toInt(v4: string): number {
  return v4.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}
function toV4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}
function modelKind(n: number): AddressKind {
  for (const [kind, first, prefix] of MODEL) {
    const size = 2 ** (32 - prefix);
    if (n >= first && n < first + size) return kind;
  }
  return 'public';
}
const hex16 = (n: number) => n.toString(16);
/** An IPv4 address as ::ffff:a.b.c.d, ::ffff:hhhh:hhhh, the full form, and NAT64. */
function spellings(n: number): string[] {
  const hi = hex16(n >>> 16);
  const lo = hex16(n & 0xffff);
  return [`::ffff:${toV4(n)}`, `::ffff:${hi}:${lo}`, `0:0:0:0:0:ffff:${hi}:${lo}`, `::FFFF:${hi.toUpperCase()}:${lo.toUpperCase()}`, `64:ff9b::${hi}:${lo}`, `64:ff9b::${toV4(n)}`];
}

/** Random addresses, weighted towards the special ranges (edges included). */
const ipv4Int = fc.oneof(
  fc.integer({ min: 0, max: 0xffffffff }),
  fc.constantFrom(...MODEL).chain(([, first, prefix]) => {
    const size = 2 ** (32 - prefix);
    return fc.oneof(fc.integer({ min: first, max: first + size - 1 }), fc.constantFrom(first, first + size - 1, Math.max(0, first - 1), Math.min(0xffffffff, first + size)));
  }),
);

describe('classifyAddress, properties', () => {
  it('classifies every IPv4 address as the model does', () => {
    fc.assert(
      fc.property(ipv4Int, (n) => {
        expect(classifyAddress(toV4(n)).kind).toBe(modelKind(n));
      }),
      { numRuns: 5000 },
    );
  });

  it('classifies the IPv4-mapped and NAT64 spellings of an address as the address', () => {
    fc.assert(
      fc.property(ipv4Int, (n) => {
        const kind = modelKind(n);
        for (const s of spellings(n)) expect(classifyAddress(s).kind, s).toBe(kind);
      }),
      { numRuns: 2000 },
    );
  });

  it('gives one answer for every spelling of an IPv6 address', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }), (groups) => {
        const full = groups.map(hex16).join(':');
        const padded = groups.map((g) => hex16(g).padStart(4, '0')).join(':');
        const compressed = full.replace(/(^|:)0(:0)+(:|$)/, '::');
        const kinds = [full, padded, padded.toUpperCase(), compressed].map((s) => classifyAddress(s).kind);
        expect(new Set(kinds).size).toBe(1);
        expect(kinds[0]).not.toBe('invalid');
      }),
      { numRuns: 2000 },
    );
  });

  it('never calls an IPv6 address outside 2000::/3 public, unless it carries a public IPv4 address', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }), (groups) => {
        const address = groups.map(hex16).join(':');
        const carriesV4 = (groups.slice(0, 6).join() === '0,0,0,0,0,65535') || (groups.slice(0, 6).join() === '100,65435,0,0,0,0');
        if (groups[0]! >> 13 !== 1 && !carriesV4) expect(classifyAddress(address).kind).not.toBe('public');
      }),
      { numRuns: 5000 },
    );
  });

  it('never calls a string that is not an IP address public', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[0-9a-f:.%]{1,45}$/)), (s) => {
        if (isIP(s.replace(/^\[(.*)\]$/, '$1').split('%')[0]!) === 0) expect(classifyAddress(s).kind).toBe('invalid');
      }),
      { numRuns: 5000 },
    );
  });
});
