/**
 * The experiments of issue 18 on synthetic paths: the adaptive ladder converging on a
 * timeout and starting over when it changes, keepalive rungs telling a NAT (L4) from a proxy
 * (L7), a recommended heartbeat verified and one refuted (a lifetime limit that idle canaries
 * and a ladder cannot tell from an idle timeout), a reconnect schedule verified, a chain of
 * three entry points cut in the middle, and echo canaries behind a buffering layer, a 16 KiB
 * frame limit and a layer that answers 1009. Each experiment's sessions are also sessions the
 * drop analysis reads (one database row for both), so its drops are in `sessions` too.
 */
import { bisectRungs, echoSessions, heldHeartbeats, keepaliveRungs, sampleOf, type XPath } from '../experiment-blocks';
import { DIRECT, expectN, FIN, FIN_RST, FRA, HB, IDLE, NYC, path, paths, probe, RST, Scene, SQUID, T0, target, timer, type Path } from '../blocks';
import type { ExperimentSession } from '../../../lib/diagnosis/types';
import type { Scenario } from '../scenario';

const HOUR = 3_600_000;

/** The path an experiment runs on, as the diagnosis names it. */
const at = (p: Path): XPath => ({ probe: p.probe.name, labels: p.probe.labels, target: p.target.name, proxy: p.proxy.name, proxyKind: p.proxy.kind, rttMs: p.rttMs });

/** The scenario with its experiments, their sessions among the others (the 101's headers as the target's canaries see them). */
function withExperiments(sc: Scenario, xs: ExperimentSession[], headersOf: (x: ExperimentSession) => Record<string, string> = () => ({})): Scenario {
  const samples = xs.flatMap((x) => sampleOf(x, { headers: headersOf(x), proxyKind: x.proxy === 'direct' ? 'direct' : x.proxy === SQUID.name ? 'http' : 'socks5' }) ?? []);
  return { ...sc, experiments: xs, sessions: [...sc.sessions, ...samples].sort((a, b) => a.endedAt - b.endedAt || a.id.localeCompare(b.id)) };
}

const headersBy = (...targets: ReturnType<typeof target>[]) => (x: ExperimentSession) => targets.find((t) => t.name === x.target)?.headers ?? {};

/** nginx with proxy_read_timeout 75s in front of api; the adaptive ladder on fra → direct → api brackets it to half a second. */
export function bisectConverged75(): Scenario {
  const s = new Scene('bisect-converged-75s');
  const api = target('api', { server: 'nginx/1.24.0' });
  const cut = timer.precise(75);
  s.layerCut(paths([FRA, NYC], [api], [DIRECT, SQUID]), { drops: 40, nS: 75, at: cut, end: FIN, kind: 'idle' });
  s.healthy(paths([FRA, NYC], [target('chat')], [DIRECT, SQUID]), 6);
  const xp = at(path(FRA, api));
  const rungs = bisectRungs(xp, () => cut.at(s.r), { startAt: T0 + HOUR, rounds: 8, r: s.r });
  return withExperiments(
    s.scenario({
      classes: ['bisect', 'software-non-default'],
      expect: {
        signatures: [{ nMs: expectN(cut), kind: 'idle', place: { scope: 'target', value: 'api' }, software: 'nginx' }],
        diagnosis: { brackets: [{ path: xp, nMs: [cut.lo, cut.hi] }] },
      },
    }),
    rungs,
    headersBy(api),
  );
}

/**
 * HAProxy in front of api had `timeout tunnel 60s`, raised to 120s while the adaptive ladder
 * ran: its converged bracket at 60 s is contradicted by a recheck (60 s now survives), and
 * the search starts over and converges at 120 s. The passive canaries saw both: a 60 s
 * signature from before the change, a 120 s one after.
 */
export function bisectRestart60To120(): Scenario {
  const s = new Scene('bisect-restart-60-to-120');
  const api = target('api', {}, { peerSeen: '10.0.3.7' });
  const before = timer.precise(60);
  const after = timer.precise(120);
  // Right after the first bracket converged (about 7 min of rungs): one death at 60 s
  // before (the rung that found it), then the high edge's recheck survives and restarts it.
  const change = T0 + HOUR + 7 * 60_000;
  s.layerCut(paths([FRA, NYC], [api], [DIRECT, SQUID]), { drops: 40, nS: 60, at: before, end: FIN_RST, kind: 'idle' });
  s.layerCut(paths([FRA, NYC], [api], [DIRECT, SQUID]), { drops: 24, nS: 120, at: after, end: FIN_RST, kind: 'idle' });
  s.healthy(paths([FRA, NYC], [target('chat')], [DIRECT, SQUID]), 6);
  const xp = at(path(FRA, api));
  const rungs = bisectRungs(xp, (t) => (t < change ? before : after).at(s.r), { startAt: T0 + HOUR, rounds: 18, r: s.r, end: { endKind: 'tcp_fin' } });
  return withExperiments(
    s.scenario({
      classes: ['bisect', 'bisect-restart'],
      expect: {
        signatures: [
          { nMs: expectN(before), kind: 'idle', place: { scope: 'target', value: 'api' }, software: null },
          { nMs: expectN(after), kind: 'idle', place: { scope: 'target', value: 'api' }, software: null },
        ],
        diagnosis: { brackets: [{ path: xp, nMs: [after.lo, after.hi], restarted: true }] },
      },
      why: 'the bracket must follow the path to its new timeout; the one it converged on before is history',
    }),
    rungs,
    headersBy(api),
  );
}

/**
 * A carrier NAT on probe edge-mob-1 forgets idle flows after 240 s (swept every 5 s, a reset
 * to both sides). Keepalive rungs silent for 360 s with TCP keepalive every 80 s survive it:
 * the NAT sees the segments.
 */
export function transportL4Nat(): Scenario {
  const s = new Scene('transport-l4-carrier-nat-240');
  const mob = probe('edge-mob-1', { region: 'eu', access: 'lte' });
  const api = target('api');
  const chat = target('chat');
  const cut = timer.sweep(240, 5);
  s.layerCut(paths([mob], [api, chat], [DIRECT, SQUID]), { drops: 40, nS: 240, at: cut, end: RST, kind: 'idle' });
  s.healthy(paths([FRA, NYC], [api, chat], [DIRECT, SQUID]), 6);
  const xp = at(path(mob, api));
  const rungs = keepaliveRungs(xp, 2, { startAt: T0 + 2 * HOUR, gapMs: 360_000, keepaliveMs: 80_000, cutMs: 240_000, layer: 'l4', r: s.r });
  return withExperiments(
    s.scenario({
      classes: ['transport-l4', 'probe'],
      expect: {
        signatures: [{ nMs: expectN(cut), kind: 'idle', place: { scope: 'probe', value: 'edge-mob-1' }, software: null }],
        diagnosis: { transports: [{ path: xp, layer: 'l4' }] },
      },
    }),
    rungs,
  );
}

/** nginx's default proxy_read_timeout (60 s) in front of api: keepalive rungs die at 60 s all the same, nginx terminates TCP. */
export function transportL7Nginx(): Scenario {
  const s = new Scene('transport-l7-nginx-60');
  const api = target('api', { server: 'nginx/1.24.0' });
  const cut = timer.precise(60);
  s.layerCut(paths([FRA, NYC], [api], [DIRECT, SQUID]), { drops: 40, nS: 60, at: cut, end: FIN, kind: 'idle' });
  s.healthy(paths([FRA, NYC], [target('chat')], [DIRECT, SQUID]), 6);
  const direct = at(path(FRA, api));
  const squid = at(path(FRA, api, SQUID));
  const rungs = [direct, squid].flatMap((xp) => keepaliveRungs(xp, 1, { startAt: T0 + 2 * HOUR, gapMs: 90_000, keepaliveMs: 20_000, cutMs: cut.at(s.r), layer: 'l7', r: s.r }));
  return withExperiments(
    s.scenario({
      classes: ['transport-l7', 'software-non-default'],
      expect: {
        signatures: [{ nMs: expectN(cut), kind: 'idle', place: { scope: 'target', value: 'api' }, software: 'nginx' }],
        diagnosis: {
          transports: [
            { path: direct, layer: 'l7' },
            { path: squid, layer: 'l7' },
          ],
        },
      },
    }),
    rungs,
    headersBy(api),
  );
}

/** HAProxy (timeout client 50s) in front of pay; the recommended 25 s heartbeat, held 3 × N on three of its paths, survives. */
export function verifiedHeartbeat(): Scenario {
  const s = new Scene('verified-heartbeat-haproxy-50');
  const pay = target('pay', {}, { peerSeen: '10.0.3.14' });
  const cut = timer.precise(50);
  s.layerCut(paths([FRA, NYC], [pay], [DIRECT, SQUID]), { drops: 48, nS: 50, at: cut, end: FIN_RST, kind: 'idle' });
  s.healthy(paths([FRA, NYC], [target('chat')], [DIRECT, SQUID]), 6);
  const held = [path(FRA, pay), path(FRA, pay, SQUID), path(NYC, pay)].flatMap((p) => heldHeartbeats(at(p), 2, { startAt: T0 + 3 * HOUR, intervalMs: 25_000, holdMs: 150_000, r: s.r }));
  return withExperiments(
    s.scenario({
      classes: ['verified'],
      expect: {
        signatures: [{ nMs: expectN(cut), kind: 'idle', place: { scope: 'target', value: 'pay' }, software: null }],
        diagnosis: { verifications: [{ nMs: expectN(cut), status: 'verified' }] },
      },
    }),
    held,
  );
}

/**
 * A load balancer in front of stream closes every connection at 120 s of age. Only idle
 * canaries and a ladder run there, and both are silent for their whole life: they cannot
 * tell age from silence, so the passive analysis reads an idle timeout (the label says so:
 * it is what those canaries show). The recommended 60 s heartbeat, held for 3 × N on both
 * paths, dies at 120 s all the same: the verification refutes it.
 */
export function refutedLifetimeInDisguise(): Scenario {
  const s = new Scene('refuted-lifetime-in-disguise-120');
  const stream = target('stream', {}, { peerSeen: '10.0.5.2' });
  const chat = target('chat');
  const cut = timer.precise(120);
  for (const p of paths([FRA, NYC], [stream], [DIRECT])) {
    s.survive(p, 2, IDLE, [5_000, 100_000]);
    s.idleCut(p, 20, cut, FIN);
    s.ladder(p, 3, { at: cut, end: FIN });
  }
  s.healthy(paths([FRA, NYC], [chat], [DIRECT]), 8, [IDLE]);
  const died = [path(FRA, stream), path(NYC, stream)].flatMap((p) => heldHeartbeats(at(p), 1, { startAt: T0 + 3 * HOUR, intervalMs: 60_000, holdMs: 360_000, diesAtMs: cut.at(s.r), r: s.r }));
  return withExperiments(
    s.scenario({
      classes: ['refuted', 'ladder'],
      expect: {
        signatures: [{ nMs: expectN(cut), kind: 'idle', place: { scope: 'target', value: 'stream' }, software: null }],
        diagnosis: { verifications: [{ nMs: expectN(cut), status: 'refuted' }] },
      },
      why: 'idle canaries and ladder rungs are silent from their first byte: their age is their silence, so what they show is an idle timeout; the held heartbeat is the experiment that tells them apart, and the verdict must say it refutes the fix',
    }),
    died,
  );
}

/** A 300 s maximum connection duration in front of feed; reconnecting every 270 s (90 %) hands every connection over before it. */
export function reconnectScheduleVerified(): Scenario {
  const s = new Scene('reconnect-schedule-verified-300');
  const feed = target('feed', {}, { peerSeen: '10.0.6.9' });
  const cut = timer.precise(300);
  s.layerCut(paths([FRA, NYC], [feed], [DIRECT, SQUID]), { drops: 40, nS: 300, at: cut, end: FIN, kind: 'lifetime' });
  s.healthy(paths([FRA, NYC], [target('chat')], [DIRECT, SQUID]), 6);
  const schedule = [path(FRA, feed), path(NYC, feed, SQUID)].flatMap((p) => heldHeartbeats(at(p), 2, { startAt: T0 + 3 * HOUR, intervalMs: 25_000, holdMs: 270_000, profile: 'reconnect-270s', r: s.r }));
  return withExperiments(
    s.scenario({
      classes: ['reconnect', 'verified', 'lifetime'],
      expect: {
        signatures: [{ nMs: expectN(cut), kind: 'lifetime', place: { scope: 'target', value: 'feed' }, software: null }],
        diagnosis: { verifications: [{ nMs: expectN(cut), status: 'verified' }] },
      },
    }),
    schedule,
  );
}

/**
 * shop's chain: shop-cdn (public) → shop-lb (internal) → shop-app. The load balancer cuts
 * idle connections at 90 s: canaries to the CDN's entry point cross it and are cut, the
 * internal probe's to the LB's are cut, to the app's are not. The passive place is the
 * public target (most of the drops); the chain says which layer.
 */
export function chainThreeHopsMiddle(): Scenario {
  const s = new Scene('chain-three-hops-cut-at-lb-90');
  const inside = probe('edge-int-1', { region: 'dc' });
  const cdn = target('shop-cdn');
  const lb = target('shop-lb', {}, { peerSeen: '10.0.7.2' });
  const app = target('shop-app', {}, { peerSeen: '10.0.7.3' });
  const cut = timer.precise(90);
  s.layerCut(paths([FRA, NYC], [cdn], [DIRECT, SQUID]), { drops: 48, nS: 90, at: cut, end: FIN_RST, kind: 'idle' });
  // The internal probe runs few canaries: its drops are a tenth of the signature's.
  s.layerCut([path(inside, lb)], { drops: 4, nS: 90, at: cut, end: FIN_RST, kind: 'idle' });
  s.healthy([path(inside, app)], 6);
  s.healthy(paths([FRA, NYC], [target('chat')], [DIRECT, SQUID]), 6);
  return {
    ...s.scenario({
      classes: ['chain'],
      expect: {
        signatures: [{ nMs: expectN(cut), kind: 'idle', place: { scope: 'target', value: 'shop-cdn' }, software: null }],
        diagnosis: { chains: [{ nMs: expectN(cut), cutAt: 'shop-lb' }] },
      },
    }),
    chains: [{ name: 'shop', hops: ['shop-cdn', 'shop-lb', 'shop-app'] }],
  };
}

/** A corporate proxy that holds WebSocket data and flushes it every ~1.5 s: echoes sent a second apart come back three at a time. */
export function echoBuffering(): Scenario {
  const s = new Scene('echo-buffering-squid');
  s.healthy(paths([FRA, NYC], [target('api'), target('chat')], [DIRECT, SQUID]), 6, [IDLE, HB]);
  const xp = at(path(FRA, target('api'), SQUID));
  const echo = echoSessions(xp, 4, { startAt: T0 + HOUR, intervalMs: 1000, messageBytes: 256, messages: 30, holdMs: 1500, bunch: 3, r: s.r });
  return withExperiments(
    s.scenario({ classes: ['echo-buffering'], expect: { signatures: [], diagnosis: { echo: [{ path: xp, kind: 'buffering', heldMs: [1500, 1600] }] } } }),
    echo,
  );
}

/**
 * Large packets black-holed on fra → direct → api (an MTU the path does not signal): an echo
 * canary growing its message from 1 KiB gets 8 KiB back and never 16 KiB; the connection
 * stalls and the pong deadline ends it, each time at the same age (no timeout: the growth's).
 */
export function echoFrameLost16k(): Scenario {
  const s = new Scene('echo-frame-lost-16k');
  s.healthy(paths([FRA, NYC], [target('api'), target('chat')], [DIRECT, SQUID]), 6, [IDLE, HB]);
  const xp = at(path(FRA, target('api')));
  const echo = echoSessions(xp, 8, { startAt: T0 + HOUR, intervalMs: 5000, messageBytes: 1024, growTo: 65_536, limitBytes: 12_000, failure: 'lost', r: s.r });
  return withExperiments(
    s.scenario({
      classes: ['echo-frame-lost'],
      expect: { signatures: [], diagnosis: { echo: [{ path: xp, kind: 'frame-lost', bytes: 16_384 }] } },
      why: 'the silent deaths all come at the age the growing message reached 16 KiB: a size, not a time, so no signature',
    }),
    echo,
  );
}

/** A gateway with a 64 KiB maximum message in front of api answers 1009 (Message Too Big) to the 128 KiB message. */
export function echoFrameRefused1009(): Scenario {
  const s = new Scene('echo-frame-refused-1009');
  s.healthy(paths([FRA, NYC], [target('api'), target('chat')], [DIRECT, SQUID]), 6, [IDLE, HB]);
  const xp = at(path(NYC, target('api')));
  const echo = echoSessions(xp, 8, { startAt: T0 + HOUR, intervalMs: 2000, messageBytes: 4096, growTo: 262_144, limitBytes: 65_536, failure: 'refused', r: s.r });
  return withExperiments(
    s.scenario({ classes: ['echo-frame-refused'], expect: { signatures: [], diagnosis: { echo: [{ path: xp, kind: 'frame-refused', bytes: 131_072 }] } } }),
    echo,
  );
}

export function experimentScenarios(): Scenario[] {
  return [
    bisectConverged75(),
    bisectRestart60To120(),
    transportL4Nat(),
    transportL7Nginx(),
    verifiedHeartbeat(),
    refutedLifetimeInDisguise(),
    reconnectScheduleVerified(),
    chainThreeHopsMiddle(),
    echoBuffering(),
    echoFrameLost16k(),
    echoFrameRefused1009(),
  ];
}
