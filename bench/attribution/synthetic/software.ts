/**
 * Naming the software from what the probe saw, at timeouts that are not the defaults: the
 * 101's identifying headers name the layer in front of a target (nginx at 75 s, not 60);
 * unknown software names itself all the same; HAProxy, an L4 proxy and SOCKS servers show
 * nothing; a forward proxy's cut must not borrow the Server header of the target's front;
 * and when a CDN and the origin both show themselves, the kind of the cut tells which.
 */
import { DIRECT, type Ending, expectN, FIN, FIN_RST, FRA, IDLE, NYC, paths, proxy, RST, Scene, SOCKS, SQUID, target, timer, type Path, type Proxy, type Target, type Timer } from '../blocks';
import type { ExpectedSignature, Scenario } from '../scenario';

interface FrontCut {
  name: string;
  classes: string[];
  /** The target the layer fronts, with the headers its 101 carries. */
  front: Target;
  nS: number;
  at: Timer;
  end: Ending;
  kind: 'idle' | 'lifetime';
  drops: number;
  software: string | null;
  why?: string;
}

/**
 * A layer in front of one target, on the usual matrix: two probes, directly and through
 * both forward proxies (CONNECT and SOCKS pass the 101 through untouched); target chat,
 * with nothing in front of it, is the control.
 */
export function frontCut(o: FrontCut): Scenario {
  const s = new Scene(o.name);
  const chat = target('chat');
  const cut = paths([FRA, NYC], [o.front], [DIRECT, SQUID, SOCKS]);
  const control = paths([FRA, NYC], [chat], [DIRECT, SQUID, SOCKS]);
  s.layerCut(cut, { drops: o.drops, nS: o.nS, at: o.at, end: o.end, kind: o.kind });
  s.healthy(control, 6);
  noise(s, cut, control, o.at);
  const expected: ExpectedSignature = { nMs: expectN(o.at), kind: o.kind, place: { scope: 'target', value: o.front.name }, software: o.software };
  return s.scenario({ classes: o.classes, ...(o.why && { why: o.why }), expect: { signatures: [expected] } });
}

/** A forward proxy cuts; the 101s carry the identity of the targets' own front. */
function proxyCut(o: { name: string; classes: string[]; via: Proxy; targets: Target[]; nS: number; at: Timer; end: Ending; drops: number; why: string }): Scenario {
  const s = new Scene(o.name);
  const cut = paths([FRA, NYC], o.targets, [o.via]);
  const control = paths([FRA, NYC], o.targets, [DIRECT, SQUID]);
  s.layerCut(cut, { drops: o.drops, nS: o.nS, at: o.at, end: o.end, kind: 'idle' });
  s.healthy(control, 6);
  noise(s, cut, control, o.at);
  return s.scenario({
    classes: o.classes,
    why: o.why,
    expect: { signatures: [{ nMs: expectN(o.at), kind: 'idle', place: { scope: 'proxy', value: o.via.name }, software: null }] },
  });
}

/**
 * The odd unrelated drop (a flaky link, a proxy restart): ten at any age on the paths
 * nothing cuts, four on the cut paths before their N (after it, nothing is left to drop).
 */
function noise(s: Scene, cut: readonly Path[], control: readonly Path[], at: Timer): void {
  s.random(control, 10, { meanMs: 1_200_000 });
  s.random(cut, 4, { window: [1000, at.lo * 0.9] }, [IDLE]);
}

export const softwareScenarios = (): Scenario[] => [
  frontCut({
    name: 'nginx-75-target',
    classes: ['software-non-default'],
    front: target('api', { server: 'nginx/1.22.1' }, { peerSeen: '10.0.4.11' }),
    nS: 75,
    at: timer.precise(75),
    end: FIN,
    kind: 'idle',
    drops: 180,
    software: 'nginx',
    why: 'proxy_read_timeout 75s: not the 60 s default, but the 101 names nginx on every path to api.',
  }),
  frontCut({
    name: 'apache-45-target',
    classes: ['software-non-default'],
    front: target('billing', { server: 'Apache/2.4.57 (Debian)' }, { peerSeen: '10.0.5.3' }),
    nS: 45,
    at: timer.precise(45),
    end: FIN,
    kind: 'idle',
    drops: 60,
    software: 'Apache',
    why: "mod_proxy_wstunnel under ProxyTimeout 45: 45 s is also Socket.IO's default, but the 101 names Apache httpd.",
  }),
  frontCut({
    name: 'envoy-120-stream-idle',
    classes: ['software-non-default'],
    front: target('events', { server: 'envoy' }, { peerSeen: '10.0.6.9' }),
    nS: 120,
    at: timer.precise(120),
    end: FIN,
    kind: 'idle',
    drops: 90,
    software: 'Envoy',
    why: "stream_idle_timeout 120s: Cloudflare's newer default is 120 s too, but nothing says Cloudflare and the 101 says envoy.",
  }),
  frontCut({
    name: 'kong-90-via',
    classes: ['software-non-default', 'software-several'],
    front: target('quotes', { via: '1.1 kong/3.4.2', server: 'uvicorn' }, { canary: false }),
    nS: 90,
    at: timer.precise(90),
    end: FIN,
    kind: 'idle',
    drops: 40,
    software: 'Kong',
    why: "Kong's service read_timeout 90000: a FIN at 90 s of silence is the gateway's (Via: kong), not uvicorn's, the application server behind it, which would send a close frame.",
  }),
  frontCut({
    name: 'caddy-240-stream-timeout',
    classes: ['software-non-default', 'lifetime'],
    front: target('live', { server: 'Caddy' }, { peerSeen: '10.0.7.2' }),
    nS: 240,
    at: timer.precise(240),
    end: FIN,
    kind: 'lifetime',
    drops: 24,
    software: 'Caddy',
    why: "reverse_proxy stream_timeout 4m closes upgraded streams at that age, heartbeats or not; Azure LB's 240 s is idle-based and would spare heartbeats.",
  }),
  frontCut({
    name: 'acme-gw-80',
    classes: ['software-unknown'],
    front: target('ledger', { server: 'acme-gw/2.3' }, { peerSeen: '10.0.9.1' }),
    nS: 80,
    at: timer.precise(80),
    end: RST,
    kind: 'idle',
    drops: 8,
    software: 'acme-gw',
  }),
  frontCut({
    name: 'tengine-100',
    classes: ['software-unknown'],
    front: target('shop', { server: 'Tengine' }, { peerSeen: '10.0.9.8' }),
    nS: 100,
    at: timer.precise(100),
    end: FIN,
    kind: 'idle',
    drops: 70,
    software: 'Tengine',
    why: "100 s is Cloudflare's timeout, but no cf-ray and Server: Tengine (Alibaba's nginx fork, proxy_read_timeout 100s).",
  }),
  frontCut({
    name: 'haproxy-42-no-server',
    classes: ['software-unseen'],
    front: target('orders', {}, { peerSeen: '10.0.3.5' }),
    nS: 42,
    at: timer.precise(42),
    end: FIN_RST,
    kind: 'idle',
    drops: 100,
    software: null,
    why: 'HAProxy (timeout tunnel 42s) adds no Server header: FIN to the client and reset to the server say HAProxy to an SRE, but nothing names it.',
  }),
  frontCut({
    name: 'l4-proxy-180',
    classes: ['software-unseen'],
    front: target('feed', {}, { peerSeen: '10.0.8.4' }),
    nS: 180,
    at: timer.precise(180),
    end: FIN,
    kind: 'idle',
    drops: 36,
    software: null,
    why: 'An L4 proxy (nginx stream proxy_timeout 3m) sees no HTTP: the 101 is the canary target\'s own.',
  }),
  proxyCut({
    name: 'socks5-90-proxy',
    classes: ['software-unseen', 'coarse-timer', 'software-wrong-place'],
    via: SOCKS,
    targets: [target('api', { server: 'nginx/1.24.0' }, { peerSeen: '10.0.4.11' }), target('chat')],
    nS: 90,
    at: timer.wholeSecond(90),
    end: FIN,
    drops: 48,
    why: "dante's timeout.io on a whole-second clock spreads its cuts over 89-91 s; a SOCKS reply names nothing, and api's Server: nginx is api's front, not the proxy.",
  }),
  proxyCut({
    name: 'wrong-place-forward-proxy-37',
    classes: ['software-wrong-place', 'coarse-timer'],
    via: proxy('corp-proxy', 'http'),
    targets: [target('api', { server: 'nginx/1.24.0' }, { peerSeen: '10.0.4.11' }), target('web', { server: 'nginx/1.24.0' }, { peerSeen: '10.0.4.12' })],
    nS: 37,
    at: timer.squid(37),
    end: FIN,
    drops: 64,
    why: "A corporate squid (read_timeout 37 s) cuts CONNECT tunnels; every 101 through it says nginx because both targets sit behind nginx, which cuts nothing on the direct path: the header speaks for another layer.",
  }),
  proxyCut({
    name: 'wrong-place-cloudflare-socks-52',
    classes: ['software-wrong-place'],
    via: proxy('res-socks', 'socks5'),
    targets: [target('app', { server: 'cloudflare', 'cf-ray': '8e1f0b7c2d3a4e5f-FRA' }, { peerSeen: '172.70.1.1' })],
    nS: 52,
    at: timer.precise(52),
    end: FIN,
    drops: 20,
    why: 'A residential SOCKS provider cuts at 52 s; the 101 through it is Cloudflare\'s (in front of the target), whose 100 s does not apply here.',
  }),
  frontCut({
    name: 'cdn-google-30-origin-nginx',
    classes: ['software-several', 'lifetime'],
    front: target('web', { via: '1.1 google', server: 'nginx/1.25.3' }, { peerSeen: '35.191.0.1' }),
    nS: 30,
    at: timer.precise(30),
    end: FIN,
    kind: 'lifetime',
    drops: 150,
    software: 'Google',
    why: "GCP's external load balancer (Via: 1.1 google) caps a WebSocket at the backend service timeout, 30 s by default, idle or not: heartbeats die too, which nginx's idle proxy_read_timeout would not do.",
  }),
  frontCut({
    name: 'cdn-google-origin-nginx-47-idle',
    classes: ['software-several'],
    front: target('web', { via: '1.1 google', server: 'nginx/1.25.3' }, { peerSeen: '35.191.0.1' }),
    nS: 47,
    at: timer.precise(47),
    end: FIN,
    kind: 'idle',
    drops: 60,
    software: 'nginx',
    why: "Neither default matches 47 s. Heartbeats outlive it, so it follows silence: GCP's backend timeout follows age and would cut them; nginx's proxy_read_timeout is idle-based. The evidence favours the origin's nginx.",
  }),
];
