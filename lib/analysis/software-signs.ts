/**
 * How layers name themselves in responses: the upgrade response (101 or an error in its
 * place) a target's front sends, and the CONNECT reply or Via header a forward proxy adds.
 * Pure data plus one lookup; the catalogue ties its entries to these names through
 * `Layer.software`, so a layer seen in the headers can be named even when N is not its
 * default.
 *
 * Values were checked against real responses and the products' own code where we could
 * (the comment above each group says where). Some layers send nothing by default and have
 * no sign here: HAProxy (no Server header, not even on its own error pages), Traefik (no
 * Server or Via), Node's `ws`, Pound, Privoxy, 3proxy and dante (a SOCKS server has no
 * HTTP headers at all).
 */
import type { Layer } from './catalogue';

export interface SoftwareSign {
  /** Normalised product name: 'nginx', 'HAProxy', 'Envoy', 'Cloudflare', 'AWS ALB', 'squid', ... */
  software: string;
  /** Lower-case header name: server, via, x-cache, cf-ray, x-amz-cf-id, x-served-by, ... */
  header: string;
  /** Matched case-insensitively against the header's value; capture group 1, when present, is the version. */
  pattern: RegExp;
  /** Where this header comes from: a layer in front of the target (reverse proxy, CDN, LB, platform) or a forward proxy (its CONNECT reply, or a Via it adds). 'either' when the software is used as both (nginx, squid as reverse proxy) */
  side: 'target-front' | 'proxy' | 'either';
  role: Layer['role'];
}

// Every pattern carries the `i` flag and never `g` (a global RegExp keeps state between
// calls); the catalogue test checks both.
export const SOFTWARE_SIGNS: readonly SoftwareSign[] = [
  // Web servers and reverse proxies that put their name in Server.
  // nginx: "Server: nginx/1.22.1" (bare "nginx" with server_tokens off).
  { software: 'nginx', header: 'server', pattern: /^nginx(?:\/(\d[\w.]*))?/i, side: 'either', role: 'reverse-proxy' },
  { software: 'OpenResty', header: 'server', pattern: /^openresty(?:\/(\d[\w.]*))?/i, side: 'target-front', role: 'reverse-proxy' },
  // "Apache/2.4.57 (Debian)"; the lookahead keeps Tomcat's "Apache-Coyote/1.1" out.
  { software: 'Apache', header: 'server', pattern: /^Apache(?:\/(\d[\w.]*))?(?![\w-])/i, side: 'either', role: 'reverse-proxy' },
  { software: 'Microsoft-IIS', header: 'server', pattern: /^Microsoft-IIS(?:\/(\d[\w.]*))?/i, side: 'target-front', role: 'reverse-proxy' },
  // Envoy and Istio's build of it: "server: envoy", "server: istio-envoy"; Envoy also adds
  // x-envoy-upstream-service-time to proxied responses.
  { software: 'Envoy', header: 'server', pattern: /^(?:istio-)?envoy$/i, side: 'target-front', role: 'reverse-proxy' },
  { software: 'Envoy', header: 'x-envoy-upstream-service-time', pattern: /^\d+$/i, side: 'target-front', role: 'reverse-proxy' },
  { software: 'Istio', header: 'server', pattern: /^istio-envoy$/i, side: 'target-front', role: 'reverse-proxy' },
  { software: 'Caddy', header: 'server', pattern: /^Caddy$/i, side: 'target-front', role: 'reverse-proxy' },
  // Kong: "Server: kong/3.4.2" on its own responses, "Via: kong/3.4.2" (3.6+: "1.1 kong/3.6.1")
  // and x-kong-* latency and request-id headers on proxied ones.
  { software: 'Kong', header: 'server', pattern: /^kong\/(\d[\w.]*)/i, side: 'target-front', role: 'gateway' },
  { software: 'Kong', header: 'via', pattern: /\bkong\/(\d[\w.]*)/i, side: 'target-front', role: 'gateway' },
  { software: 'Kong', header: 'x-kong-request-id', pattern: /./i, side: 'target-front', role: 'gateway' },
  { software: 'Kong', header: 'x-kong-upstream-latency', pattern: /^\d+$/i, side: 'target-front', role: 'gateway' },
  { software: 'Kong', header: 'x-kong-proxy-latency', pattern: /^\d+$/i, side: 'target-front', role: 'gateway' },
  // Varnish 6+: "Via: 1.1 cache-host (Varnish/7.1)", and X-Varnish with one or two xids.
  { software: 'Varnish', header: 'via', pattern: /\(Varnish\/(\d[\w.]*)\)/i, side: 'target-front', role: 'reverse-proxy' },
  { software: 'Varnish', header: 'x-varnish', pattern: /^\d+(?: \d+)?$/i, side: 'target-front', role: 'reverse-proxy' },

  // Application servers that answer the upgrade themselves (the target, not a layer in front).
  { software: 'NGINX Unit', header: 'server', pattern: /^Unit\/(\d[\w.]*)/i, side: 'target-front', role: 'library' },
  { software: 'Tomcat', header: 'server', pattern: /^Apache-Coyote\/(\d[\w.]*)/i, side: 'target-front', role: 'library' },
  // "Jetty(9.4.51.v20230217)", "Jetty(12.0.5)".
  { software: 'Jetty', header: 'server', pattern: /^Jetty\(([^)]*)\)/i, side: 'target-front', role: 'library' },
  { software: 'Kestrel', header: 'server', pattern: /^Kestrel$/i, side: 'target-front', role: 'library' },
  { software: 'gunicorn', header: 'server', pattern: /^gunicorn(?:\/(\d[\w.]*))?$/i, side: 'target-front', role: 'library' },
  { software: 'uvicorn', header: 'server', pattern: /^uvicorn$/i, side: 'target-front', role: 'library' },
  // "Werkzeug/2.3.7 Python/3.11.4".
  { software: 'Werkzeug', header: 'server', pattern: /^Werkzeug\/(\d[\w.]*)/i, side: 'target-front', role: 'library' },
  // Python websockets: "Python/3.12 websockets/13.1"; the version is the library's.
  { software: 'Python websockets', header: 'server', pattern: /\bwebsockets\/(\d[\w.]*)/i, side: 'target-front', role: 'library' },
  // Cowboy (Erlang; Phoenix before Cowboy 2, and Heroku's legacy router) sends "Server: Cowboy".
  { software: 'Cowboy', header: 'server', pattern: /^Cowboy$/i, side: 'target-front', role: 'library' },

  // CDNs.
  { software: 'Cloudflare', header: 'server', pattern: /^cloudflare$/i, side: 'target-front', role: 'cdn' },
  { software: 'Cloudflare', header: 'cf-ray', pattern: /^[0-9a-f]+(?:-[A-Z]{3})?$/i, side: 'target-front', role: 'cdn' },
  // "Via: 1.1 ce2b03db99d40501c5695fce9dfbb777.cloudfront.net (CloudFront)",
  // "X-Cache: Miss from cloudfront", X-Amz-Cf-Id and X-Amz-Cf-Pop.
  { software: 'CloudFront', header: 'via', pattern: /\.cloudfront\.net \(CloudFront\)/i, side: 'target-front', role: 'cdn' },
  { software: 'CloudFront', header: 'x-amz-cf-id', pattern: /./i, side: 'target-front', role: 'cdn' },
  { software: 'CloudFront', header: 'x-amz-cf-pop', pattern: /./i, side: 'target-front', role: 'cdn' },
  { software: 'CloudFront', header: 'x-cache', pattern: /\bfrom cloudfront\b/i, side: 'target-front', role: 'cdn' },
  // Fastly: "X-Served-By: cache-fra-etou8220046-FRA", X-Fastly-Request-ID, "Via: 1.1 varnish"
  // (Fastly's Varnish names no host and no version, unlike a self-run Varnish above).
  { software: 'Fastly', header: 'x-served-by', pattern: /\bcache-[a-z0-9-]+/i, side: 'target-front', role: 'cdn' },
  { software: 'Fastly', header: 'x-fastly-request-id', pattern: /./i, side: 'target-front', role: 'cdn' },
  { software: 'Fastly', header: 'via', pattern: /\b\d\.\d varnish\b(?! \()/i, side: 'target-front', role: 'cdn' },
  { software: 'Akamai', header: 'server', pattern: /^AkamaiGHost$/i, side: 'target-front', role: 'cdn' },
  { software: 'Akamai', header: 'akamai-grn', pattern: /./i, side: 'target-front', role: 'cdn' },
  // Azure Front Door (and the Azure CDN it replaced) stamps every response with X-Azure-Ref.
  { software: 'Azure Front Door', header: 'x-azure-ref', pattern: /./i, side: 'target-front', role: 'cdn' },
  { software: 'Azure Front Door', header: 'x-msedge-ref', pattern: /./i, side: 'target-front', role: 'cdn' },

  // Load balancers and gateways.
  // The ALB names itself only on responses it makes itself (a 502 or 503 in place of the 101).
  { software: 'AWS ALB', header: 'server', pattern: /^awselb\/(\d[\w.]*)/i, side: 'target-front', role: 'load-balancer' },
  { software: 'AWS API Gateway', header: 'x-amz-apigw-id', pattern: /./i, side: 'target-front', role: 'gateway' },
  { software: 'AWS API Gateway', header: 'x-amzn-requestid', pattern: /./i, side: 'target-front', role: 'gateway' },
  { software: 'AmazonS3', header: 'server', pattern: /^AmazonS3$/i, side: 'target-front', role: 'platform' },
  // Google's front ends (external Application Load Balancer, Cloud Run, App Engine).
  { software: 'Google Frontend', header: 'server', pattern: /^Google Frontend$/i, side: 'target-front', role: 'load-balancer' },
  { software: 'Google Frontend', header: 'via', pattern: /\b1\.1 google\b/i, side: 'target-front', role: 'load-balancer' },
  // "Server: Microsoft-Azure-Application-Gateway/v2", on the gateway's own responses.
  { software: 'Azure Application Gateway', header: 'server', pattern: /^Microsoft-Azure-Application-Gateway(?:\/(v\d+))?/i, side: 'target-front', role: 'load-balancer' },

  // Platforms (PaaS routers).
  // App Service's front end (ARR) sets its affinity cookie unless the app turns it off.
  { software: 'Azure App Service', header: 'set-cookie', pattern: /\bARRAffinity(?:SameSite)?=/i, side: 'target-front', role: 'platform' },
  // Heroku: "Via: 1.1 vegur" (legacy router), "Via: 2.0 heroku-router" (Router 2.0).
  { software: 'Heroku', header: 'via', pattern: /\b(?:vegur|heroku-router)\b/i, side: 'target-front', role: 'platform' },
  // Fly.io: "Server: Fly/a40a59d0 (2022-05-06)" (the version is the proxy's build), "Via: 1.1 fly.io",
  // Fly-Request-Id (https://fly.io/docs/networking/request-headers/).
  { software: 'Fly.io', header: 'server', pattern: /^Fly\/([0-9a-f]+)/i, side: 'target-front', role: 'platform' },
  { software: 'Fly.io', header: 'via', pattern: /\bfly\.io\b/i, side: 'target-front', role: 'platform' },
  { software: 'Fly.io', header: 'fly-request-id', pattern: /./i, side: 'target-front', role: 'platform' },
  { software: 'Vercel', header: 'server', pattern: /^Vercel$/i, side: 'target-front', role: 'platform' },
  { software: 'Vercel', header: 'x-vercel-id', pattern: /./i, side: 'target-front', role: 'platform' },
  { software: 'Netlify', header: 'server', pattern: /^Netlify$/i, side: 'target-front', role: 'platform' },
  { software: 'Netlify', header: 'x-nf-request-id', pattern: /./i, side: 'target-front', role: 'platform' },
  // Render: X-Render-Origin-Server names the app's own server (its value is not Render's).
  { software: 'Render', header: 'x-render-origin-server', pattern: /./i, side: 'target-front', role: 'platform' },
  { software: 'Render', header: 'rndr-id', pattern: /./i, side: 'target-front', role: 'platform' },
  // Railway: "Server: railway-edge" (older edge: "railway-hikari"), "X-Railway-Edge: railway/us-west2".
  { software: 'Railway', header: 'server', pattern: /^railway-(?:edge|hikari)$/i, side: 'target-front', role: 'platform' },
  { software: 'Railway', header: 'x-railway-edge', pattern: /./i, side: 'target-front', role: 'platform' },
  { software: 'Railway', header: 'x-railway-request-id', pattern: /./i, side: 'target-front', role: 'platform' },
  // DigitalOcean App Platform (behind a Cloudflare edge of its own, so Cloudflare's signs show too).
  { software: 'DigitalOcean App Platform', header: 'x-do-app-origin', pattern: /./i, side: 'target-front', role: 'platform' },
  { software: 'DigitalOcean App Platform', header: 'x-do-orig-status', pattern: /^\d{3}$/i, side: 'target-front', role: 'platform' },

  // Forward proxies (and squid as a reverse proxy).
  // squid: "Server: squid/5.7", "Via: 1.1 host (squid/5.7)", "X-Squid-Error: ERR_CONNECT_FAIL 111"
  // (src/http.cc appends APP_FULLNAME in parentheses; X-Squid-Error on its own error pages).
  { software: 'squid', header: 'server', pattern: /^squid(?:\/(\d[\w.]*))?/i, side: 'either', role: 'forward-proxy' },
  { software: 'squid', header: 'via', pattern: /\(squid(?:\/(\d[\w.]*))?\)/i, side: 'either', role: 'forward-proxy' },
  { software: 'squid', header: 'x-squid-error', pattern: /^ERR_[A-Z_]+/i, side: 'either', role: 'forward-proxy' },
  // tinyproxy: "Server: tinyproxy/1.11.1", "Via: 1.1 host (tinyproxy/1.11.1)" and
  // "Proxy-agent: tinyproxy/1.11.1" on its CONNECT reply; releases after tinyproxy PR #543
  // drop the version ("(tinyproxy)").
  { software: 'tinyproxy', header: 'server', pattern: /^tinyproxy(?:\/(\d[\w.]*))?/i, side: 'proxy', role: 'forward-proxy' },
  { software: 'tinyproxy', header: 'via', pattern: /\(tinyproxy(?:\/(\d[\w.]*))?\)/i, side: 'proxy', role: 'forward-proxy' },
  { software: 'tinyproxy', header: 'proxy-agent', pattern: /^tinyproxy(?:\/(\d[\w.]*))?/i, side: 'proxy', role: 'forward-proxy' },
];

/**
 * Every sign the headers show, in table order. Header names are matched case-insensitively;
 * a sign whose header is absent or whose pattern does not match is left out.
 * `version` is the pattern's first capture group, or null when it has none or it is empty.
 */
export function softwareIn(headers: Record<string, string>): { sign: SoftwareSign; value: string; version: string | null }[] {
  const byName = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) byName.set(name.toLowerCase(), value);
  const found: { sign: SoftwareSign; value: string; version: string | null }[] = [];
  for (const sign of SOFTWARE_SIGNS) {
    const value = byName.get(sign.header);
    if (value === undefined) continue;
    const m = sign.pattern.exec(value);
    if (m) found.push({ sign, value, version: m[1] || null });
  }
  return found;
}
