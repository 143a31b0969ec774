/**
 * Signatures close to each other on different paths: between max(1 s, 2 % of N) and 5 s
 * apart, with more or fewer drops than their neighbour, tight or spread by a whole-second
 * clock, beside a black-holed heartbeat path. Each must be found where it is.
 */
import { DIRECT, ECHO, expectN, FIN, FIN_RST, FRA, HB, IDLE, NYC, paths, probe, proxy, RST, Scene, SOCKS, target, timer, type Timer } from '../blocks';
import type { Scenario } from '../scenario';

/**
 * squid-eu (read_timeout 57 s, whole-second clock) on both targets; nginx's default 60 s in
 * front of api; HAProxy (timeout tunnel 63s) in front of chat, with only 15 drops. Through
 * squid-eu idle canaries die at 57 s whatever the target, before nginx or HAProxy can;
 * target status, fronted by nothing, is the control elsewhere.
 */
export function neighbours576063(): Scenario {
  const s = new Scene('neighbours-57-60-63');
  const squidEu = proxy('squid-eu', 'http');
  const api = target('api', { server: 'nginx/1.24.0' }, { peerSeen: '10.0.4.11' });
  const chat = target('chat', {}, { peerSeen: '10.0.3.5' });
  const squid57 = timer.squid(57);
  const nginx60 = timer.precise(60);
  const haproxy63 = timer.precise(63);
  const status = target('status');
  s.layerCut(paths([FRA, NYC], [api, chat, status], [squidEu]), { drops: 40, nS: 57, at: squid57, end: FIN, kind: 'idle' });
  s.layerCut(paths([FRA, NYC], [api], [DIRECT, SOCKS]), { drops: 200, nS: 60, at: nginx60, end: FIN, kind: 'idle' });
  s.layerCut(paths([FRA, NYC], [chat], [DIRECT, SOCKS]), { drops: 15, nS: 63, at: haproxy63, end: FIN_RST, kind: 'idle' });
  // Target status, fronted by nothing, outlives 63 s except through squid-eu: the control.
  s.healthy(paths([FRA, NYC], [status], [DIRECT, SOCKS]), 6);
  return s.scenario({
    classes: ['neighbours', 'several-layers', 'coarse-timer', 'software-wrong-place'],
    expect: {
      signatures: [
        { nMs: expectN(squid57), kind: 'idle', place: { scope: 'proxy', value: 'squid-eu' }, software: null },
        { nMs: expectN(nginx60), kind: 'idle', place: { scope: 'target', value: 'api' }, software: 'nginx' },
        { nMs: expectN(haproxy63), kind: 'idle', place: { scope: 'target', value: 'chat' }, software: null },
      ],
    },
  });
}

/**
 * Thirty drops within 130 ms of 75 s (a mobile proxy's idle timer) between two big
 * spikes 3 s away: nginx at 72 s in front of api (250 drops) and HAProxy at 78 s in front
 * of chat (120). Through mobile-de, api's canaries die at nginx's 72 s first, so the 75 s
 * cut shows on chat and status, whose direct paths outlive 75 s: the proxy's.
 */
export function neighboursTightBetweenSpikes(): Scenario {
  const s = new Scene('neighbours-tight-75-between-spikes');
  const mobile = proxy('mobile-de', 'socks5');
  const api = target('api', { server: 'nginx/1.24.0' }, { peerSeen: '10.0.4.11' });
  const chat = target('chat', {}, { peerSeen: '10.0.3.5' });
  const nginx72 = timer.precise(72);
  const mobile75 = timer.around(75, 130);
  const haproxy78 = timer.precise(78);
  s.layerCut(paths([FRA, NYC], [api], [DIRECT, mobile, SOCKS]), { drops: 250, nS: 72, at: nginx72, end: FIN, kind: 'idle' });
  const status = target('status');
  s.layerCut(paths([FRA, NYC], [chat, status], [mobile]), { drops: 30, nS: 75, at: mobile75, end: RST, kind: 'idle' });
  s.layerCut(paths([FRA, NYC], [chat], [DIRECT, SOCKS]), { drops: 120, nS: 78, at: haproxy78, end: FIN_RST, kind: 'idle' });
  // Target status, fronted by nothing, outlives every N but through mobile-de: the control.
  s.healthy(paths([FRA, NYC], [status], [DIRECT, SOCKS]), 6);
  return s.scenario({
    classes: ['neighbours'],
    expect: {
      signatures: [
        { nMs: expectN(nginx72), kind: 'idle', place: { scope: 'target', value: 'api' }, software: 'nginx' },
        { nMs: expectN(mobile75), kind: 'idle', place: { scope: 'proxy', value: 'mobile-de' }, software: null },
        { nMs: expectN(haproxy78), kind: 'idle', place: { scope: 'target', value: 'chat' }, software: null },
      ],
    },
  });
}

/**
 * A SOCKS proxy on a whole-second clock (timeout.io 120, cuts over 119-121 s) between a
 * squid at 116 s and nginx at 124 s in front of api, while probe edge-waw-1's heartbeat
 * path to chat black-holes now and then (its silent deaths fall on the heartbeat grid,
 * 25 s apart, at no fixed age).
 */
export function neighboursSocksSpreadBlackHole(): Scenario {
  const s = new Scene('neighbours-socks-spread-black-hole');
  const waw = probe('edge-waw-1', { region: 'eu' });
  const socksRes = proxy('socks-res', 'socks5');
  const squidOffice = proxy('squid-office', 'http');
  const api = target('api', { server: 'nginx/1.24.0' }, { peerSeen: '10.0.4.11' });
  const chat = target('chat');
  const squid116 = timer.squid(116);
  const socks120 = timer.wholeSecond(120);
  const nginx124 = timer.precise(124);
  s.layerCut(paths([FRA, NYC], [api, chat], [squidOffice]), { drops: 30, nS: 116, at: squid116, end: FIN, kind: 'idle' });
  s.layerCut(paths([FRA, NYC], [api, chat], [socksRes]), { drops: 60, nS: 120, at: socks120, end: FIN, kind: 'idle' });
  s.layerCut(paths([FRA, NYC], [api], [DIRECT]), { drops: 100, nS: 124, at: nginx124, end: FIN, kind: 'idle' });
  s.healthy(paths([FRA, NYC], [chat], [DIRECT]), 8);
  const blackHoled = paths([waw], [chat], [DIRECT])[0]!;
  s.silentHeartbeats(blackHoled, 60, { at: (r) => 30_000 + -Math.log(1 - r()) * 2_400_000, lo: 0, hi: 0 }).survive(blackHoled, 10, IDLE);
  s.healthy(paths([waw], [api], [DIRECT]), 4, [HB]);
  return s.scenario({
    classes: ['neighbours', 'coarse-timer', 'black-hole'],
    expect: {
      signatures: [
        { nMs: expectN(squid116), kind: 'idle', place: { scope: 'proxy', value: 'squid-office' }, software: null },
        { nMs: expectN(socks120), kind: 'idle', place: { scope: 'proxy', value: 'socks-res' }, software: null },
        { nMs: expectN(nginx124), kind: 'idle', place: { scope: 'target', value: 'api' }, software: 'nginx' },
      ],
      findings: [{ kind: 'silent-death', cause: 'black-hole' }],
    },
  });
}

/**
 * nginx at 200 s in front of stream (70 drops) and, 4.5 s later, a carrier NAT that resets
 * flows idle for 204 s at its next half-second sweep, on probes labelled isp=telco-x (12
 * drops). The NAT's cut shows only on chat: on stream, nginx cuts first.
 */
export function neighbours200NatLabel(): Scenario {
  const s = new Scene('neighbours-200-nat-204');
  const t1 = probe('edge-fra-2', { region: 'eu', isp: 'telco-x' });
  const t2 = probe('edge-muc-1', { region: 'eu', isp: 'telco-x' });
  const fra = probe('edge-fra-1', { region: 'eu', isp: 'dtag' });
  const nyc = probe('edge-nyc-1', { region: 'us', isp: 'comcast' });
  const stream = target('stream', { server: 'nginx/1.26.1' }, { peerSeen: '10.0.4.20' });
  const chat = target('chat');
  const nginx200 = timer.precise(200);
  const nat204 = timer.sweep(204, 0.5);
  s.layerCut(paths([t1, t2, fra, nyc], [stream], [DIRECT, SOCKS]), { drops: 70, nS: 200, at: nginx200, end: FIN, kind: 'idle' });
  s.layerCut(paths([t1, t2], [chat], [DIRECT, SOCKS]), { drops: 12, nS: 204, at: nat204, end: RST, kind: 'idle' });
  s.healthy(paths([fra, nyc], [chat], [DIRECT, SOCKS]), 6);
  return s.scenario({
    classes: ['neighbours', 'label'],
    expect: {
      signatures: [
        { nMs: expectN(nginx200), kind: 'idle', place: { scope: 'target', value: 'stream' }, software: 'nginx' },
        { nMs: expectN(nat204), kind: 'idle', place: { scope: 'label', value: 'isp=telco-x' }, software: null },
      ],
    },
  });
}

/**
 * Short timeouts 3 s apart: HAProxy (timeout tunnel 12s) in front of rt, where idle and
 * heartbeat canaries die (the heartbeat's first ping is at 25 s) and echo canaries, talking
 * every 10 s, live; and Envoy's default 15 s route timeout in front of grpc, which ends
 * echo canaries too: a lifetime.
 */
export function neighboursShort12And15(): Scenario {
  const s = new Scene('neighbours-short-12-15');
  const rt = target('rt', {}, { peerSeen: '10.0.3.9' });
  const grpc = target('grpc', { server: 'istio-envoy' }, { peerSeen: '10.0.6.3' });
  const haproxy12 = timer.precise(12);
  const envoy15 = timer.precise(15);
  for (const p of paths([FRA, NYC], [rt], [DIRECT, SOCKS])) cutAll(s, p, 10, haproxy12, FIN_RST, false);
  for (const p of paths([FRA, NYC], [grpc], [DIRECT, SOCKS])) cutAll(s, p, 25, envoy15, FIN, true);
  s.healthy(paths([FRA, NYC], [target('chat')], [DIRECT, SOCKS]), 5, [IDLE, HB, ECHO]);
  return s.scenario({
    classes: ['neighbours', 'lifetime'],
    expect: {
      signatures: [
        { nMs: expectN(haproxy12), kind: 'idle', place: { scope: 'target', value: 'rt' }, software: null },
        { nMs: expectN(envoy15), kind: 'lifetime', place: { scope: 'target', value: 'grpc' }, software: 'Envoy' },
      ],
    },
  });
}

/** `n` idle, `n` heartbeat and (when `echoDies`) `n` echo canaries cut at `at`; else echo ones survive. */
function cutAll(s: Scene, p: Parameters<Scene['idleCut']>[0], n: number, at: Timer, end: typeof FIN, echoDies: boolean): void {
  s.idleCut(p, n, at, end).talkerCut(p, n, at, end, HB);
  if (echoDies) s.talkerCut(p, n, at, end, ECHO);
  else s.survive(p, 5, ECHO);
}
