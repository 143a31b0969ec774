/**
 * The guard's decisions: literal URLs checked without a resolver, names resolved and every
 * address checked (one internal address is enough to refuse), the allow list by CIDR and
 * by name, and messages that say what the address is and how to allow it.
 */
import { describe, expect, it } from 'vitest';
import { EMPTY_ALLOW_LIST, parseAllowList } from '../../../lib/net/allow-list';
import { checkOutbound, literalRefusal, OutboundRefusedError, type Lookup } from '../../../lib/net/outbound-guard';

const resolvesTo =
  (...addresses: string[]): Lookup =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

describe('literalRefusal', () => {
  it.each([
    ['http://127.0.0.1:5432/', '127.0.0.1 is a loopback address (127.0.0.0/8); allow it with DROPSCOPE_OUTBOUND_ALLOW'],
    ['http://[::1]:8080/x', '::1 is a loopback address (::1/128); allow it with DROPSCOPE_OUTBOUND_ALLOW'],
    ['http://169.254.169.254/latest/meta-data/', '169.254.169.254 is a link-local address (169.254.0.0/16); allow it with DROPSCOPE_OUTBOUND_ALLOW'],
    ['https://10.1.2.3/', '10.1.2.3 is a private (RFC 1918) address (10.0.0.0/8); allow it with DROPSCOPE_OUTBOUND_ALLOW'],
    // The URL parser writes these as ::ffff:7f00:1 and 127.0.0.1 before anything sees them.
    ['http://[::ffff:127.0.0.1]/', '::ffff:7f00:1 is a loopback address (127.0.0.0/8); allow it with DROPSCOPE_OUTBOUND_ALLOW'],
    ['http://[::ffff:7f00:1]/', '::ffff:7f00:1 is a loopback address (127.0.0.0/8); allow it with DROPSCOPE_OUTBOUND_ALLOW'],
    ['http://2130706433/', '127.0.0.1 is a loopback address (127.0.0.0/8); allow it with DROPSCOPE_OUTBOUND_ALLOW'],
    ['http://0x7f.1/', '127.0.0.1 is a loopback address (127.0.0.0/8); allow it with DROPSCOPE_OUTBOUND_ALLOW'],
    ['http://0.0.0.0:3000/', '0.0.0.0 is an unspecified ("this host") address (0.0.0.0/8); allow it with DROPSCOPE_OUTBOUND_ALLOW'],
    ['http://100.64.0.1/', '100.64.0.1 is a carrier-grade NAT (RFC 6598 shared) address (100.64.0.0/10); allow it with DROPSCOPE_OUTBOUND_ALLOW'],
    ['http://[fd00::2]/', 'fd00::2 is a unique-local (private IPv6) address (fc00::/7); allow it with DROPSCOPE_OUTBOUND_ALLOW'],
    ['http://[64:ff9b::7f00:1]/', '64:ff9b::7f00:1 is a loopback address (127.0.0.0/8); allow it with DROPSCOPE_OUTBOUND_ALLOW'],
    ['http://[::127.0.0.1]/', '::7f00:1 is a reserved address; allow it with DROPSCOPE_OUTBOUND_ALLOW'],
  ])('refuses %s', (url, message) => {
    const refused = literalRefusal(new URL(url), EMPTY_ALLOW_LIST);
    expect(refused).toBeInstanceOf(OutboundRefusedError);
    expect(refused).toMatchObject({ code: 'OUTBOUND_ERR_REFUSED', message });
  });

  it('lets public literals, allowed literals and every host name through (names are checked when sent)', () => {
    expect(literalRefusal(new URL('https://8.8.8.8/'), EMPTY_ALLOW_LIST)).toBeNull();
    expect(literalRefusal(new URL('https://[2606:4700::1111]/'), EMPTY_ALLOW_LIST)).toBeNull();
    expect(literalRefusal(new URL('http://localhost:5432/'), EMPTY_ALLOW_LIST)).toBeNull();
    const allow = parseAllowList('127.0.0.1/32, ::1');
    expect(literalRefusal(new URL('http://127.0.0.1:5432/'), allow)).toBeNull();
    expect(literalRefusal(new URL('http://[::ffff:127.0.0.1]/'), allow)).toBeNull();
    expect(literalRefusal(new URL('http://[::1]/'), allow)).toBeNull();
    expect(literalRefusal(new URL('http://127.0.0.2/'), allow)?.message).toMatch(/^127\.0\.0\.2 is a loopback address/);
  });
});

describe('checkOutbound', () => {
  it('refuses a name that resolves to loopback, through the system resolver (/etc/hosts)', async () => {
    const err = await checkOutbound(new URL('http://localhost:5432/'), EMPTY_ALLOW_LIST).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutboundRefusedError);
    expect((err as Error).message).toMatch(/^localhost resolves to (127\.0\.0\.1|::1), a loopback address \((127\.0\.0\.0\/8|::1\/128)\); allow it with DROPSCOPE_OUTBOUND_ALLOW$/);
  });

  it('refuses when any address of a name is internal, naming that one', async () => {
    const err = await checkOutbound(new URL('https://mixed.example/'), EMPTY_ALLOW_LIST, resolvesTo('8.8.8.8', '10.0.0.5')).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'OUTBOUND_ERR_REFUSED', host: 'mixed.example', address: '10.0.0.5', kind: 'private' });
    expect((err as Error).message).toBe('mixed.example resolves to 10.0.0.5, a private (RFC 1918) address (10.0.0.0/8); allow it with DROPSCOPE_OUTBOUND_ALLOW');
    await expect(checkOutbound(new URL('https://meta.example/'), EMPTY_ALLOW_LIST, resolvesTo('::ffff:169.254.169.254'))).rejects.toThrow(
      'meta.example resolves to ::ffff:169.254.169.254, a link-local address (169.254.0.0/16)',
    );
  });

  it('connects to the first address when all are public, and says it is not internal', async () => {
    await expect(checkOutbound(new URL('https://hooks.example/x'), EMPTY_ALLOW_LIST, resolvesTo('2606:4700::1111', '1.1.1.1'))).resolves.toEqual({
      host: 'hooks.example',
      address: '2606:4700::1111',
      family: 6,
      internal: false,
    });
    await expect(checkOutbound(new URL('https://8.8.8.8/'), EMPTY_ALLOW_LIST, resolvesTo())).resolves.toMatchObject({ address: '8.8.8.8', family: 4, internal: false });
  });

  it('lets the allow list through, by CIDR and by name, and marks the target internal', async () => {
    await expect(checkOutbound(new URL('http://receiver.ops/'), parseAllowList('10.0.0.0/8'), resolvesTo('10.0.0.5'))).resolves.toMatchObject({ address: '10.0.0.5', internal: true });
    await expect(checkOutbound(new URL('http://receiver.ops/'), parseAllowList('receiver.ops'), resolvesTo('127.0.0.1', '::1'))).resolves.toMatchObject({ address: '127.0.0.1', internal: true });
    // A CIDR allows those addresses only.
    await expect(checkOutbound(new URL('http://receiver.ops/'), parseAllowList('10.0.0.0/8'), resolvesTo('10.0.0.5', '127.0.0.1'))).rejects.toThrow(/127\.0\.0\.1, a loopback address/);
  });

  it('passes the resolver\'s failure on, and a name without addresses is not found', async () => {
    const notFound: Lookup = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.invalid'), { code: 'ENOTFOUND' });
    };
    await expect(checkOutbound(new URL('http://nowhere.invalid/'), EMPTY_ALLOW_LIST, notFound)).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(checkOutbound(new URL('http://empty.invalid/'), EMPTY_ALLOW_LIST, resolvesTo())).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });
});
