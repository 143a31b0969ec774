/**
 * Who wrote a refusal: the proxy or layer its headers name (from the sign table that also
 * names layers in a 101), a proxy's own well-known error page in its body excerpt, or
 * neither (the origin's own answer). lib/analysis/refusals.ts decides the class from this.
 */
import type { RefusalGroup } from './refusals';
import { softwareIn } from './software-signs';

export interface Identity {
  name: string;
  /** The header as shown: "Server: nginx/1.22.1". */
  shown: string;
}

export function header(g: RefusalGroup, name: string): string | null {
  return g.headers?.[name] ?? (name === 'server' ? g.server : null);
}

/**
 * Who wrote the answer, from the same signs that name a layer in a 101
 * (lib/analysis/software-signs.ts), in their order after X-Squid-Error. Origins' own
 * servers (role 'library': Kestrel, gunicorn, Jetty, Tomcat; Node sets none) are left out,
 * so a 5xx naming only them counts as the origin's. Any other Via: some proxy forwarded
 * the answer, without saying which software.
 */
export function identify(g: RefusalGroup): Identity | null {
  const headers: Record<string, string> = { ...(g.server ? { server: g.server } : {}), ...(g.headers ?? {}) };
  const squid = headers['x-squid-error'];
  if (squid) return { name: 'squid', shown: `${display('x-squid-error')}: ${squid}` };
  const sign = softwareIn(headers).find((x) => x.sign.role !== 'library');
  if (sign) return { name: PROXY_NAME[sign.sign.software] ?? sign.sign.software, shown: `${display(sign.sign.header)}: ${sign.value}` };
  // HAProxy sends no Server of its own; one configured to say so is still HAProxy.
  if (/haproxy/i.test(headers.server ?? '')) return { name: 'HAProxy', shown: `Server: ${headers.server}` };
  if (headers.via) return { name: 'a proxy', shown: `Via: ${headers.via}` };
  return null;
}

/** Names of the sign table that the fixes below know by another: OpenResty is nginx, Istio is Envoy. */
const PROXY_NAME: Record<string, string> = { OpenResty: 'nginx', Istio: 'Envoy' };

const display = (h: string) => (h === 'cf-ray' ? 'CF-RAY' : h.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase()));

/**
 * Proxies' own error pages, as the body excerpt shows them. `upstream`: the page itself
 * says the proxy could not get an answer from its upstream (HAProxy's default errorfiles,
 * Envoy's local replies, Apache's proxy errors, Varnish's and tinyproxy's pages); the
 * others only show who wrote it (nginx's and squid's built-in pages, for any status).
 */
const PROXY_PAGES: readonly { name: string; pattern: RegExp; upstream: boolean }[] = [
  { name: 'HAProxy', pattern: /No server is available to handle this request|The server returned an invalid or incomplete response|The server didn't respond in time/i, upstream: true },
  { name: 'Envoy', pattern: /no healthy upstream|upstream connect error or disconnect\/reset before headers|upstream request timeout/i, upstream: true },
  { name: 'Apache', pattern: /Proxy Error|The proxy server (?:received an invalid response|could not handle the request)|temporarily unable to service your request due to maintenance downtime or capacity problems/i, upstream: true },
  { name: 'Varnish', pattern: /Backend fetch failed/i, upstream: true },
  { name: 'tinyproxy', pattern: /unable to connect to the remote web server/i, upstream: true },
  { name: 'Cloudflare', pattern: /Web server is down|Origin is unreachable/i, upstream: true },
  { name: 'HAProxy', pattern: /Request forbidden by administrative rules/i, upstream: false },
  { name: 'Varnish', pattern: /Guru Meditation/i, upstream: false },
  { name: 'squid', pattern: /The requested URL could not be retrieved|\bsquid\b/i, upstream: false },
  { name: 'tinyproxy', pattern: /\btinyproxy\b/i, upstream: false },
  { name: 'Cloudflare', pattern: /\bcloudflare\b/i, upstream: false },
  { name: 'nginx', pattern: /\bnginx\b|\bopenresty\b/i, upstream: false },
];

export interface Page extends Identity {
  upstream: boolean;
}

export function proxyPage(excerpt: string | null | undefined): Page | null {
  if (!excerpt) return null;
  const hit = PROXY_PAGES.find((p) => p.pattern.test(excerpt));
  return hit ? { name: hit.name, shown: `body "${excerpt}"`, upstream: hit.upstream } : null;
}

/**
 * A body that says nothing but the status (what nginx, ALB, Traefik and Caddy write for
 * their own 5xx): no words of the origin's to tell it apart from the proxy's.
 */
export function isBareStatus(excerpt: string, identity: Identity | null): boolean {
  const own = new Set((identity?.shown.split(':').slice(1).join(':') ?? '').toLowerCase().match(/[a-z]+/g) ?? []);
  const words = excerpt.toLowerCase().match(/[a-z]+/g) ?? [];
  return words.every((w) => STATUS_WORDS.has(w) || own.has(w));
}
const STATUS_WORDS = new Set(['http', 'error', 'bad', 'gateway', 'service', 'temporarily', 'unavailable', 'time', 'out', 'timeout', 'internal', 'server', 'the', 'nginx', 'openresty']);
