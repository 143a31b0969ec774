import { describe, expect, it } from 'vitest';
import { clientAddress } from '../../../lib/http/client-address';
import { parseAllowList } from '../../../lib/net/allow-list';

describe('clientAddress', () => {
  const proxies = parseAllowList('127.0.0.1/32, 10.0.0.0/8, fd00::/8');

  it('is the socket address when no proxy is trusted, or the socket is not one', () => {
    expect(clientAddress('203.0.113.9', '198.51.100.1', null)).toBe('203.0.113.9');
    expect(clientAddress('203.0.113.9', '198.51.100.1', proxies)).toBe('203.0.113.9');
    expect(clientAddress('127.0.0.1', undefined, proxies)).toBe('127.0.0.1');
  });

  it('takes the nearest hop a trusted proxy appended, never what the client wrote before it', () => {
    // The client claims 1.2.3.4; nginx (127.0.0.1) appended the address it really saw.
    expect(clientAddress('127.0.0.1', '1.2.3.4, 198.51.100.7', proxies)).toBe('198.51.100.7');
    // Two trusted proxies in a row: the CDN edge's view is behind the load balancer's.
    expect(clientAddress('127.0.0.1', '198.51.100.7, 10.1.2.3', proxies)).toBe('198.51.100.7');
    expect(clientAddress('127.0.0.1', ['198.51.100.7', '10.1.2.3'], proxies)).toBe('198.51.100.7');
    expect(clientAddress('fd00::1', '2001:db8::5', proxies)).toBe('2001:db8::5');
  });

  it('stops at garbage, and falls back to the first hop when every hop is a proxy', () => {
    expect(clientAddress('127.0.0.1', 'not-an-ip, 198.51.100.7', proxies)).toBe('198.51.100.7');
    expect(clientAddress('127.0.0.1', '198.51.100.7, not-an-ip', proxies)).toBe('127.0.0.1');
    expect(clientAddress('127.0.0.1', '10.0.0.1, 10.0.0.2', proxies)).toBe('10.0.0.1');
  });
});
