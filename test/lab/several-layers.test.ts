/**
 * Several layers cutting at once, seen by one probe in one analysis scope, at close
 * non-default timeouts that the catalogue does not know (no user layer is registered):
 *
 *   probe -> squid (CONNECT, read_timeout 3 s)       -> origin     cut 3 s: proxy squid
 *   probe -> nginx (proxy_read_timeout 4 s)           -> origin     cut 4 s: target target-a
 *   probe -> HAProxy (timeout tunnel 5 s)             -> origin     cut 5 s: target target-b
 *   probe -> dante (SOCKS5, timeout.io 6 s)           -> origin     cut 7 s: proxy dante
 *   probe -> origin (direct)                                         never cut: the control
 *
 * Eight idle canaries through each layer, eight straight to the origin, and three heartbeat
 * canaries through each layer that outlive it. `analyzeSessions` with the built-in
 * catalogue must find each cut once, at N within 250 ms of the daemon's real cut, idle, in
 * the right place, and nothing else: an SRE with four broken layers must be told four
 * things, not one blurred one.
 *
 * Two daemons need care to cut where their configuration says (proxies.ts): the first batch
 * opens just after a whole wall-clock second (squid's one-second clock), and dante's
 * heartbeats run in a second batch after it (dante's timeout.io does not fire while another
 * session of its io process has traffic). dante's 6 s cuts at 7 s (DANTE_LATE_MS).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlannedCanary, ProfileConfig } from '../../agent/config';
import { analyzeSessions, type Analysis, type SessionSample } from '../../lib/analysis/analyze';
import type { LocationScope, Signature } from '../../lib/analysis/types';
import type { Daemon } from './daemon';
import { canary, HEARTBEAT, IDLE, startTarget, type LabTarget } from './lab';
import { configuredCutMs, startDante, startHaproxy, startNginx, startSquid, wsLocation, type LabDaemonName } from './proxies';
import { nAround, N_TOLERANCE_MS, record, type Recording } from './record';
import { runTogether, samplesOf } from './samples';

const IDLE_N = 8;
const HEARTBEAT_N = 3;
/** Every canary still open this long after the last layer's cut is stopped by the probe. */
const OUTLIVE_MS = 1500;

interface LayerCase {
  name: string;
  daemon: LabDaemonName;
  configuredS: number;
  through(profile: ProfileConfig): PlannedCanary;
  place: { scope: LocationScope; value: string };
  /** The software the 101 names on this path (nginx sets Server; the others send nothing). */
  software: string | null;
}

let target: LabTarget;
let squid: Daemon;
let nginx: Daemon;
let haproxy: Daemon;
let dante: Daemon;

const origin = () => `ws://127.0.0.1:${target.port}/canary`;

const LAYERS: LayerCase[] = [
  {
    name: 'squid read_timeout 3 s',
    daemon: 'squid',
    configuredS: 3,
    through: (p) => canary(origin(), `http://127.0.0.1:${squid.port}`, p, { target: 'origin', proxy: 'squid' }),
    place: { scope: 'proxy', value: 'squid' },
    software: null,
  },
  {
    name: 'nginx proxy_read_timeout 4 s',
    daemon: 'nginx',
    configuredS: 4,
    through: (p) => canary(`ws://127.0.0.1:${nginx.port}/canary`, 'direct', p, { target: 'target-a' }),
    place: { scope: 'target', value: 'target-a' },
    software: 'nginx',
  },
  {
    name: 'HAProxy timeout tunnel 5 s',
    daemon: 'haproxy',
    configuredS: 5,
    through: (p) => canary(`ws://127.0.0.1:${haproxy.port}/canary`, 'direct', p, { target: 'target-b' }),
    place: { scope: 'target', value: 'target-b' },
    software: null,
  },
  {
    name: 'dante timeout.io 6 s',
    daemon: 'dante',
    configuredS: 6,
    through: (p) => canary(origin(), `socks5://127.0.0.1:${dante.port}`, p, { target: 'origin', proxy: 'dante' }),
    place: { scope: 'proxy', value: 'dante' },
    software: null,
  },
];

const cutOf = (c: LayerCase) => configuredCutMs(c.daemon, c.configuredS);
const times = <T>(n: number, f: () => T): T[] => Array.from({ length: n }, f);
const placeOf = (c: LayerCase) => (s: SessionSample) => (c.place.scope === 'proxy' ? s.proxy === c.place.value : s.target === c.place.value);

/** One line per signature, for the log and for failure messages. */
const summaryOf = (s: Signature) => `${s.key}: N ${s.nMs} ms, ${s.count} drops, ${s.kind}, ${s.location.scope} ${s.location.value}, software ${s.software?.name ?? null}, top candidate ${s.candidates[0]?.name ?? 'none'}`;

let samples: SessionSample[];
let analysis: Analysis;

beforeAll(async () => {
  target = await startTarget();
  const byName = (n: string) => LAYERS.find((l) => l.daemon === n)!.configuredS;
  [squid, nginx, haproxy, dante] = await Promise.all([
    startSquid({ connectPorts: [target.port], readTimeoutS: byName('squid') }),
    startNginx(wsLocation('/', target.port, byName('nginx'))),
    startHaproxy({ upstreamPort: target.port, tunnelTimeoutS: byName('haproxy') }),
    startDante({ timeoutIoS: byName('dante') }),
  ]);

  const lastCut = Math.max(...LAYERS.map(cutOf));
  // Squid's canaries first, so that its tunnels open earliest in the wall-clock second.
  const idle = LAYERS.flatMap((c) => times(IDLE_N, () => c.through(IDLE)));
  const controls = times(IDLE_N, () => canary(origin(), 'direct', IDLE, { target: 'origin' }));
  const heartbeats = LAYERS.filter((c) => c.daemon !== 'dante').flatMap((c) => times(HEARTBEAT_N, () => c.through(HEARTBEAT)));
  const first = await runTogether([...idle, ...controls, ...heartbeats], lastCut + OUTLIVE_MS, { alignToWallSecond: true });
  const danteCase = LAYERS.find((c) => c.daemon === 'dante')!;
  const second = await runTogether(times(HEARTBEAT_N, () => danteCase.through(HEARTBEAT)), cutOf(danteCase) + OUTLIVE_MS);
  samples = await samplesOf([...first, ...second], target);

  const recording: Recording = {
    name: 'several-layers',
    classes: ['lab', 'several-layers', 'neighbours', 'software-non-default', 'software-unseen', 'coarse-timer'],
    sessions: samples,
    expect: {
      signatures: LAYERS.map((c) => ({ nMs: nAround(cutOf(c)), kind: 'idle' as const, place: c.place, software: c.software, endedBy: 'layer' as const })),
    },
    why: 'One probe, one scope, four real daemons one second apart: squid 5.7 CONNECT read_timeout 3 seconds (batch opened just after a wall-clock second with heartbeat tunnels: 3.0 s), nginx 1.22 proxy_read_timeout 4s in front of target-a (Server: nginx), HAProxy 2.6 timeout tunnel 5s in front of target-b (no Server header), dante 1.4.2 timeout.io 6 (one second late: 7.0 s; its heartbeats run after the idle batch). Direct idle canaries to the bare origin are the control.',
  };
  await record(recording);

  analysis = analyzeSessions(samples);
  for (const s of analysis.signatures) {
    console.log(`LAB | several layers: ${summaryOf(s)}: ${s.verdict}`);
  }
}, 90_000);

afterAll(async () => {
  await Promise.all([squid?.stop(), nginx?.stop(), haproxy?.stop(), dante?.stop()]);
  await target?.close();
});

/** The signature nearest the layer's real cut (to report what was found there, if anything). */
function nearest(c: LayerCase): Signature | undefined {
  return [...analysis.signatures].sort((a, b) => Math.abs(a.nMs - cutOf(c)) - Math.abs(b.nMs - cutOf(c)))[0];
}

describe('four layers cutting at once through one probe, none of them registered', () => {
  it('each daemon cut its idle canaries where its configuration says, and nothing else was cut', () => {
    const drops = samples.filter((s) => s.dropped);
    for (const c of LAYERS) {
      const mine = drops.filter(placeOf(c));
      expect(mine, c.name).toHaveLength(IDLE_N);
      expect(mine.every((d) => d.profile === 'idle' && d.endKind === 'tcp_fin'), c.name).toBe(true);
      // Not before the cut, beyond the probe's own measurement slack (its open is dated when
      // its event loop reads the 101, tens of ms after the layer's timer started when 50
      // canaries open at once); late within reason on a machine shared with other tests.
      for (const d of mine) {
        expect(d.ageMs, c.name).toBeGreaterThan(cutOf(c) - N_TOLERANCE_MS);
        expect(d.ageMs, c.name).toBeLessThan(cutOf(c) + 1000);
      }
    }
    expect(drops).toHaveLength(IDLE_N * LAYERS.length);
    // Controls and heartbeats lived to the probe's stop, past every cut that concerned them.
    const survivors = samples.filter((s) => !s.dropped);
    expect(survivors).toHaveLength(IDLE_N + HEARTBEAT_N * LAYERS.length);
    expect(survivors.every((s) => s.endKind === 'probe_closed')).toBe(true);
  });

  it('finds one signature per layer, and nothing else', () => {
    expect(analysis.totalDrops).toBe(IDLE_N * LAYERS.length);
    expect(analysis.signatures.map(summaryOf)).toHaveLength(LAYERS.length);
    // No connection ended right after its 101: no early-close finding either.
    expect(analysis.findings).toEqual([]);
  });

  it.each(LAYERS)('$name: N within 250 ms of the real cut, idle, at $place.scope $place.value', (c) => {
    const sig = nearest(c);
    expect(sig, 'a signature').toBeDefined();
    const found = summaryOf(sig!);
    expect(Math.abs(sig!.nMs - cutOf(c)), `N against the real cut of ${cutOf(c)} ms; found ${found}`).toBeLessThan(N_TOLERANCE_MS);
    expect({ kind: sig!.kind, count: sig!.count, scope: sig!.location.scope, value: sig!.location.value }, found).toEqual({ kind: 'idle', count: IDLE_N, scope: c.place.scope, value: c.place.value });
    expect(sig!.endedBy, found).toBe('layer');
  });

  it.each(LAYERS)('$name: the software named is what the path shows ($software)', (c) => {
    const sig = nearest(c)!;
    if (c.software) expect(sig.software, summaryOf(sig)).toMatchObject({ name: c.software, side: 'target-front', shownBy: { header: 'server' } });
    else expect(sig.software, summaryOf(sig)).toBeNull();
  });
});
