/**
 * Silent deaths and undetermined kinds. A heartbeat canary whose path goes dark is
 * noticed by its pong deadline and dated by its last byte, the last pong: a firewall that
 * forgets flows at a fixed age gives a spike at the last heartbeat before that age, and it
 * is a lifetime (the canary was talking). Black holes at random times fall on the
 * heartbeat grid at no fixed age: no signature. A path with only idle canaries cannot tell
 * idle from lifetime, but its place is still known.
 */
import { closeFrame, DIRECT, expectN, FIN, FRA, HB, HEARTBEAT_INTERVAL_MS, IDLE, NYC, paths, probe, proxy, RST, rung, Scene, SQUID, target, timer, type Path, type Timer } from '../blocks';
import type { Scenario } from '../scenario';

/**
 * The expected N of a silent death at a fixed age: the agent dates it by the last pong,
 * the one after the last ping before the path went dark, so N lies between that ping and
 * the age at which the layer forgot the flow.
 */
function silentN(darkS: number): [number, number] {
  // A ping sent at the very age the flow is forgotten races it and loses: its pong never comes.
  const lastPing = Math.floor((darkS * 1000 - 1) / HEARTBEAT_INTERVAL_MS) * HEARTBEAT_INTERVAL_MS;
  return [lastPing - 50, darkS * 1000 + 100];
}

/** An office firewall that drops flows 290 s after they open, silently, on probe office-ber-1: heartbeats die, dated at their 275 s pong. */
export function lifetimeSilentFirewall(): Scenario {
  const s = new Scene('lifetime-silent-firewall-290');
  const office = probe('office-ber-1', { region: 'eu', site: 'ber-office' });
  const api = target('api');
  const chat = target('chat');
  const dark = timer.precise(290);
  for (const p of paths([office], [api, chat], [DIRECT, SQUID])) s.silentHeartbeats(p, 9, dark).survive(p, 6, IDLE);
  s.healthy(paths([FRA, NYC], [api, chat], [DIRECT, SQUID]), 6);
  return s.scenario({
    classes: ['lifetime-silent', 'probe', 'black-hole'],
    why: 'Heartbeats were answered every 25 s and still died at a fixed age, on one probe only: a lifetime limit on that probe\'s side that forgets flows silently.',
    expect: {
      signatures: [{ nMs: silentN(290), kind: 'lifetime', place: { scope: 'probe', value: 'office-ber-1' }, software: null }],
      findings: [{ kind: 'silent-death', cause: 'black-hole' }],
    },
  });
}

/** An IPS with a 30 min flow lifetime on the probes labelled site=hq: 18 heartbeat deaths dated at their 29 min 35 s pong. */
export function lifetimeSilentLabel(): Scenario {
  const s = new Scene('lifetime-silent-ips-1800');
  const hq1 = probe('hq-1', { region: 'eu', site: 'hq' });
  const hq2 = probe('hq-2', { region: 'eu', site: 'hq' });
  const api = target('api');
  const dark = timer.precise(1800);
  for (const p of paths([hq1, hq2], [api], [DIRECT, SQUID])) {
    s.silentHeartbeats(p, p.probe === hq1 ? 5 : 4, dark).survive(p, 3, HB, [300_000, 1_700_000]).survive(p, 6, IDLE, [900_000, 21_600_000]);
  }
  s.healthy(paths([FRA, NYC], [api], [DIRECT, SQUID]), 6, [IDLE, HB], [1_200_000, 21_600_000]);
  return s.scenario({
    classes: ['lifetime-silent', 'label'],
    expect: {
      signatures: [{ nMs: silentN(1800), kind: 'lifetime', place: { scope: 'label', value: 'site=hq' }, software: null }],
      findings: [{ kind: 'silent-death', cause: 'black-hole' }],
    },
  });
}

/** Heartbeat paths that black-hole at random times (route flaps): 120 silent deaths on the 25 s grid, no N. */
export function blackHoleOnly(): Scenario {
  const s = new Scene('black-hole-only');
  const api = target('api');
  const dark: Timer = { at: (r) => 20_000 + -Math.log(1 - r()) * 1_800_000, lo: 0, hi: 0 };
  for (const p of paths([FRA, NYC], [api], [DIRECT])) s.silentHeartbeats(p, 60, dark).survive(p, 10, IDLE);
  s.healthy(paths([FRA, NYC], [target('chat')], [DIRECT]), 8);
  return s.scenario({
    classes: ['black-hole'],
    expect: { signatures: [], findings: [{ kind: 'silent-death', cause: 'black-hole' }] },
  });
}

/**
 * One path cut, and only idle canaries on it: partner-gw reaches api alone, runs no
 * heartbeat, and cuts at 110 s; api directly outlives 110 s. Idle or lifetime cannot be
 * told, but the place is partner-gw.
 */
export function undeterminedSingleProxyPath(): Scenario {
  const s = new Scene('undetermined-single-proxy-path');
  const partner = proxy('partner-gw', 'http');
  const api = target('api');
  const at = timer.precise(110);
  const only: Path = paths([FRA], [api], [partner])[0]!;
  s.idleCut(only, 14, at, FIN);
  s.healthy(paths([FRA, NYC], [api, target('chat')], [DIRECT]), 6);
  return s.scenario({
    classes: ['undetermined-place'],
    expect: { signatures: [{ nMs: expectN(at), kind: 'undetermined', place: { scope: 'proxy', value: 'partner-gw' }, software: null }] },
  });
}

/** A light probe running only idle canaries, whose ISP resets flows idle for 65 s (swept each second); the other probes' canaries live. */
export function undeterminedProbeOnlyIdle(): Scenario {
  const s = new Scene('undetermined-probe-only-idle');
  const gru = probe('edge-gru-1', { region: 'sa' });
  const at = timer.sweep(65, 1);
  const targets = [target('api'), target('chat')];
  for (const p of paths([gru], targets, [DIRECT, SQUID])) s.idleCut(p, 6, at, RST).survive(p, 1, IDLE, [30_000, 60_000]);
  s.healthy(paths([FRA, NYC], targets, [DIRECT, SQUID]), 6);
  return s.scenario({
    classes: ['undetermined-place', 'probe'],
    expect: { signatures: [{ nMs: expectN(at), kind: 'undetermined', place: { scope: 'probe', value: 'edge-gru-1' }, software: null }] },
  });
}

/**
 * The same single proxy path with a ladder whose 30 s rung died nearly every time, right
 * after its 101 (the partner's gateway refuses most upgrades of that canary with 1013):
 * that rung is no survivor, so nothing confirms idle, and the kind stays undetermined.
 * The ladder used to be read by the absence of drops at N alone, which made it "survives
 * 30 s idle" and the kind idle.
 */
export function undeterminedLadderThatDied(): Scenario {
  const s = new Scene('undetermined-ladder-that-died');
  const partner = proxy('partner-gw', 'http');
  const api = target('api');
  const at = timer.precise(110);
  const only: Path = paths([FRA], [api], [partner])[0]!;
  s.idleCut(only, 14, at, FIN);
  for (let i = 0; i < 9; i++) {
    const age = Math.round((2 + s.r() * 30) * 1000) / 1000;
    s.add(only, rung(30), { ageMs: age, idleMs: age, end: closeFrame(1013) });
  }
  s.ladder(only, 1, null, [30]);
  s.healthy(paths([FRA, NYC], [api, target('chat')], [DIRECT]), 6);
  return s.scenario({
    classes: ['undetermined-place', 'ladder'],
    expect: { signatures: [{ nMs: expectN(at), kind: 'undetermined', place: { scope: 'proxy', value: 'partner-gw' }, software: null }] },
  });
}
