/** DROPSCOPE_OUTBOUND_ALLOW: what it accepts, what it refuses (naming the entry), what it allows. */
import { describe, expect, it } from 'vitest';
import { AllowListError, parseAllowList } from '../../../lib/net/allow-list';
import { parseServerConfig } from '../../../lib/config/server-env';

describe('parseAllowList', () => {
  it('allows nothing when empty', () => {
    for (const text of ['', ' ', ',', ' , ']) {
      const allow = parseAllowList(text);
      expect(allow.entries).toEqual([]);
      expect(allow.allowsAddress('127.0.0.1')).toBe(false);
      expect(allow.allowsHost('localhost')).toBe(false);
    }
  });

  it('allows addresses inside its CIDRs, in either family, and one address for a bare one', () => {
    const allow = parseAllowList('10.0.0.0/8, 127.0.0.1/32,192.168.1.7, fd00::/8, [::1]');
    expect(allow.entries).toEqual(['10.0.0.0/8', '127.0.0.1/32', '192.168.1.7', 'fd00::/8', '[::1]']);
    for (const a of ['10.0.0.1', '10.255.255.255', '127.0.0.1', '192.168.1.7', 'fd00::2', 'fdff::1', '::1']) expect(allow.allowsAddress(a), a).toBe(true);
    for (const a of ['11.0.0.1', '127.0.0.2', '192.168.1.8', 'fe80::1', '::2', '169.254.169.254']) expect(allow.allowsAddress(a), a).toBe(false);
  });

  it('allows an IPv4-mapped IPv6 address by its IPv4 CIDR, in both spellings', () => {
    const allow = parseAllowList('127.0.0.1/32');
    expect(allow.allowsAddress('::ffff:127.0.0.1')).toBe(true);
    expect(allow.allowsAddress('::ffff:7f00:1')).toBe(true);
    expect(allow.allowsAddress('::ffff:7f00:2')).toBe(false);
    // NAT64 is another network's address, not this one.
    expect(allow.allowsAddress('64:ff9b::7f00:1')).toBe(false);
  });

  it('keeps IPv6 CIDRs to IPv6: ::/0 does not allow IPv4', () => {
    const allow = parseAllowList('::/0');
    expect(allow.allowsAddress('fd00::1')).toBe(true);
    expect(allow.allowsAddress('10.0.0.1')).toBe(false);
  });

  it('allows host names exactly, and below a *. suffix', () => {
    const allow = parseAllowList('hooks.internal, LOCALHOST., *.svc.cluster.local');
    expect(allow.allowsHost('hooks.internal')).toBe(true);
    expect(allow.allowsHost('HOOKS.internal.')).toBe(true);
    expect(allow.allowsHost('localhost')).toBe(true);
    expect(allow.allowsHost('a.hooks.internal')).toBe(false);
    expect(allow.allowsHost('receiver.ops.svc.cluster.local')).toBe(true);
    expect(allow.allowsHost('svc.cluster.local')).toBe(false);
    expect(allow.allowsHost('evilsvc.cluster.local')).toBe(false);
    expect(allow.allowsAddress('127.0.0.1')).toBe(false);
  });

  it.each([
    ['10.0.0.0/33', /"10.0.0.0\/33" is not a CIDR: an IPv4 prefix is 0 to 32/],
    ['fd00::/129', /"fd00::\/129" is not a CIDR: an IPv6 prefix is 0 to 128/],
    ['10.0.0.0/8/8', /"10.0.0.0\/8\/8" is not a CIDR/],
    ['10.0.0.0/x', /"10.0.0.0\/x" is not a CIDR/],
    ['10.0.0/8', /"10.0.0\/8" is neither a CIDR .* nor a host name/],
    ['300.1.1.1', /"300.1.1.1" is neither a CIDR/],
    ['http://hooks.internal', /"http:\/\/hooks.internal" is neither a CIDR/],
    ['hooks internal', /"hooks internal" is neither/],
    ['*', /"\*" is neither/],
    ['a.*.b', /"a.\*.b" is neither/],
  ])('refuses %s, naming it', (entry, message) => {
    expect(() => parseAllowList(`127.0.0.1/32, ${entry}`)).toThrow(AllowListError);
    expect(() => parseAllowList(`127.0.0.1/32, ${entry}`)).toThrow(message);
  });

  it('stops the server with the variable and the entry named', () => {
    expect(() => parseServerConfig({ DROPSCOPE_OUTBOUND_ALLOW: '127.0.0.1/32,10.0.0.0/33' })).toThrow(
      /invalid configuration: DROPSCOPE_OUTBOUND_ALLOW: "10.0.0.0\/33" is not a CIDR: an IPv4 prefix is 0 to 32/,
    );
    expect(parseServerConfig({}).DROPSCOPE_OUTBOUND_ALLOW.entries).toEqual([]);
    expect(parseServerConfig({ DROPSCOPE_OUTBOUND_ALLOW: '127.0.0.1/32' }).DROPSCOPE_OUTBOUND_ALLOW.allowsAddress('127.0.0.1')).toBe(true);
  });
});
