/**
 * Layers by where they sit and how they count: several cutting within seconds of each
 * other through one probe, lifetime limits (GCP's backend timeout, an Envoy route
 * timeout), a carrier NAT on one region's probes, an office firewall on one probe, a
 * background of random drops, and ladder canaries bracketing an idle timeout.
 */
import { DIRECT, expectN, FIN, FIN_RST, FRA, HB, IDLE, NYC, paths, probe, RST, Scene, SOCKS, SQUID, target, timer } from '../blocks';
import type { Scenario } from '../scenario';
import { frontCut } from './software';

/**
 * One probe; squid-corp cuts every idle tunnel at 30 s (whole-second clock), nginx in front
 * of api at 33 s, HAProxy in front of orders at 36 s. Through squid, api's 101 still says
 * nginx: squid's cut must not take that name.
 */
export function severalLayers303336(): Scenario {
  const s = new Scene('several-layers-squid30-nginx33-haproxy36');
  const api = target('api', { server: 'nginx/1.24.0' }, { peerSeen: '10.0.4.11' });
  const orders = target('orders', {}, { peerSeen: '10.0.3.5' });
  const chat = target('chat');
  const squid30 = timer.squid(30);
  const nginx33 = timer.precise(33);
  const haproxy36 = timer.precise(36);
  s.layerCut(paths([FRA], [api, orders, chat], [SQUID]), { drops: 45, nS: 30, at: squid30, end: FIN, kind: 'idle' });
  s.layerCut(paths([FRA], [api], [DIRECT, SOCKS]), { drops: 60, nS: 33, at: nginx33, end: FIN, kind: 'idle' });
  s.layerCut(paths([FRA], [orders], [DIRECT, SOCKS]), { drops: 40, nS: 36, at: haproxy36, end: FIN_RST, kind: 'idle' });
  s.healthy(paths([FRA], [chat], [DIRECT, SOCKS]), 8);
  return s.scenario({
    classes: ['several-layers', 'software-wrong-place', 'coarse-timer'],
    expect: {
      signatures: [
        { nMs: expectN(squid30), kind: 'idle', place: { scope: 'proxy', value: 'squid-corp' }, software: null },
        { nMs: expectN(nginx33), kind: 'idle', place: { scope: 'target', value: 'api' }, software: 'nginx' },
        { nMs: expectN(haproxy36), kind: 'idle', place: { scope: 'target', value: 'orders' }, software: null },
      ],
    },
  });
}

/** GCP's load balancer (Via: 1.1 google) caps WebSockets at its 30 s backend timeout: idle, heartbeat and ladder canaries alike. */
export function gcpLifetimeLadder(): Scenario {
  const s = new Scene('gcp-30-lifetime-ladder');
  const web = target('web', { via: '1.1 google' }, { peerSeen: '35.191.0.1' });
  const at = timer.precise(30);
  const webPaths = paths([FRA, NYC], [web], [DIRECT, SOCKS]);
  s.layerCut(webPaths, { drops: 120, nS: 30, at, end: FIN, kind: 'lifetime' });
  for (const p of webPaths) s.ladder(p, 3, { at, end: FIN });
  s.healthy(paths([FRA, NYC], [target('chat')], [DIRECT, SOCKS]), 6);
  return s.scenario({
    classes: ['lifetime', 'ladder'],
    expect: { signatures: [{ nMs: expectN(at), kind: 'lifetime', place: { scope: 'target', value: 'web' }, software: 'Google' }] },
  });
}

export const envoyRouteLifetime = (): Scenario =>
  frontCut({
    name: 'envoy-route-60-lifetime',
    classes: ['lifetime', 'software-non-default'],
    front: target('grpc-web', { server: 'istio-envoy' }, { peerSeen: '10.0.6.3' }),
    nS: 60,
    at: timer.precise(60),
    end: FIN,
    kind: 'lifetime',
    drops: 110,
    software: 'Envoy',
    why: "An Istio route with timeout: 60s bounds the upgraded stream's whole life: heartbeats die too, which nginx's or ALB's idle 60 s would not do.",
  });

/** A carrier-grade NAT on the eu probes resets flows idle for 270 s at its next sweep (every 4 s), directly and on the way to a proxy. */
export function carrierNatLabel(): Scenario {
  const s = new Scene('carrier-nat-eu-label');
  const eu = [probe('edge-fra-1', { region: 'eu' }), probe('edge-ams-1', { region: 'eu' }), probe('edge-mad-1', { region: 'eu' })];
  const us = [probe('edge-nyc-1', { region: 'us' }), probe('edge-sfo-1', { region: 'us' })];
  const targets = [target('api'), target('chat')];
  const at = timer.sweep(270, 4);
  s.layerCut(paths(eu, targets, [DIRECT, SOCKS]), { drops: 200, nS: 270, at, end: RST, kind: 'idle' });
  s.healthy(paths(us, targets, [DIRECT, SOCKS]), 6);
  return s.scenario({
    classes: ['label', 'coarse-timer'],
    expect: { signatures: [{ nMs: expectN(at), kind: 'idle', place: { scope: 'label', value: 'region=eu' }, software: null }] },
  });
}

/** A FortiGate on probe office-ber-1 (session ttl 1800, reset on timeout, swept every ~10 s); the other probes' canaries outlive it. */
export function officeFirewallProbe(): Scenario {
  const s = new Scene('office-firewall-probe-1800');
  const office = probe('office-ber-1', { region: 'eu', site: 'ber-office' });
  const targets = [target('api'), target('chat')];
  const at = timer.sweep(1800, 10);
  s.layerCut(paths([office], targets, [DIRECT, SQUID]), { drops: 24, nS: 1800, at, end: RST, kind: 'idle' });
  s.healthy(paths([FRA, NYC], targets, [DIRECT, SQUID]), 6, [IDLE, HB], [2_000_000, 21_600_000]);
  return s.scenario({
    classes: ['probe'],
    expect: { signatures: [{ nMs: expectN(at), kind: 'idle', place: { scope: 'probe', value: 'office-ber-1' }, software: null }] },
  });
}

/** 2,000 drops at random ages (mean 15 min) over the whole matrix: no signature. */
export function backgroundOnly(): Scenario {
  const s = new Scene('background-only');
  const all = paths([FRA, NYC], [target('api'), target('chat'), target('orders')], [DIRECT, SQUID, SOCKS]);
  s.healthy(all, 4);
  s.random(all, 2000, { meanMs: 900_000 });
  return s.scenario({ classes: ['background'], expect: { signatures: [] } });
}

/** 800 random drops and nginx's default 60 s in front of api, 40 drops. */
export function backgroundWithNginx(): Scenario {
  const s = new Scene('background-with-nginx-60');
  const api = target('api', { server: 'nginx/1.24.0' }, { peerSeen: '10.0.4.11' });
  const chat = target('chat');
  const at = timer.precise(60);
  const apiPaths = paths([FRA, NYC], [api], [DIRECT, SQUID, SOCKS]);
  const chatPaths = paths([FRA, NYC], [chat], [DIRECT, SQUID, SOCKS]);
  s.layerCut(apiPaths, { drops: 40, nS: 60, at, end: FIN, kind: 'idle' });
  s.healthy(chatPaths, 6);
  // Random drops: on api only heartbeat canaries live long enough to have them at any age.
  s.random(chatPaths, 600, { meanMs: 600_000 }).random(apiPaths, 200, { meanMs: 600_000 }, [HB]);
  return s.scenario({
    classes: ['background'],
    expect: { signatures: [{ nMs: expectN(at), kind: 'idle', place: { scope: 'target', value: 'api' }, software: 'nginx' }] },
  });
}

/** HAProxy (timeout client 50s) in front of ws-api, bracketed by the ladder: 15, 30, 45 s of silence survive, 60 s and more are cut at 50. */
export function ladderHaproxy50(): Scenario {
  const s = new Scene('ladder-haproxy-50');
  const wsApi = target('ws-api', {}, { peerSeen: '10.0.3.21' });
  const at = timer.precise(50);
  const cutPaths = paths([FRA, NYC], [wsApi], [DIRECT]);
  s.layerCut(cutPaths, { drops: 20, nS: 50, at, end: FIN_RST, kind: 'idle' });
  for (const p of cutPaths) s.ladder(p, 8, { at, end: FIN_RST });
  for (const p of paths([FRA, NYC], [target('chat')], [DIRECT])) s.healthy([p], 6).ladder(p, 4, null);
  return s.scenario({
    classes: ['ladder', 'software-unseen'],
    expect: { signatures: [{ nMs: expectN(at), kind: 'idle', place: { scope: 'target', value: 'ws-api' }, software: null }] },
  });
}

/**
 * A cable ISP's NAT forgets flows idle for 40 s without telling anyone: the ladder's 45 s
 * and longer rungs get no pong (no byte after the 101), idle canaries never notice,
 * heartbeats every 25 s keep it open. Bracketed by the ladder, but no exact N to see.
 */
export function ladderNatSilent(): Scenario {
  const s = new Scene('ladder-nat-silent');
  const ams = probe('edge-ams-1', { region: 'eu', isp: 'cable-x' });
  const api = target('api');
  for (const p of paths([ams], [api, target('chat')], [DIRECT])) s.ladder(p, 6, { silentAfterMs: 40_000 }).healthy([p], 6);
  for (const p of paths([FRA, NYC], [api], [DIRECT])) s.ladder(p, 4, null).healthy([p], 6);
  return s.scenario({ classes: ['ladder', 'phantom-never-pong', 'label'], expect: { signatures: [] } });
}

export const layerScenarios = (): Scenario[] => [
  severalLayers303336(),
  gcpLifetimeLadder(),
  envoyRouteLifetime(),
  carrierNatLabel(),
  officeFirewallProbe(),
  backgroundOnly(),
  backgroundWithNginx(),
  ladderHaproxy50(),
  ladderNatSilent(),
];
