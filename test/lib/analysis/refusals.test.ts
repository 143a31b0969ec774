/**
 * Refusal classes from the evidence each kind of answer really carries. The squid 5.7,
 * tinyproxy 1.11.1, HAProxy and nginx 1.22.1 headers and pages below were captured from
 * the lab's daemons (test/lab/proxies.ts) answering a raw CONNECT or upgrade: squid's
 * ERR_CONNECT_FAIL / ERR_ACCESS_DENIED / ERR_CANNOT_FORWARD templates, tinyproxy's
 * default.html, HAProxy's 503 errorfile and nginx's built-in 502 page; their excerpts are
 * what agent/dial/refusal.ts's bodyExcerpt makes of those bodies. The SOCKS replies are the
 * socks library's messages and the codes agent/dial/dial.ts derives from them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyRefusal, REFUSAL_CAUSES, refusalFindings, type RefusalCause, type RefusalGroup } from '../../../lib/analysis/refusals';

const group = (over: Partial<RefusalGroup>): RefusalGroup => ({
  target: 'chat',
  proxy: 'direct',
  outcome: 'upgrade_refused',
  reason: '403',
  server: null,
  count: 10,
  attempts: 10,
  directCount: 0,
  headers: {},
  errorCode: null,
  errorMessage: null,
  bodyExcerpt: null,
  ...over,
});

/** An upgrade answered `status` (the agent's code and message for it). */
const upgrade = (status: number, headers: Record<string, string> = {}, bodyExcerpt: string | null = null, over: Partial<RefusalGroup> = {}): Partial<RefusalGroup> => ({
  outcome: 'upgrade_refused',
  reason: String(status),
  server: headers.server ?? null,
  headers,
  errorCode: `HTTP_${status}`,
  bodyExcerpt,
  ...over,
});

/** A CONNECT refusal as agent/dial/http-connect.ts reports it. */
const connect = (statusLine: string, headers: Record<string, string>, bodyExcerpt: string | null, proxy = 'corp'): Partial<RefusalGroup> => {
  const reply = `${statusLine}${headers.server ? ` (Server: ${headers.server})` : ''}`;
  return {
    proxy,
    outcome: 'proxy_refused',
    reason: reply,
    server: headers.server ?? null,
    headers,
    errorCode: `PROXY_HTTP_${/ (\d{3})/.exec(statusLine)![1]}`,
    errorMessage: `proxy refused CONNECT: ${reply}`,
    bodyExcerpt,
  };
};

/** A SOCKS refusal: the library's message is the reply, the code is derived from it. */
const socks = (message: string, errorCode: string, errorMessage = `proxy refused: ${message}`): Partial<RefusalGroup> => ({
  proxy: 'dante',
  outcome: 'proxy_refused',
  reason: message,
  errorCode,
  errorMessage,
});

const dial = (errorCode: string, errorMessage: string, proxy = 'direct'): Partial<RefusalGroup> => ({ proxy, outcome: 'dial_failed', reason: errorCode, errorCode, errorMessage });

const SQUID_PAGE = 'ERROR: The requested URL could not be retrieved - The following error was encountered while trying to retrieve the URL: 127.0.0.1:33347';
const squidConnectFail = { server: 'squid/5.7', 'x-squid-error': 'ERR_CONNECT_FAIL 111' };
const squidDenied = { server: 'squid/5.7', 'x-squid-error': 'ERR_ACCESS_DENIED 0', 'x-cache': 'MISS from vm', via: '1.1 vm (squid/5.7)' };

const cases: [label: string, over: Partial<RefusalGroup>, cause: RefusalCause, evidence: string, recommendation: string][] = [
  // ---- upgrade-headers-stripped
  ['426 through a forward proxy, direct path fine', upgrade(426, { server: 'squid/5.7' }, null, { proxy: 'squid' }), 'upgrade-headers-stripped', 'The direct path upgrades fine: the proxy strips the Upgrade and Connection headers (Server: squid/5.7)', 'Make squid tunnel WebSockets (CONNECT)'],
  ['426 on the direct path from nginx in front of the target (the lab\'s misconfigured location)', upgrade(426, { server: 'nginx/1.22.1' }, 'Upgrade Required'), 'upgrade-headers-stripped', 'Server: nginx/1.22.1 names the layer in front of chat: nginx passes the request on without the Upgrade and Connection headers', 'proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade"'],
  ['400 on the direct path from Apache', upgrade(400, { server: 'Apache/2.4.57 (Debian)' }), 'upgrade-headers-stripped', 'Server: Apache/2.4.57 (Debian) names the layer in front of chat', 'upgrade=websocket'],
  ['426 with nothing named: the target answered a request that had lost its Upgrade', upgrade(426), 'upgrade-headers-stripped', 'so a layer in front of chat dropped the Upgrade and Connection headers (no header names it)', 'Forward the Upgrade and Connection headers in the layer in front of chat'],
  ['400 with nothing named: said to be weaker evidence', upgrade(400, {}, 'Missing or invalid Sec-WebSocket-Key header'), 'upgrade-headers-stripped', 'the target may refuse the handshake itself (its body: "Missing or invalid Sec-WebSocket-Key header")', 'Forward the Upgrade and Connection headers'],
  ['426 through a forward proxy that the direct path gets too: in front of the target', upgrade(426, { server: 'nginx' }, null, { proxy: 'corp', directCount: 4 }), 'upgrade-headers-stripped', 'in front of chat (the direct path gets the same answer)', 'In the nginx location that proxies chat'],
  ['426 from Envoy', upgrade(426, { server: 'istio-envoy' }), 'upgrade-headers-stripped', 'Server: istio-envoy', 'upgrade_type: websocket'],

  // ---- proxy-upstream-unreachable
  ['nginx\'s own 502 page (upstream down)', upgrade(502, { server: 'nginx/1.22.1' }, '502 Bad Gateway'), 'proxy-upstream-unreachable', 'nginx in front of chat wrote it (Server: nginx/1.22.1)', 'proxy_connect_timeout'],
  ['nginx\'s 502 page with its footer', upgrade(502, { server: 'nginx/1.22.1' }, '502 Bad Gateway - nginx/1.22.1'), 'proxy-upstream-unreachable', 'could not reach its upstream', 'nginx could not connect to chat\'s upstream'],
  ['nginx\'s 504 at proxy_read_timeout', upgrade(504, { server: 'nginx/1.22.1' }, '504 Gateway Time-out - nginx/1.22.1'), 'proxy-upstream-unreachable', 'got no answer from its upstream in time', 'proxy_read_timeout'],
  ['HAProxy\'s 503 errorfile: no Server header, the page says it', upgrade(503, {}, '503 Service Unavailable - No server is available to handle this request.'), 'proxy-upstream-unreachable', 'HAProxy in front of chat wrote it (body "503 Service Unavailable - No server is available to handle this request.")', 'server ... check'],
  ['Envoy\'s local reply', upgrade(503, { server: 'envoy' }, 'no healthy upstream'), 'proxy-upstream-unreachable', 'Envoy in front of chat wrote it', 'connect_timeout'],
  ['Cloudflare\'s 521', upgrade(521, { server: 'cloudflare', 'cf-ray': '8f1c2a3b4c5d6e7f-AMS' }, 'chat.example.com | 521: Web server is down'), 'proxy-upstream-unreachable', 'Cloudflare in front of chat wrote it', 'Cloudflare could not reach the origin'],
  ['an ALB\'s 502 (Server: awselb/2.0, a bare page)', upgrade(502, { server: 'awselb/2.0' }, '502 Bad Gateway'), 'proxy-upstream-unreachable', 'AWS ALB in front of chat wrote it (Server: awselb/2.0)', 'check the upstream\'s health'],
  ['a Via and no body', upgrade(503, { via: '1.1 vegur' }), 'proxy-upstream-unreachable', 'Heroku in front of chat wrote it (Via: 1.1 vegur)', 'proxy_connect_timeout'],
  ['a Via no sign knows, and no body', upgrade(503, { via: '1.1 edge-17' }), 'proxy-upstream-unreachable', 'a proxy in front of chat wrote it (Via: 1.1 edge-17)', 'proxy_connect_timeout'],

  // ---- origin-unavailable
  ['503 with nothing naming a proxy', upgrade(503), 'origin-unavailable', 'No header or body names a proxy, so the origin wrote it.', 'chat itself answers 503'],
  ['503 with the origin\'s own words, passed on by nginx', upgrade(503, { server: 'nginx' }, '{"error":"maintenance","retryAfter":300}'), 'origin-unavailable', 'nginx (Server: nginx) passed on the origin\'s own answer', 'check the application\'s health'],
  ['502 with nothing naming a gateway', upgrade(502, {}, 'upstream app crashed'), 'origin-unavailable', '502 is a gateway\'s status, though', 'chat itself answers 502'],
  ['500 from the application (Server: Kestrel is an origin)', upgrade(500, { server: 'Kestrel' }), 'origin-unavailable', 'the origin wrote it', 'chat itself answers 500'],

  // ---- connect-port-closed
  ['squid 5.7: ERR_CONNECT_FAIL 111', connect('HTTP/1.1 503 Service Unavailable', squidConnectFail, SQUID_PAGE, 'squid'), 'connect-port-closed', 'X-Squid-Error: ERR_CONNECT_FAIL 111: squid\'s connect to the target was refused (errno 111, ECONNREFUSED)', 'Nothing listens on chat\'s port as seen from squid'],
  ['SOCKS5 reply 5', socks('Socks5 proxy rejected connection - ConnectionRefused', 'SOCKS_CONNECTIONREFUSED'), 'connect-port-closed', 'SOCKS reply 5 (connection refused)', 'Nothing listens on chat\'s port as seen from dante'],

  // ---- connect-denied
  ['squid 5.7: ERR_ACCESS_DENIED', connect('HTTP/1.1 403 Forbidden', squidDenied, SQUID_PAGE, 'squid'), 'connect-denied', 'X-Squid-Error: ERR_ACCESS_DENIED 0', 'SSL_ports'],
  ['tinyproxy 1.11.1: 403 Access violation', connect('HTTP/1.1 403 Access violation', { server: 'tinyproxy/1.11.1' }, '403 Access violation - The CONNECT method not allowed with the port you tried to use.', 'tiny'), 'connect-denied', '"403 Access violation" (Server: tinyproxy/1.11.1): tinyproxy refuses CONNECT to a port not in its ConnectPort list', 'ConnectPort'],
  ['SOCKS5 reply 2', socks('Socks5 proxy rejected connection - NotAllowed', 'SOCKS_NOTALLOWED'), 'connect-denied', 'SOCKS reply 2 (connection not allowed by ruleset)', 'socks pass'],
  ['a 403 from an unknown proxy', connect('HTTP/1.1 403 Forbidden', {}, null), 'connect-denied', 'the proxy refuses the CONNECT by rule', 'tinyproxy: ConnectPort; dante: socks pass'],

  // ---- proxy-auth
  ['squid 407 (ERR_CACHE_ACCESS_DENIED)', connect('HTTP/1.1 407 Proxy Authentication Required', { server: 'squid/5.7', 'x-squid-error': 'ERR_CACHE_ACCESS_DENIED 0' }, null, 'squid'), 'proxy-auth', 'X-Squid-Error: ERR_CACHE_ACCESS_DENIED 0', 'proxy_auth'],
  ['a 407 without squid\'s header', connect('HTTP/1.1 407 Proxy Authentication Required', {}, null), 'proxy-auth', 'the proxy wants credentials', 'URL-encoded'],
  ['SOCKS5 authentication failed', socks('Socks5 Authentication failed', 'SOCKS_AUTH_FAILED'), 'proxy-auth', 'refused the credentials', 'socksmethod username'],
  ['SOCKS closed right after the credentials', socks('connection closed during the SOCKS handshake: Socket closed', 'SOCKS_CLOSED', 'proxy closed the connection during the SOCKS handshake (credentials refused?): Socket closed'), 'proxy-auth', 'closed the handshake after the probe sent credentials', 'user:password'],
  ['a 407 on the upgrade (an intercepting proxy)', upgrade(407, { server: 'squid/5.7' }), 'proxy-auth', '407 is a proxy\'s demand for credentials (Server: squid/5.7)', 'proxy_auth'],

  // ---- proxy-dns-failed
  ['squid: ERR_DNS_FAIL', connect('HTTP/1.1 503 Service Unavailable', { server: 'squid/5.7', 'x-squid-error': 'ERR_DNS_FAIL 0' }, SQUID_PAGE, 'squid'), 'proxy-dns-failed', 'X-Squid-Error: ERR_DNS_FAIL 0: squid could not resolve the target\'s host name', 'dns_nameservers'],

  // ---- access-denied
  ['403 on the upgrade, nothing named', upgrade(403), 'access-denied', 'Nothing in the answer names a proxy', 'Origin allow-list'],
  ['403 from Cloudflare', upgrade(403, { server: 'cloudflare', 'cf-ray': '8f1c2a3b4c5d6e7f-AMS' }, 'Attention Required! | Cloudflare'), 'access-denied', 'Cloudflare answered it', 'CF-RAY'],
  ['401 with nothing named', upgrade(401, {}, 'Unauthorized'), 'access-denied', 'Nothing in the answer names a proxy', 'WAF or CDN rules'],
  ['403 from HAProxy\'s errorfile (no Server header)', upgrade(403, {}, '403 Forbidden - Request forbidden by administrative rules.'), 'access-denied', 'HAProxy answered it (body "403 Forbidden - Request forbidden by administrative rules.")', 'http-request deny'],

  // ---- dial-refused / dial-timeout
  ['ECONNREFUSED to the target', dial('ECONNREFUSED', 'tcp: connect ECONNREFUSED 127.0.0.1:9'), 'dial-refused', 'ECONNREFUSED: nothing accepted the TCP connection to chat, the first hop', 'Nothing listens at chat'],
  ['ECONNREFUSED to the proxy', dial('ECONNREFUSED', 'tcp: connect ECONNREFUSED 127.0.0.1:1080', 'dante'), 'dial-refused', 'to proxy dante, the first hop', 'Nothing listens at proxy dante'],
  ['ETIMEDOUT connecting', dial('ETIMEDOUT', 'tcp: connect to 192.0.2.1:443 timed out'), 'dial-timeout', 'ETIMEDOUT: chat did not answer in time', 'a firewall dropping packets'],
  ['ETIMEDOUT waiting for the CONNECT reply', dial('ETIMEDOUT', 'proxy: no CONNECT reply before the dial timeout', 'squid'), 'dial-timeout', 'squid accepted the connection but did not answer the tunnel request in time', 'connect_timeout'],
  ['ETIMEDOUT waiting for the upgrade answer', dial('ETIMEDOUT', 'upgrade: no response within the dial timeout of 10000 ms'), 'dial-timeout', 'nothing answered the upgrade request in time', 'proxy_read_timeout'],

  // ---- other
  ['SOCKS4 reply 91 (dante\'s one refusal)', socks('Socks4 Proxy rejected connection - (Failed)', 'SOCKS_FAILED'), 'other', 'SOCKS reply 91 (request rejected or failed): SOCKS4 has one refusal for everything', 'SOCKS5'],
  ['tinyproxy 1.11.1: 500 Unable to connect', connect('HTTP/1.1 500 Unable to connect', { server: 'tinyproxy/1.11.1' }, '500 Unable to connect - Tinyproxy was unable to connect to the remote web server.', 'tiny'), 'other', 'tinyproxy could not connect to the target, and does not say why', 'its log names the error'],
  ['squid 5.7: ERR_CANNOT_FORWARD (an unresolvable name without a reachable resolver)', connect('HTTP/1.1 500 Internal Server Error', { server: 'squid/5.7', 'x-squid-error': 'ERR_CANNOT_FORWARD 0' }, SQUID_PAGE, 'squid'), 'other', 'X-Squid-Error: ERR_CANNOT_FORWARD 0', 'cache.log'],
  ['squid: ERR_CONNECT_FAIL 110 (a timeout, not a closed port)', connect('HTTP/1.1 503 Service Unavailable', { server: 'squid/5.7', 'x-squid-error': 'ERR_CONNECT_FAIL 110' }, SQUID_PAGE, 'squid'), 'other', 'timed out (errno 110)', 'connect_timeout'],
  ['SOCKS closed without credentials', socks('connection closed during the SOCKS handshake: Socket closed', 'SOCKS_CLOSED', 'proxy closed the connection during the SOCKS handshake: Socket closed'), 'other', 'closed the connection during the handshake', 'hung up before replying'],
  ['SOCKS5 reply 4', socks('Socks5 proxy rejected connection - HostUnreachable', 'SOCKS_HOSTUNREACHABLE'), 'other', 'SOCKS reply 4 (host unreachable)', 'routes and resolver'],
  ['a proxy that closed without a CONNECT reply', { proxy: 'corp', outcome: 'proxy_refused', reason: 'connection closed', errorCode: 'PROBE_ERR_PROXY_CLOSED' }, 'other', '"connection closed"', 'corp\'s log'],
  ['404 on the upgrade', upgrade(404, { server: 'nginx' }), 'other', 'nginx answered it (Server: nginx)', 'Look at the layer that answered'],
  ['nginx\'s own 500 page', upgrade(500, { server: 'nginx/1.22.1' }, '500 Internal Server Error - nginx/1.22.1'), 'other', 'nginx in front of chat wrote it itself', 'nginx\'s error log'],
  ['ENOTFOUND for the first hop', dial('ENOTFOUND', 'dns: getaddrinfo ENOTFOUND proxy.corp.invalid', 'corp'), 'other', 'the probe could not resolve proxy corp\'s name', 'probe\'s resolver'],
];

describe('classifyRefusal', () => {
  it.each(cases.map(([label, over, cause, evidence, recommendation]) => ({ label, over, cause, evidence, recommendation })))('$label → $cause', ({ over, cause, evidence, recommendation }) => {
    const c = classifyRefusal(group(over));
    expect(c.cause).toBe(cause);
    expect(c.evidence).toContain(evidence);
    expect(c.recommendation).toContain(recommendation);
  });

  it('covers every class', () => {
    expect(new Set(cases.map((c) => c[2]))).toEqual(new Set(REFUSAL_CAUSES));
  });
});

describe('refusalFindings', () => {
  it('keeps the title, puts the cause on the finding and the evidence in the detail', () => {
    const [f] = refusalFindings([group({ ...connect('HTTP/1.1 503 Service Unavailable', squidConnectFail, SQUID_PAGE, 'squid'), count: 4, attempts: 9 })]);
    expect(f).toMatchObject({
      kind: 'refusal',
      severity: 'warning',
      cause: 'connect-port-closed',
      title: 'proxy refusal "HTTP/1.1 503 Service Unavailable (Server: squid/5.7)" through proxy squid to chat',
    });
    // The reply already names the Server: not twice.
    expect(f!.detail).toBe(
      '4 of 9 attempts through proxy squid to chat ended with proxy refusal "HTTP/1.1 503 Service Unavailable (Server: squid/5.7)". X-Squid-Error: ERR_CONNECT_FAIL 111: squid\'s connect to the target was refused (errno 111, ECONNREFUSED).',
    );
  });

  it('keeps the forward proxy case the analysis has always reported', () => {
    const [f] = refusalFindings([group({ ...upgrade(426, { server: 'squid/5.7' }), proxy: 'squid', count: 5, attempts: 5 })]);
    expect(f).toMatchObject({ severity: 'critical', cause: 'upgrade-headers-stripped', title: 'HTTP 426 on upgrade through proxy squid to chat' });
    expect(f!.detail).toBe('5 of 5 attempts through proxy squid to chat ended with HTTP 426 on upgrade. The direct path upgrades fine: the proxy strips the Upgrade and Connection headers (Server: squid/5.7).');
  });

  it('leaves out groups of fewer than three attempts', () => {
    expect(refusalFindings([group({ count: 2 }), group({ count: 3 })])).toHaveLength(1);
  });

  it('groups without the new evidence fields (an older caller) still classify', () => {
    const { headers: _h, errorCode: _c, errorMessage: _m, bodyExcerpt: _b, ...bare } = group(upgrade(502, { server: 'nginx' }));
    expect(refusalFindings([bare])[0]).toMatchObject({ cause: 'proxy-upstream-unreachable' });
  });

  const arbitraryGroup = fc.record({
    target: fc.constantFrom('chat', 'api'),
    proxy: fc.constantFrom('direct', 'squid', 'dante'),
    outcome: fc.constantFrom('upgrade_refused' as const, 'proxy_refused' as const, 'dial_failed' as const),
    reason: fc.oneof(fc.integer({ min: 300, max: 599 }).map(String), fc.constantFrom('HTTP/1.1 503 Service Unavailable', 'Socks5 proxy rejected connection - NotAllowed', 'ECONNREFUSED', 'ETIMEDOUT'), fc.string()),
    server: fc.option(fc.constantFrom('nginx', 'squid/5.7', 'cloudflare', 'Kestrel'), { nil: null }),
    count: fc.integer({ min: 1, max: 50 }),
    attempts: fc.integer({ min: 50, max: 100 }),
    directCount: fc.integer({ min: 0, max: 5 }),
    headers: fc.dictionary(fc.constantFrom('server', 'via', 'x-squid-error', 'cf-ray', 'x-cache'), fc.string({ maxLength: 30 })),
    errorCode: fc.option(fc.constantFrom('PROXY_HTTP_403', 'PROXY_HTTP_407', 'SOCKS_CLOSED', 'SOCKS_REJECTED', 'ECONNREFUSED', 'ETIMEDOUT', 'HTTP_503'), { nil: null }),
    errorMessage: fc.option(fc.string({ maxLength: 60 }), { nil: null }),
    bodyExcerpt: fc.option(fc.string({ maxLength: 80 }), { nil: null }),
  });

  it('gives every group of three or more one finding with a known cause, its evidence and a one-line fix, in any order', () => {
    fc.assert(
      fc.property(fc.array(arbitraryGroup, { maxLength: 12 }), (groups) => {
        const findings = refusalFindings(groups);
        expect(findings).toHaveLength(groups.filter((g) => g.count >= 3).length);
        for (const f of findings) {
          expect(REFUSAL_CAUSES).toContain(f.cause);
          expect(f.recommendation.length).toBeGreaterThan(0);
          expect(f.recommendation).not.toMatch(/\n/);
        }
        const reversed = refusalFindings([...groups].reverse());
        expect(new Set(reversed.map((f) => JSON.stringify(f)))).toEqual(new Set(findings.map((f) => JSON.stringify(f))));
      }),
    );
  });
});
