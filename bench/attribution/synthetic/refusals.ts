/**
 * Upgrades that never happen, one scenario per class of refusal, as the server groups the
 * failed attempts (db/queries/findings.ts `refusalGroups`): the status or the proxy's
 * reply, the Server header and the identifying headers of the answer, the probe's error
 * code and the first words of the body. Each beside healthy canaries on the paths that
 * work, so a refusal must not turn into a signature either.
 */
import { DIRECT, expectN, FIN, FRA, NYC, paths, proxy, Scene, SOCKS, SQUID, target, timer, type Proxy, type Target } from '../blocks';
import type { RefusalGroup } from '../../../lib/analysis/findings';
import type { Scenario } from '../scenario';

type Group = Omit<RefusalGroup, 'directCount'> & { directCount?: number };

/** Refusal groups with `directCount` filled as the server does: the same reason on the direct path to the same target. */
function grouped(groups: Group[]): RefusalGroup[] {
  return groups.map((g) => ({
    ...g,
    directCount: g.directCount ?? groups.filter((d) => d.proxy === 'direct' && d.target === g.target && d.reason === g.reason).reduce((n, d) => n + d.count, 0),
  }));
}

function refusal(o: { name: string; cause: string; groups: Group[]; healthy: { targets: Target[]; proxies: Proxy[] }; classes?: string[] }): Scenario {
  const s = new Scene(o.name);
  const healthy = paths([FRA, NYC], o.healthy.targets, o.healthy.proxies);
  // The paths that work, with the odd unrelated drop a day brings.
  s.healthy(healthy, 6).random(healthy, 6, { meanMs: 1_200_000 });
  return s.scenario({
    classes: ['refusal', ...(o.classes ?? [])],
    refusals: grouped(o.groups),
    expect: { signatures: [], findings: [{ kind: 'refusal', cause: o.cause }] },
  });
}

const bluecoat = proxy('corp-bluecoat', 'http');
/** What squid's own error answer carries. */
const squidHeaders = (error: string) => ({ server: 'squid/5.7', via: '1.1 squid-corp (squid/5.7)', 'x-squid-error': error, 'x-cache': 'MISS from squid-corp' });

export const refusalScenarios = (): Scenario[] => [
  refusal({
    name: 'refusal-strip-forward-proxy',
    cause: 'upgrade-headers-stripped',
    groups: [
      { target: 'api', proxy: bluecoat.name, outcome: 'upgrade_refused', reason: '426', server: null, count: 40, attempts: 40, headers: { 'x-dropscope-target': 'api' }, errorCode: 'HTTP_426', bodyExcerpt: 'Upgrade Required' },
      { target: 'chat', proxy: bluecoat.name, outcome: 'upgrade_refused', reason: '400', server: null, count: 38, attempts: 38, headers: {}, errorCode: 'HTTP_400', bodyExcerpt: 'Bad Request' },
    ],
    healthy: { targets: [target('api'), target('chat')], proxies: [DIRECT, SQUID] },
  }),
  refusal({
    name: 'refusal-strip-nginx-front',
    cause: 'upgrade-headers-stripped',
    groups: [
      { target: 'legacy-api', proxy: 'direct', outcome: 'upgrade_refused', reason: '426', server: 'nginx/1.18.0', count: 60, attempts: 60, headers: { server: 'nginx/1.18.0' }, errorCode: 'HTTP_426', bodyExcerpt: 'Upgrade Required' },
      { target: 'legacy-api', proxy: SQUID.name, outcome: 'upgrade_refused', reason: '426', server: 'nginx/1.18.0', count: 30, attempts: 30, headers: { server: 'nginx/1.18.0' }, errorCode: 'HTTP_426', bodyExcerpt: 'Upgrade Required' },
    ],
    healthy: { targets: [target('chat')], proxies: [DIRECT, SQUID] },
  }),
  refusal({
    name: 'refusal-origin-503',
    cause: 'origin-unavailable',
    groups: [
      { target: 'maint', proxy: 'direct', outcome: 'upgrade_refused', reason: '503', server: 'uvicorn', count: 25, attempts: 25, headers: { server: 'uvicorn' }, errorCode: 'HTTP_503', bodyExcerpt: 'Service Unavailable: scheduled maintenance until 02:00 UTC' },
      { target: 'maint', proxy: SOCKS.name, outcome: 'upgrade_refused', reason: '503', server: 'uvicorn', count: 20, attempts: 20, headers: { server: 'uvicorn' }, errorCode: 'HTTP_503', bodyExcerpt: 'Service Unavailable: scheduled maintenance until 02:00 UTC' },
    ],
    healthy: { targets: [target('chat')], proxies: [DIRECT, SOCKS] },
  }),
  nginx502WithCut(),
  refusal({
    name: 'refusal-upstream-haproxy-503',
    cause: 'proxy-upstream-unreachable',
    groups: [
      { target: 'orders', proxy: 'direct', outcome: 'upgrade_refused', reason: '503', server: null, count: 30, attempts: 30, headers: {}, errorCode: 'HTTP_503', bodyExcerpt: '503 Service Unavailable No server is available to handle this request.' },
      { target: 'orders', proxy: SOCKS.name, outcome: 'upgrade_refused', reason: '503', server: null, count: 12, attempts: 12, headers: {}, errorCode: 'HTTP_503', bodyExcerpt: '503 Service Unavailable No server is available to handle this request.' },
    ],
    healthy: { targets: [target('chat')], proxies: [DIRECT, SOCKS] },
  }),
  refusal({
    name: 'refusal-squid-connect-fail',
    cause: 'connect-port-closed',
    groups: [
      { target: 'intranet', proxy: SQUID.name, outcome: 'proxy_refused', reason: 'HTTP/1.1 503 Service Unavailable (Server: squid/5.7)', server: 'squid/5.7', count: 24, attempts: 24, headers: squidHeaders('ERR_CONNECT_FAIL 111'), errorCode: 'PROXY_HTTP_503', bodyExcerpt: 'ERROR: The requested URL could not be retrieved' },
    ],
    healthy: { targets: [target('api')], proxies: [DIRECT, SQUID] },
  }),
  refusal({
    name: 'refusal-socks-connection-refused',
    cause: 'connect-port-closed',
    groups: [
      { target: 'intranet', proxy: SOCKS.name, outcome: 'proxy_refused', reason: 'Socks5 proxy rejected connection - ConnectionRefused', server: null, count: 18, attempts: 18, headers: {}, errorCode: 'SOCKS_CONNECTIONREFUSED' },
    ],
    healthy: { targets: [target('api')], proxies: [DIRECT, SOCKS] },
  }),
  refusal({
    name: 'refusal-squid-denied',
    cause: 'connect-denied',
    groups: [
      { target: 'api', proxy: SQUID.name, outcome: 'proxy_refused', reason: 'HTTP/1.1 403 Forbidden (Server: squid/5.7)', server: 'squid/5.7', count: 30, attempts: 30, headers: squidHeaders('ERR_ACCESS_DENIED 0'), errorCode: 'PROXY_HTTP_403', bodyExcerpt: 'ERROR: The requested URL could not be retrieved' },
    ],
    healthy: { targets: [target('api')], proxies: [DIRECT, SOCKS] },
  }),
  refusal({
    name: 'refusal-socks-not-allowed',
    cause: 'connect-denied',
    groups: [
      { target: 'api', proxy: SOCKS.name, outcome: 'proxy_refused', reason: 'Socks5 proxy rejected connection - NotAllowed', server: null, count: 16, attempts: 16, headers: {}, errorCode: 'SOCKS_NOTALLOWED' },
      { target: 'chat', proxy: SOCKS.name, outcome: 'proxy_refused', reason: 'Socks5 proxy rejected connection - NotAllowed', server: null, count: 14, attempts: 14, headers: {}, errorCode: 'SOCKS_NOTALLOWED' },
    ],
    healthy: { targets: [target('api'), target('chat')], proxies: [DIRECT, SQUID] },
  }),
  refusal({
    name: 'refusal-squid-407',
    cause: 'proxy-auth',
    groups: [
      { target: 'api', proxy: SQUID.name, outcome: 'proxy_refused', reason: 'HTTP/1.1 407 Proxy Authentication Required (Server: squid/5.7)', server: 'squid/5.7', count: 50, attempts: 50, headers: squidHeaders('ERR_CACHE_ACCESS_DENIED 0'), errorCode: 'PROXY_HTTP_407', bodyExcerpt: 'ERROR: Cache Access Denied' },
    ],
    healthy: { targets: [target('api')], proxies: [DIRECT, SOCKS] },
  }),
  refusal({
    name: 'refusal-socks-auth',
    cause: 'proxy-auth',
    groups: [{ target: 'api', proxy: SOCKS.name, outcome: 'proxy_refused', reason: 'Socks5 Authentication failed', server: null, count: 22, attempts: 22, headers: {}, errorCode: 'SOCKS_AUTH_FAILED' }],
    healthy: { targets: [target('api')], proxies: [DIRECT, SQUID] },
  }),
];

/**
 * nginx in front of api answers 502 when its upstream is down (a tenth of the attempts,
 * during a backend restart loop), and cuts the sessions that did open at its default 60 s.
 */
function nginx502WithCut(): Scenario {
  const s = new Scene('refusal-upstream-nginx-502');
  const api = target('api', { server: 'nginx/1.24.0' }, { peerSeen: '10.0.4.11' });
  const at = timer.precise(60);
  s.layerCut(paths([FRA, NYC], [api], [DIRECT, SQUID]), { drops: 160, nS: 60, at, end: FIN, kind: 'idle' });
  s.healthy(paths([FRA, NYC], [target('chat')], [DIRECT, SQUID]), 6);
  return s.scenario({
    classes: ['refusal', 'several-layers'],
    refusals: grouped([
      { target: 'api', proxy: 'direct', outcome: 'upgrade_refused', reason: '502', server: 'nginx/1.24.0', count: 9, attempts: 95, headers: { server: 'nginx/1.24.0' }, errorCode: 'HTTP_502', bodyExcerpt: '502 Bad Gateway nginx/1.24.0' },
      { target: 'api', proxy: SQUID.name, outcome: 'upgrade_refused', reason: '502', server: 'nginx/1.24.0', count: 8, attempts: 88, headers: { server: 'nginx/1.24.0' }, errorCode: 'HTTP_502', bodyExcerpt: '502 Bad Gateway nginx/1.24.0' },
    ]),
    expect: {
      signatures: [{ nMs: expectN(at), kind: 'idle', place: { scope: 'target', value: 'api' }, software: 'nginx' }],
      findings: [{ kind: 'refusal', cause: 'proxy-upstream-unreachable' }],
    },
  });
}
