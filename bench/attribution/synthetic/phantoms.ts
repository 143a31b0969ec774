/**
 * Drops that are not an "exactly N seconds" cut and must not become one: canaries whose
 * endpoint never answers a ping (no byte after the 101, so no age), reconnects a paused
 * target closes right after the upgrade, and a close frame sent after N s of silence (a
 * signature at N on the idle axis, whatever the sessions' ages).
 */
import { userLayersSchema } from '../../../lib/analysis/catalogue';
import {
  closeFrame,
  DIRECT,
  expectN,
  FIN,
  FRA,
  heartbeat,
  HB,
  IDLE,
  LADDER_GAPS_S,
  NYC,
  paths,
  probe,
  proxy,
  rung,
  Scene,
  SOCKS,
  SQUID,
  T0,
  target,
  timer,
  type Path,
  type Timer,
} from '../blocks';
import type { Scenario } from '../scenario';

/**
 * An application endpoint that ignores pings (a hand-rolled server that never answers
 * control frames): every heartbeat canary dies at its first pong deadline, every ladder
 * rung at its ping's, none with a byte received after the 101. Idle canaries to it, and
 * everything to a healthy canary target, live on.
 */
export function neverPongHeartbeatLadder(): Scenario {
  const s = new Scene('never-pong-heartbeat-ladder');
  const legacy = target('legacy-push', { server: 'legacy-push/0.9' }, { canary: false });
  const api = target('api');
  for (const p of paths([FRA, NYC], [legacy], [DIRECT])) {
    s.neverPonged(p, 60, HB).survive(p, 12, IDLE);
    for (const g of LADDER_GAPS_S) s.neverPonged(p, 4, rung(g));
  }
  for (const p of paths([FRA, NYC], [api], [DIRECT])) s.healthy([p], 10).ladder(p, 3, null);
  return s.scenario({
    classes: ['phantom-never-pong', 'ladder'],
    expect: { signatures: [], findings: [{ kind: 'silent-death', cause: 'never-ponged' }] },
  });
}

/**
 * The same endpoint reached directly and through both proxies, fewer deaths (30), beside a
 * real cut: nginx's default 60 s in front of another target.
 */
export function neverPongBesideNginx(): Scenario {
  const s = new Scene('never-pong-beside-nginx');
  const legacy = target('legacy-push', {}, { canary: false });
  const api = target('api', { server: 'nginx/1.24.0' }, { peerSeen: '10.0.4.11' });
  const chat = target('chat');
  for (const p of paths([FRA], [legacy], [DIRECT, SQUID, SOCKS])) s.neverPonged(p, 10, HB).survive(p, 8, IDLE);
  const at = timer.precise(60);
  s.layerCut(paths([FRA, NYC], [api], [DIRECT, SQUID, SOCKS]), { drops: 90, nS: 60, at, end: FIN, kind: 'idle' });
  s.healthy(paths([FRA, NYC], [chat], [DIRECT, SQUID, SOCKS]), 6);
  return s.scenario({
    classes: ['phantom-never-pong'],
    expect: {
      signatures: [{ nMs: expectN(at), kind: 'idle', place: { scope: 'target', value: 'api' }, software: 'nginx' }],
      findings: [{ kind: 'silent-death', cause: 'never-ponged' }],
    },
  });
}

/** The quick-start demo's probe and paths: the built-in target, directly and through the 20 s demo proxy. */
function demoScene(name: string) {
  const s = new Scene(name);
  const demo = probe('demo');
  const builtin = target('builtin');
  const demoProxy = proxy('demo-proxy-idle-20s', 'http');
  return { s, hb10: heartbeat(10), direct: paths([demo], [builtin], [DIRECT])[0]!, viaProxy: paths([demo], [builtin], [demoProxy])[0]! };
}

/**
 * The quick-start demo (demo/run-demo.ts) with `dropscope target pause --for 2m`: the demo
 * proxy cuts idle tunnels at 20 s (a Node socket timeout, FIN both ways) all along; during
 * the pause the open canaries get 1001 and every reconnect is closed by the target right
 * after its 101 with 1013, directly and through the proxy. The reconnects are an outage,
 * not a timeout: no signature at ~0 s, an early-close finding instead.
 */
export function targetPauseDemo(): Scenario {
  const { s, hb10, direct, viaProxy } = demoScene('target-pause-demo');
  const span: [number, number] = [T0, T0 + 34 * 60_000];
  const pause: [number, number] = [T0 + 16 * 60_000, T0 + 18 * 60_000];
  const at = timer.precise(20);
  // Before and after the pause: two idle canaries through the proxy cut every ~20 s.
  for (let i = 0; i < 84; i++) s.add(viaProxy, IDLE, { ...cut(s, at), end: FIN, endedAt: s.when(span) });
  s.survive(direct, 4, IDLE, [60_000, 16 * 60_000]).survive(direct, 2, hb10, [60_000, 16 * 60_000]).survive(viaProxy, 2, hb10, [60_000, 16 * 60_000]);
  s.ladder(direct, 6, null, [10, 30]).ladder(viaProxy, 6, { at, end: FIN }, [10, 30]);
  // The pause: canaries open at that moment get 1001 at whatever age they had.
  for (const [p, prof] of [[direct, IDLE], [direct, IDLE], [direct, hb10], [viaProxy, hb10]] as const) {
    const age = Math.round(5_000 + s.r() * 900_000);
    s.add(p, prof, { ageMs: age, idleMs: prof === IDLE ? age : Math.round(s.r() * 10_000), end: closeFrame(1001), endedAt: pause[0] });
  }
  // Every reconnect during the pause: closed 2-40 ms after its 101.
  for (const [p, n] of [[direct, 34], [viaProxy, 18]] as const) earlyCloses(s, p, n, 1013, pause);
  return s.scenario({
    classes: ['phantom-target-pause', 'ladder'],
    expect: {
      signatures: [{ nMs: expectN(at), kind: 'idle', place: { scope: 'proxy', value: 'demo-proxy-idle-20s' }, software: null }],
      findings: [{ kind: 'early-close', cause: 'endpoint-close' }],
    },
  });
}

/**
 * The quick-start demo paused as it really went (seen on a live server): the idle
 * canaries through the proxy reconnect right after each 20 s cut, so when the pause
 * closes every open canary with 1001 at one instant, six of them are 2-4 s old and
 * silent since their 101. Their idle times cluster by that coincidence, not by a timer:
 * one instant, one event, no N.
 */
export function targetPauseOpenCanariesCoincide(): Scenario {
  const { s, hb10, direct, viaProxy } = demoScene('target-pause-open-canaries-coincide');
  const span: [number, number] = [T0, T0 + 3 * 60_000];
  const pause: [number, number] = [T0 + 3 * 60_000, T0 + 4 * 60_000 + 30_000];
  const at = timer.precise(20);
  for (let i = 0; i < 9; i++) s.add(viaProxy, IDLE, { ...cut(s, at), end: FIN, endedAt: s.when(span) });
  s.survive(direct, 4, IDLE, [60_000, 3 * 60_000]).survive(direct, 1, hb10, [60_000, 3 * 60_000]).survive(viaProxy, 1, hb10, [60_000, 3 * 60_000]);
  for (const [p, prof, age] of [
    [viaProxy, IDLE, 2_846], [viaProxy, IDLE, 2_714], [viaProxy, IDLE, 2_356], [direct, IDLE, 3_123], [direct, IDLE, 3_410], [viaProxy, IDLE, 2_990],
    [direct, hb10, 63_883], [viaProxy, hb10, 64_189], [direct, IDLE, 61_200], [direct, IDLE, 118_004],
  ] as const) {
    s.add(p, prof, { ageMs: age, idleMs: prof === IDLE ? age : Math.round(3_000 + s.r() * 1_500), end: closeFrame(1001), endedAt: pause[0] + Math.round(s.r() * 40) });
  }
  for (const [p, n] of [[direct, 40], [viaProxy, 29]] as const) earlyCloses(s, p, n, 1013, pause);
  return s.scenario({
    classes: ['phantom-target-pause', 'app-close'],
    expect: {
      signatures: [{ nMs: expectN(at), kind: 'idle', place: { scope: 'proxy', value: 'demo-proxy-idle-20s' }, software: null }],
      findings: [{ kind: 'early-close', cause: 'endpoint-close' }],
    },
  });
}

/**
 * A larger outage: target chat paused for 10 minutes under three probes' canaries (300
 * reconnects closed with 1013 right after the upgrade, directly and through squid),
 * while everything to api lives on.
 */
export function targetPauseManyProbes(): Scenario {
  const s = new Scene('target-pause-many-probes');
  const waw = probe('edge-waw-1', { region: 'eu' });
  const chat = target('chat');
  const api = target('api');
  const pause: [number, number] = [T0 + 9 * 3_600_000, T0 + 9 * 3_600_000 + 600_000];
  const chatPaths = paths([FRA, NYC, waw], [chat], [DIRECT, SQUID]);
  chatPaths.forEach((p) => earlyCloses(s, p, 50, 1013, pause));
  for (const p of chatPaths) {
    const age = Math.round(60_000 + s.r() * 3_000_000);
    s.add(p, IDLE, { ageMs: age, idleMs: age, end: closeFrame(1001), endedAt: pause[0] });
    s.add(p, HB, { ageMs: age + 777, idleMs: Math.round(s.r() * 25_000), end: closeFrame(1001), endedAt: pause[0] });
    s.survive(p, 6, IDLE).survive(p, 6, HB);
  }
  s.healthy(paths([FRA, NYC, waw], [api], [DIRECT, SQUID]), 8);
  return s.scenario({
    classes: ['phantom-target-pause', 'app-close'],
    expect: { signatures: [], findings: [{ kind: 'early-close', cause: 'endpoint-close' }] },
  });
}

/**
 * A WebSocket gateway (a user layer: it closes with 1001 after 90 s with no frame either
 * way) in front of an application that pushes a welcome and a few updates during the
 * first minutes of a session, then goes quiet. Idle canaries die 90 s after the last push,
 * so their ages vary while their silence is 90 s; heartbeats keep the gateway busy and live.
 */
export function closeFrameAfterSilence(): Scenario {
  const s = new Scene('close-frame-after-silence');
  const ticker = target('ticker', { server: 'wsgw/1.4' }, { canary: false });
  const api = target('api');
  const at = timer.precise(90);
  for (const p of paths([FRA, NYC], [ticker], [DIRECT, SQUID])) {
    for (let i = 0; i < 28; i++) {
      // Pushes at random in the first 5 minutes; the last one starts the gateway's clock.
      const lastPush = 50 + s.r() * 300_000;
      const silence = s.measured(at.at(s.r));
      s.add(p, IDLE, { ageMs: Math.round((lastPush + silence) * 1000) / 1000, idleMs: silence, end: closeFrame(1001) });
    }
    s.survive(p, 8, HB);
  }
  s.healthy(paths([FRA, NYC], [api], [DIRECT, SQUID]), 6);
  const layers = userLayersSchema.parse([
    {
      id: 'wsgw-idle',
      name: 'wsgw idle_timeout',
      role: 'gateway',
      timeoutS: 90,
      kind: 'idle',
      endings: ['close_frame'],
      closeCode: 1001,
      headerHints: [{ header: 'server', pattern: '^wsgw' }],
      setting: 'idle_timeout in wsgw.yaml',
    },
  ]);
  return s.scenario({
    classes: ['phantom-close-frame-idle', 'software-non-default'],
    layers,
    expect: { signatures: [{ nMs: expectN(at), kind: 'idle', place: { scope: 'target', value: 'ticker' }, software: 'wsgw', endedBy: 'layer' }] },
  });
}

/**
 * A WebSocket-aware gateway with no identity in front of canary target notify: after 150 s
 * of silence it sends 1001 to both sides (the canary target records a close frame it did
 * not start). A layer's close frame, not the endpoint's decision.
 */
export function closeFrameGatewayBothSides(): Scenario {
  const s = new Scene('close-frame-gateway-both-sides');
  const notify = target('notify', {}, { peerSeen: '10.20.0.7' });
  const api = target('api');
  const at = timer.precise(150);
  s.layerCut(paths([FRA, NYC], [notify], [DIRECT, SOCKS]), { drops: 45, nS: 150, at, end: closeFrame(1001), kind: 'idle' });
  s.healthy(paths([FRA, NYC], [api], [DIRECT, SOCKS]), 6);
  return s.scenario({
    classes: ['phantom-close-frame-idle', 'software-unseen'],
    why: "A dropscope canary target (it names itself in the 101) never closes a session on its own but when paused, and then at one instant whatever the age; here it recorded a close frame at the probe's instant, after 150 s of silence, with heartbeats unharmed: something in between that speaks WebSocket closed both sides.",
    expect: { signatures: [{ nMs: expectN(at), kind: 'idle', place: { scope: 'target', value: 'notify' }, software: null, endedBy: 'layer' }] },
  });
}

/** An idle canary's cut: its age is its silence. */
function cut(s: Scene, at: Timer): { ageMs: number; idleMs: number } {
  const age = s.measured(at.at(s.r));
  return { ageMs: age, idleMs: age };
}

/** Reconnects closed by the endpoint 2-40 ms after their 101, no target view (it never took them). */
function earlyCloses(s: Scene, p: Path, count: number, code: number, within: [number, number]): void {
  for (let i = 0; i < count; i++) {
    const age = Math.round((2 + s.r() * 38) * 1000) / 1000;
    const prof = i % 3 === 2 ? HB : IDLE;
    s.add(p, prof, { ageMs: age, idleMs: age, end: closeFrame(code), endedAt: s.when(within), noTargetView: true });
  }
}
