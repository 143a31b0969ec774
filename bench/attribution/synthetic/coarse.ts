/**
 * Coarse timers alone, at a few counts: a whole-second clock spreads its cuts evenly over
 * two seconds (dante, squid), a table sweep over several (a firewall every 5 s). The
 * spread is one layer's N, to be found once, never split in two.
 */
import { DIRECT, expectN, FIN, FRA, NYC, paths, probe, proxy, RST, Scene, SQUID, target, timer, type Proxy, type Timer } from '../blocks';
import type { Scenario } from '../scenario';

function proxySpread(name: string, via: Proxy, at: Timer, nS: number, drops: number, why: string): Scenario {
  const s = new Scene(name);
  const targets = [target('api'), target('chat')];
  s.layerCut(paths([FRA, NYC], targets, [via]), { drops, nS, at, end: FIN, kind: 'idle' });
  s.healthy(paths([FRA, NYC], targets, [DIRECT, SQUID]), 6, undefined, [nS * 1500, Math.max(nS * 4000, 21_600_000)]);
  return s.scenario({
    classes: ['coarse-timer', 'software-unseen'],
    why,
    expect: { signatures: [{ nMs: expectN(at), kind: 'idle', place: { scope: 'proxy', value: via.name }, software: null }] },
  });
}

export const coarseScenarios = (): Scenario[] => [
  proxySpread('coarse-dante-45-24-drops', proxy('socks-eu', 'socks5'), timer.wholeSecond(45), 45, 24, 'dante timeout.io 44 cuts a second late (test/lab/dante.test.ts), on a whole-second clock: 44-46 s.'),
  proxySpread('coarse-squid-300-30-drops', proxy('squid-branch', 'http'), timer.squid(300), 300, 30, 'squid read_timeout 5 minutes, deadlines in whole seconds: 299-301 s.'),
  proxySpread('coarse-dante-600-12-drops', proxy('socks-vault', 'socks5'), timer.wholeSecond(600), 600, 12, 'dante timeout.io 599: 599-601 s, twelve cuts in a day.'),
  firewallSweep(),
];

/** A branch firewall on probe edge-waw-1 resets flows idle for 180 s at its next sweep, every 5 s: cuts over 180-185 s. */
function firewallSweep(): Scenario {
  const s = new Scene('coarse-firewall-sweep-5s');
  const waw = probe('edge-waw-1', { region: 'eu' });
  const targets = [target('api'), target('chat')];
  const at = timer.sweep(180, 5);
  s.layerCut(paths([waw], targets, [DIRECT, SQUID]), { drops: 40, nS: 180, at, end: RST, kind: 'idle' });
  s.healthy(paths([FRA, NYC], targets, [DIRECT, SQUID]), 6);
  return s.scenario({
    classes: ['coarse-timer', 'probe'],
    expect: { signatures: [{ nMs: expectN(at), kind: 'idle', place: { scope: 'probe', value: 'edge-waw-1' }, software: null }] },
  });
}
