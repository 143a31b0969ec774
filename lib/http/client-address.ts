/**
 * The address of the client a request is from. The socket's address, unless that socket is a
 * trusted reverse proxy (DROPSCOPE_TRUSTED_PROXIES): then X-Forwarded-For is read from the
 * nearest hop back, and the first address that is not itself a trusted proxy is the client.
 * A client can prepend anything to the header; only what trusted proxies appended counts.
 */
import { isIP } from 'node:net';
import type { OutboundAllowList } from '../net/allow-list';

export function clientAddress(socketAddress: string, forwardedFor: string | string[] | undefined, trusted: OutboundAllowList | null): string {
  if (!trusted || forwardedFor === undefined || !trusted.allowsAddress(socketAddress)) return socketAddress;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
    .split(',')
    .map((h) => h.trim().replace(/^\[(.*)\]$/, '$1'))
    .filter((h) => h !== '');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    // Garbage in the header stops the walk: the proxy that appended it saw this client.
    if (isIP(hop) === 0) return socketAddress;
    if (!trusted.allowsAddress(hop)) return hop;
  }
  return hops[0] ?? socketAddress;
}
