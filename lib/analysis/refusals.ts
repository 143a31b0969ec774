/**
 * Refused and failed attempts, classified by what refused them, each with the fix for that
 * cause. One status means different things depending on who wrote it (a 503 from the
 * origin, from nginx that lost its upstream, from squid whose connect was refused), so the
 * class is decided by the answer's own evidence: squid's X-Squid-Error, the SOCKS reply,
 * the Server and Via headers, a proxy's well-known error page, the socket error and the
 * phase it happened in. Pure: the groups come from db/queries/findings.ts.
 */
import type { Finding } from './findings';
import { header, identify, isBareStatus, proxyPage, type Identity, type Page } from './refusal-authors';

export interface RefusalGroup {
  target: string;
  proxy: string;
  outcome: 'upgrade_refused' | 'proxy_refused' | 'dial_failed';
  /** HTTP status, proxy reply or socket error code. */
  reason: string;
  server: string | null;
  count: number;
  /** Attempts on the same path in scope. */
  attempts: number;
  /** The same reason on the direct path to the same target. */
  directCount: number;
  /**
   * Identifying headers of the refusing answer (server, via, x-squid-error, x-cache ...),
   * lower-case names, from the group's latest attempt; empty when none were kept.
   */
  headers?: Record<string, string>;
  /** The probe's error code for the group's latest attempt (PROXY_HTTP_503, SOCKS_CONNECTIONREFUSED, ECONNREFUSED ...). */
  errorCode?: string | null;
  /**
   * The probe's error message for the group's latest attempt: it names the dial phase
   * ("proxy: ...", "upgrade: ...") and carries hints the code does not ("credentials refused?").
   */
  errorMessage?: string | null;
  /** The refusal's own words (its body's first line, or an HTML title and first sentence), from the group's latest attempt. */
  bodyExcerpt?: string | null;
}

/** The stable classes of `Finding.cause` for refusals. */
export const REFUSAL_CAUSES = [
  'upgrade-headers-stripped',
  'origin-unavailable',
  'proxy-upstream-unreachable',
  'connect-port-closed',
  'connect-denied',
  'proxy-auth',
  'proxy-dns-failed',
  'access-denied',
  'dial-refused',
  'dial-timeout',
  'other',
] as const;
export type RefusalCause = (typeof REFUSAL_CAUSES)[number];

export interface RefusalClass {
  cause: RefusalCause;
  /** What decided it, as a sentence naming the header, marker, reply or code. */
  evidence: string;
  /** One line, naming the setting to change. */
  recommendation: string;
}

/** Groups of at least three attempts, each as a finding with its cause, evidence and fix. */
export function refusalFindings(groups: readonly RefusalGroup[]): Finding[] {
  return groups
    .filter((g) => g.count >= 3)
    .map((g) => {
      const { cause, evidence, recommendation } = classifyRefusal(g);
      const reason = describeReason(g);
      // Once, where it is read: in the evidence when it decided the class, else after the reason.
      const server = g.server && !`${reason} ${evidence}`.includes(`Server: ${g.server}`) ? ` (Server: ${g.server})` : '';
      return {
        kind: 'refusal' as const,
        severity: g.count === g.attempts ? ('critical' as const) : ('warning' as const),
        cause,
        title: `${reason} ${via(g)} to ${g.target}`,
        detail: `${g.count} of ${g.attempts} attempts ${via(g)} to ${g.target} ended with ${reason}${server}. ${evidence}`,
        recommendation,
      };
    });
}

export function classifyRefusal(g: RefusalGroup): RefusalClass {
  if (g.outcome === 'upgrade_refused') return upgradeRefused(g);
  if (g.outcome === 'proxy_refused') return proxyRefused(g);
  return dialFailed(g);
}

function describeReason(g: RefusalGroup): string {
  if (g.outcome === 'upgrade_refused') return `HTTP ${g.reason} on upgrade`;
  if (g.outcome === 'proxy_refused') return `proxy refusal "${g.reason}"`;
  return `dial failure ${g.reason}`;
}

const via = (g: RefusalGroup) => (g.proxy === 'direct' ? 'directly' : `through proxy ${g.proxy}`);

// ---------------------------------------------------------------- upgrade refused

function upgradeRefused(g: RefusalGroup): RefusalClass {
  const status = Number(g.reason);
  const identity = identify(g);
  const page = proxyPage(g.bodyExcerpt);
  if (status === 400 || status === 426) return headersStripped(g, status, identity);
  if (status === 407) {
    return { cause: 'proxy-auth', evidence: `407 is a proxy's demand for credentials${identity ? ` (${identity.shown})` : ''}.`, recommendation: authFix(g, identity?.name) };
  }
  if (status === 401 || status === 403) {
    const by = page ?? identity;
    return {
      cause: 'access-denied',
      evidence: by ? `${by.name} answered it (${by.shown}).` : 'Nothing in the answer names a proxy: the target or a layer in front of it refused by rule.',
      recommendation: accessFix(by?.name),
    };
  }
  if (status >= 500 && status <= 599) return serverError(g, status, identity, page);
  return {
    cause: 'other',
    evidence: `${identity ? `${identity.name} answered it (${identity.shown})` : 'Nothing in the answer names a proxy'}${g.bodyExcerpt ? `; its body: "${g.bodyExcerpt}"` : ''}.`,
    recommendation: 'Look at the layer that answered: its access rules or its upstream.',
  };
}

function accessFix(software: string | undefined): string {
  switch (software) {
    case 'Cloudflare':
      return 'A Cloudflare rule refuses the upgrade: look the CF-RAY up in Security → Events (WAF, bot or access rules), and check the target\'s Origin allow-list and credentials.';
    case 'HAProxy':
      return 'An HAProxy rule refuses the upgrade: check the http-request deny / auth rules and their ACLs, then the target\'s Origin allow-list and credentials.';
    case 'nginx':
      return 'nginx refuses the upgrade: check the location\'s allow/deny, auth_request and limit rules, then the target\'s Origin allow-list and credentials.';
    default:
      return 'An access rule refuses the upgrade: check the WAF or CDN rules, the Origin allow-list and the credentials.';
  }
}

/**
 * 400/426 to an upgrade that carried Upgrade and Connection: whatever answered did not see
 * them (the target answers a plain GET 426), so a layer dropped them on the way.
 */
function headersStripped(g: RefusalGroup, status: number, identity: Identity | null): RefusalClass {
  if (g.proxy !== 'direct' && g.directCount === 0) {
    return {
      cause: 'upgrade-headers-stripped',
      evidence: `The direct path upgrades fine: the proxy strips the Upgrade and Connection headers${identity ? ` (${identity.shown})` : ''}.`,
      recommendation: `Make ${g.proxy} tunnel WebSockets (CONNECT) or forward Upgrade/Connection headers (${NGINX_UPGRADE}).`,
    };
  }
  const where = g.proxy === 'direct' ? `in front of ${g.target}` : `in front of ${g.target} (the direct path gets the same answer)`;
  const answered = status === 426 ? `426 Upgrade Required to a request that carried Upgrade: websocket, so what answered never saw that header` : `400 to a request that carried Upgrade: websocket`;
  const evidence = identity
    ? `${answered}; ${identity.shown} names the layer ${where}: ${identity.name} passes the request on without the Upgrade and Connection headers.`
    : status === 426
      ? `${answered}, so a layer ${where} dropped the Upgrade and Connection headers (no header names it).`
      : `${answered}: a layer ${where} may drop the Upgrade and Connection headers, though nothing names one and the target may refuse the handshake itself${g.bodyExcerpt ? ` (its body: "${g.bodyExcerpt}")` : ''}.`;
  return { cause: 'upgrade-headers-stripped', evidence, recommendation: upgradeFix(identity?.name, g.target) };
}

const NGINX_UPGRADE = 'nginx: proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade"';

function upgradeFix(software: string | undefined, target: string): string {
  switch (software) {
    case 'nginx':
      return `In the nginx location that proxies ${target}: proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade".`;
    case 'Apache':
      return `In Apache: ProxyPass with upgrade=websocket (2.4.47+), or mod_proxy_wstunnel and a ws:// ProxyPass for ${target}'s path.`;
    case 'Envoy':
      return `In Envoy: upgrade_configs: [{ upgrade_type: websocket }] on the HTTP connection manager or the route to ${target}.`;
    case 'Cloudflare':
      return `Turn WebSockets on in the Cloudflare zone's Network settings, and check the origin server passes the Upgrade headers on (${NGINX_UPGRADE}).`;
    case 'AWS ALB':
      return 'A Classic ELB with an HTTP listener cannot upgrade: use an Application Load Balancer, or a TCP/SSL listener.';
    default:
      return `Forward the Upgrade and Connection headers in the layer in front of ${target} (${NGINX_UPGRADE}; Apache: ProxyPass ... upgrade=websocket).`;
  }
}

/**
 * A 5xx written by a proxy that could not reach its upstream, or by the origin. A proxy's
 * own page saying so decides it; for a gateway status (502-504), so does a proxy named by
 * its page or its headers, unless the body holds the origin's own words (nginx puts its
 * Server header on the answers it passes on, too).
 */
function serverError(g: RefusalGroup, status: number, identity: Identity | null, page: Page | null): RefusalClass {
  const gatewayStatus = status === 502 || status === 503 || status === 504 || (status >= 520 && status <= 527 && identity?.name === 'Cloudflare');
  const bare = !g.bodyExcerpt || isBareStatus(g.bodyExcerpt, identity);
  const writer = page ?? (identity && bare ? identity : null);
  const timeout = status === 504 || status === 524;
  if (page?.upstream || (gatewayStatus && writer)) {
    const by = page?.upstream ? page : writer!;
    return {
      cause: 'proxy-upstream-unreachable',
      evidence: `${by.name} in front of ${g.target} wrote it (${by.shown}): it ${timeout ? 'got no answer from its upstream in time' : 'could not reach its upstream'}.`,
      recommendation: upstreamFix(by.name, g.target, timeout),
    };
  }
  if (writer) {
    return {
      cause: 'other',
      evidence: `${writer.name} in front of ${g.target} wrote it itself (${writer.shown}): an error of that layer, not of its upstream.`,
      recommendation: `Look at ${writer.name}'s error log for these requests to ${g.target}.`,
    };
  }
  const words = g.bodyExcerpt ? ` ("${g.bodyExcerpt}")` : '';
  const unnamedGateway = status === 502 || status === 504 ? ` ${status} is a gateway's status, though: the application may proxy itself, or a proxy may send no Server header and a page of its own.` : '';
  return {
    cause: 'origin-unavailable',
    evidence: identity
      ? `${identity.name} (${identity.shown}) passed on the origin's own answer: the body is the origin's words, not ${identity.name}'s page${words}.`
      : `No header or body names a proxy, so the origin wrote it${words}.${unnamedGateway}`,
    recommendation: `${g.target} itself answers ${status}: check the application's health, logs and capacity (a maintenance mode, a full worker pool, a failing dependency).`,
  };
}

function upstreamFix(software: string, target: string, timeout: boolean): string {
  switch (software) {
    case 'nginx':
      return timeout
        ? `nginx gave up waiting for ${target}'s upstream: check the upstream's health and load, and nginx's proxy_read_timeout / proxy_connect_timeout.`
        : `nginx could not connect to ${target}'s upstream: check the upstream's health and address (proxy_pass / upstream servers) and nginx's proxy_connect_timeout.`;
    case 'HAProxy':
      return timeout
        ? `HAProxy's server for ${target} did not answer in time: check its health and load, and HAProxy's timeout server.`
        : `HAProxy has no server for ${target} that answers: check the backend's servers and their health checks (server ... check), and timeout connect.`;
    case 'Envoy':
      return `Envoy has no healthy upstream for ${target}: check the cluster's endpoints and health checks, and its connect_timeout.`;
    case 'Apache':
      return `Apache's mod_proxy could not reach ${target}'s backend: check the backend named in ProxyPass, and ProxyTimeout / connectiontimeout.`;
    case 'Cloudflare':
      return `Cloudflare could not reach the origin of ${target}: check the origin is up and accepts Cloudflare's addresses on its port.`;
    default:
      return `The layer in front of ${target} could not reach its upstream: check the upstream's health and the proxy's connect and read timeouts (nginx: proxy_connect_timeout).`;
  }
}

// ---------------------------------------------------------------- proxy refused

/** SOCKS5 replies by the socks library's names (RFC 1928 §6), SOCKS4's (91-93). */
const SOCKS_REPLIES: Record<string, { code: number; text: string }> = {
  failure: { code: 1, text: 'general SOCKS server failure' },
  notallowed: { code: 2, text: 'connection not allowed by ruleset' },
  networkunreachable: { code: 3, text: 'network unreachable' },
  hostunreachable: { code: 4, text: 'host unreachable' },
  connectionrefused: { code: 5, text: 'connection refused' },
  ttlexpired: { code: 6, text: 'TTL expired' },
  commandnotsupported: { code: 7, text: 'command not supported' },
  addressnotsupported: { code: 8, text: 'address type not supported' },
  failed: { code: 91, text: 'request rejected or failed' },
  rejected: { code: 92, text: 'rejected: no identd on the client' },
  rejectedident: { code: 93, text: 'rejected: identd user mismatch' },
};

function proxyRefused(g: RefusalGroup): RefusalClass {
  const squidError = header(g, 'x-squid-error');
  if (squidError) return squidRefusal(g, squidError);
  const line = /^HTTP\/\d(?:\.\d)?\s+(\d{3})\s*(.*?)(?:\s+\(Server: .*\))?$/.exec(g.reason);
  const status = line ? Number(line[1]) : Number(/^PROXY_HTTP_(\d{3})$/.exec(g.errorCode ?? '')?.[1] ?? NaN);
  if (Number.isFinite(status)) return connectRefusal(g, status, line?.[2] ?? '');
  return socksRefusal(g);
}

function squidRefusal(g: RefusalGroup, value: string): RefusalClass {
  const [kind = '', errno = ''] = value.split(/\s+/);
  const shown = `X-Squid-Error: ${value}`;
  if (kind === 'ERR_CONNECT_FAIL' && errno === '111') {
    return { cause: 'connect-port-closed', evidence: `${shown}: squid's connect to the target was refused (errno 111, ECONNREFUSED).`, recommendation: portClosedFix(g) };
  }
  if (kind === 'ERR_ACCESS_DENIED') return { cause: 'connect-denied', evidence: `${shown}: squid's http_access rules refuse the CONNECT.`, recommendation: connectAllowFix(g, 'squid') };
  if (kind === 'ERR_CACHE_ACCESS_DENIED') return { cause: 'proxy-auth', evidence: `${shown}: squid wants credentials it did not get or accept.`, recommendation: authFix(g, 'squid') };
  if (kind === 'ERR_DNS_FAIL') {
    return { cause: 'proxy-dns-failed', evidence: `${shown}: squid could not resolve the target's host name.`, recommendation: `squid cannot resolve ${g.target}'s host: check its resolver (dns_nameservers in squid.conf, or the host's /etc/resolv.conf) and the name itself.` };
  }
  if (kind === 'ERR_CONNECT_FAIL') {
    const why = errno === '110' ? 'timed out (errno 110)' : errno === '113' ? 'found no route (errno 113)' : `failed (errno ${errno || 'unknown'})`;
    return { cause: 'other', evidence: `${shown}: squid's connect to the target ${why}.`, recommendation: `squid cannot reach ${g.target}: check the routes and firewalls between squid and the target, and squid's connect_timeout.` };
  }
  return { cause: 'other', evidence: `${shown}.`, recommendation: `Look up ${kind} in squid's cache.log for this request: squid could not forward it to ${g.target}.` };
}

function connectRefusal(g: RefusalGroup, status: number, text: string): RefusalClass {
  const identity = identify(g);
  const tinyproxy = identity?.name === 'tinyproxy' || /tinyproxy/i.test(g.bodyExcerpt ?? '');
  const line = `"${status}${text ? ` ${text}` : ''}"${identity ? ` (${identity.shown})` : ''}`;
  if (status === 407) return { cause: 'proxy-auth', evidence: `${line}: the proxy wants credentials it did not get or accept.`, recommendation: authFix(g, identity?.name) };
  if (status === 403 || status === 405) {
    const named = tinyproxy && /access violation/i.test(text) ? 'tinyproxy refuses CONNECT to a port not in its ConnectPort list' : 'the proxy refuses the CONNECT by rule';
    return { cause: 'connect-denied', evidence: `${line}: ${named}.`, recommendation: connectAllowFix(g, tinyproxy ? 'tinyproxy' : identity?.name) };
  }
  if (tinyproxy && /unable to connect/i.test(`${text} ${g.bodyExcerpt ?? ''}`)) {
    return {
      cause: 'other',
      evidence: `${line}: tinyproxy could not connect to the target, and does not say why (a closed port, an unreachable host and an unresolvable name look the same).`,
      recommendation: `tinyproxy cannot reach ${g.target}: its log names the error; check the target listens on that port and resolves and routes from the proxy.`,
    };
  }
  if (status === 502 || status === 503 || status === 504) {
    return { cause: 'other', evidence: `${line}: the proxy could not connect to the target, without saying why.`, recommendation: `${g.proxy} cannot reach ${g.target}: check the target listens on that port and is reachable from the proxy (its log says which).` };
  }
  return { cause: 'other', evidence: `${line}.`, recommendation: `Look at ${g.proxy}'s log for the CONNECT to ${g.target}.` };
}

function socksRefusal(g: RefusalGroup): RefusalClass {
  const code = g.errorCode ?? '';
  const message = /Socks([45]) proxy rejected connection - \(?(\w+)\)?/i.exec(g.reason);
  // SOCKS_REJECTED is also the probe's code for a refusal it could not parse: only the
  // library's message names SOCKS4's reply 92.
  const name = (message?.[2] ?? (code === 'SOCKS_REJECTED' ? '' : code.replace(/^SOCKS_/, ''))).toLowerCase();
  const reply = SOCKS_REPLIES[name];
  const shown = reply ? `SOCKS reply ${reply.code} (${reply.text})` : `"${g.reason}"`;
  if (code === 'SOCKS_AUTH_FAILED' || /authentication/i.test(g.reason)) {
    return { cause: 'proxy-auth', evidence: `"${g.reason}": the SOCKS proxy refused the credentials or the offered methods.`, recommendation: authFix(g, 'dante') };
  }
  if (code === 'SOCKS_CLOSED') {
    if (/credentials refused/i.test(g.errorMessage ?? '')) {
      return { cause: 'proxy-auth', evidence: `The SOCKS proxy closed the handshake after the probe sent credentials ("${g.errorMessage}").`, recommendation: authFix(g, 'dante') };
    }
    return { cause: 'other', evidence: `The SOCKS proxy closed the connection during the handshake ("${g.reason}").`, recommendation: `Look at ${g.proxy}'s log: it hung up before replying (a client rule, or a limit on clients).` };
  }
  if (name === 'connectionrefused') return { cause: 'connect-port-closed', evidence: `${shown}: the proxy's connect to the target was refused.`, recommendation: portClosedFix(g) };
  if (name === 'notallowed') return { cause: 'connect-denied', evidence: `${shown}: a rule of the proxy refuses the destination.`, recommendation: connectAllowFix(g, 'dante') };
  if (name === 'failed') {
    return {
      cause: 'other',
      evidence: `${shown}: SOCKS4 has one refusal for everything, so a rule, a closed port and an unresolvable name look the same.`,
      recommendation: `Look at ${g.proxy}'s log for the refused request, or probe through SOCKS5, whose replies say why (dante: socks pass rules; socks4a names are refused by dante 1.4).`,
    };
  }
  if (name === 'hostunreachable' || name === 'networkunreachable' || name === 'ttlexpired') {
    return { cause: 'other', evidence: `${shown}: the proxy cannot reach the target (or, for a name it resolves, cannot resolve it).`, recommendation: `${g.proxy} cannot reach ${g.target}: check its routes and resolver towards the target.` };
  }
  return { cause: 'other', evidence: `${shown}.`, recommendation: `Look at ${g.proxy}'s log for the refused request to ${g.target}.` };
}

function portClosedFix(g: RefusalGroup): string {
  return `Nothing listens on ${g.target}'s port as seen from ${g.proxy}: check the target is up on that port, and that the proxy resolves and connects to the same address the direct path uses.`;
}

function connectAllowFix(g: RefusalGroup, software: string | undefined): string {
  switch (software) {
    case 'squid':
      return `Allow the tunnel in squid.conf: add the target's port to SSL_ports (acl SSL_ports port <port>) and http_access allow CONNECT for the probe before any deny.`;
    case 'tinyproxy':
      return `Add ConnectPort <port> for ${g.target}'s port to tinyproxy.conf (with no ConnectPort line at all, every port is allowed).`;
    case 'dante':
      return `Add a socks pass rule for ${g.target}'s address and port to danted.conf, above any socks block that matches it.`;
    default:
      return `Proxy ${g.proxy} refuses the tunnel: allow CONNECT to the target's port (squid: http_access allow CONNECT with the port in SSL_ports; tinyproxy: ConnectPort; dante: socks pass rules).`;
  }
}

function authFix(g: RefusalGroup, software: string | undefined): string {
  const setting = software === 'squid' ? ' (squid: the proxy_auth ACL and auth_param)' : software === 'dante' ? ' (dante: socksmethod username and the user in the system or PAM)' : '';
  return `Fix the credentials in the probe's URL for ${g.proxy} (user:password, URL-encoded), or allow the probe without them${setting}.`;
}

// ---------------------------------------------------------------- dial failed

function dialFailed(g: RefusalGroup): RefusalClass {
  const code = g.errorCode ?? g.reason;
  const hop = g.proxy === 'direct' ? g.target : `proxy ${g.proxy}`;
  const phase = /^(dns|tcp|proxy|tls|upgrade|dial):/.exec(g.errorMessage ?? '')?.[1] ?? null;
  const said = g.errorMessage ? ` ("${g.errorMessage}")` : '';
  if (code === 'ECONNREFUSED') {
    return { cause: 'dial-refused', evidence: `ECONNREFUSED: nothing accepted the TCP connection to ${hop}, the first hop${said}.`, recommendation: `Nothing listens at ${hop}: is it up, and are the address and port in the probe's config right?` };
  }
  if (code === 'ETIMEDOUT') {
    if (phase === 'proxy') {
      return {
        cause: 'dial-timeout',
        evidence: `ETIMEDOUT in the proxy handshake: ${g.proxy} accepted the connection but did not answer the tunnel request in time${said}.`,
        recommendation: `${g.proxy} is still trying to reach ${g.target} when the probe gives up: check the path from the proxy to the target, and the proxy's connect timeout (squid: connect_timeout).`,
      };
    }
    if (phase === 'upgrade') {
      return {
        cause: 'dial-timeout',
        evidence: `ETIMEDOUT on the upgrade: the connection was made, but nothing answered the upgrade request in time${said}.`,
        recommendation: `A layer in front of ${g.target} waits for an answer that never comes (nginx without the Upgrade headers waits for proxy_read_timeout), or the target is overloaded: check both.`,
      };
    }
    return { cause: 'dial-timeout', evidence: `ETIMEDOUT: ${hop} did not answer in time${said}.`, recommendation: 'Nothing answered in time: a firewall dropping packets, or an overloaded first hop.' };
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return { cause: 'other', evidence: `${code}: the probe could not resolve ${hop}'s name${said}.`, recommendation: `Check the name of ${hop} in the probe's config and the probe's resolver.` };
  }
  return { cause: 'other', evidence: `${code}${said}.`, recommendation: 'The first hop refused or was unreachable: is it up, and is the address right?' };
}
