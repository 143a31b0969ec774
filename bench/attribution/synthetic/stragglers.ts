/**
 * Stragglers: unrelated drops (resets of a flaky link, a proxy restart) that happen to fall
 * in a signature's window on other paths, up to 10 % of its count. The place must not
 * move: the paths they hit mostly outlive N.
 */
import { DIRECT, expectN, FIN, FIN_RST, FRA, IDLE, NYC, paths, probe, proxy, RST, Scene, SOCKS, SQUID, target, timer, type Path, type Timer } from '../blocks';
import type { ExpectedSignature, Scenario } from '../scenario';

/** `count` random drops inside the signature's own range on `others`, each path keeping most of its sessions alive past it. */
function straggle(s: Scene, others: readonly Path[], count: number, at: Timer): void {
  s.healthy(others, 8);
  s.random(others, count, { window: [at.lo, at.hi] }, [IDLE]);
}

/** HAProxy (timeout client 50s, the common example value, no tunnel timeout) in front of pay: 120 drops, 12 stragglers on other targets and proxies. */
export function stragglersTarget(): Scenario {
  const s = new Scene('stragglers-target');
  const pay = target('pay', {}, { peerSeen: '10.0.3.14' });
  const at = timer.precise(50);
  const mobile = proxy('mobile-de', 'socks5');
  s.layerCut(paths([FRA, NYC], [pay], [DIRECT, SQUID, SOCKS]), { drops: 120, nS: 50, at, end: FIN_RST, kind: 'idle' });
  straggle(s, paths([FRA, NYC], [target('chat'), target('api')], [DIRECT, SQUID, mobile]), 12, { ...at, lo: at.lo - 200, hi: at.hi + 200 });
  return s.scenario({ classes: ['stragglers'], expect: { signatures: [expected(at, 'idle', 'target', 'pay')] } });
}

/** A corporate squid (read_timeout 240 s) with 30 drops, 3 stragglers on the direct path. */
export function stragglersProxy(): Scenario {
  const s = new Scene('stragglers-proxy');
  const corp = proxy('corp', 'http');
  const at = timer.squid(240);
  s.layerCut(paths([FRA, NYC], [target('api'), target('chat')], [corp]), { drops: 30, nS: 240, at, end: FIN, kind: 'idle' });
  straggle(s, paths([FRA, NYC], [target('api'), target('chat')], [DIRECT]), 3, at);
  return s.scenario({ classes: ['stragglers', 'coarse-timer'], expect: { signatures: [expected(at, 'idle', 'proxy', 'corp')] } });
}

/** A carrier NAT on region=apac probes (120 s, swept every 2 s, resets both sides): 80 drops, 8 stragglers from eu probes. */
export function stragglersLabel(): Scenario {
  const s = new Scene('stragglers-label');
  const sin = probe('edge-sin-1', { region: 'apac' });
  const syd = probe('edge-syd-1', { region: 'apac' });
  const at = timer.sweep(120, 2);
  const api = target('api');
  const chat = target('chat');
  s.layerCut(paths([sin, syd], [api, chat], [DIRECT, SOCKS]), { drops: 80, nS: 120, at, end: RST, kind: 'idle' });
  s.healthy(paths([NYC], [api, chat], [DIRECT, SOCKS]), 8);
  straggle(s, paths([FRA], [api, chat], [DIRECT, SOCKS]), 8, at);
  return s.scenario({ classes: ['stragglers', 'label'], expect: { signatures: [expected(at, 'idle', 'label', 'region=apac')] } });
}

function expected(at: Timer, kind: ExpectedSignature['kind'], scope: ExpectedSignature['place']['scope'], value: string): ExpectedSignature {
  return { nMs: expectN(at), kind, place: { scope, value }, software: null };
}
