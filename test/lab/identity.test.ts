/**
 * Naming the layer by what it says about itself, at a timeout the catalogue does not know
 * (no user layer is registered):
 *
 *   - nginx in front of the target with proxy_read_timeout 3 s (the catalogue's nginx is
 *     60 s): the 101 carries `Server: nginx/<version>`, so the signature names nginx, its
 *     version and where it sits, and its top candidate is nginx's proxy_read_timeout on the
 *     basis of that identity, not of N.
 *   - The opposite: squid as a forward proxy cuts at 3 s while the target sits behind an
 *     nginx that does not cut (60 s). Every 101 through squid's tunnel still says nginx, and
 *     the direct path to the same target is the control that clears it: the place is the
 *     proxy, and the software is not nginx.
 *   - Layers that name themselves nowhere the probe looks (HAProxy sends no Server header;
 *     a CONNECT or SOCKS tunnel carries only the target's 101): the signature is found at
 *     its N, and its software is null rather than a guess.
 *
 * Each scenario: eight idle canaries through the layer, eight idle canaries on the control
 * path, three heartbeat canaries through the layer that outlive it; squid's batches open
 * just after a whole wall-clock second and dante's heartbeats run after its idle batch
 * (proxies.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlannedCanary, ProfileConfig } from '../../agent/config';
import { analyzeSessions, type Analysis, type SessionSample } from '../../lib/analysis/analyze';
import type { LocationScope, Signature } from '../../lib/analysis/types';
import type { Daemon } from './daemon';
import { canary, HEARTBEAT, IDLE, startTarget, type LabTarget } from './lab';
import { configuredCutMs, nginxVersion, startDante, startHaproxy, startNginx, startSquid, startTinyproxy, wsLocation, type LabDaemonName } from './proxies';
import { nAround, N_TOLERANCE_MS, record } from './record';
import { runTogether, samplesOf } from './samples';

const IDLE_N = 8;
const HEARTBEAT_N = 3;
const OUTLIVE_MS = 1500;

interface Scenario {
  /** The recording's name. */
  name: string;
  classes: string[];
  /** The daemon that cuts, and its configured timeout. */
  daemon: LabDaemonName;
  configuredS: number;
  through(profile: ProfileConfig): PlannedCanary;
  /** The same destination without the cutting layer. */
  control(): PlannedCanary;
  place: { scope: LocationScope; value: string };
  software: string | null;
  /** For the recording: the daemons, their configuration and why the expectation follows. */
  why: string;
  alignToWallSecond?: boolean;
  heartbeatsApart?: boolean;
}

interface Outcome {
  samples: SessionSample[];
  analysis: Analysis;
}

let target: LabTarget;

beforeAll(async () => {
  target = await startTarget();
});

afterAll(async () => {
  await target?.close();
});

const origin = () => `ws://127.0.0.1:${target.port}/canary`;
const times = <T>(n: number, f: () => T): T[] => Array.from({ length: n }, f);
const cutOf = (sc: Scenario) => configuredCutMs(sc.daemon, sc.configuredS);
const summaryOf = (s: Signature) => `${s.key}: N ${s.nMs} ms, ${s.count} drops, ${s.kind}, ${s.location.scope} ${s.location.value}, software ${JSON.stringify(s.software)}, candidates ${JSON.stringify(s.candidates?.map((c) => `${c.name} (${c.basis}, ${c.score})`))}`;

/** The scenario's canaries, its samples (recorded when asked), and the analysis over them. */
async function run(sc: Scenario): Promise<Outcome> {
  const hold = cutOf(sc) + OUTLIVE_MS;
  const idle = [...times(IDLE_N, () => sc.through(IDLE)), ...times(IDLE_N, () => sc.control())];
  const heartbeats = times(HEARTBEAT_N, () => sc.through(HEARTBEAT));
  const runs = sc.heartbeatsApart
    ? [...(await runTogether(idle, hold, { alignToWallSecond: sc.alignToWallSecond })), ...(await runTogether(heartbeats, hold))]
    : await runTogether([...idle, ...heartbeats], hold, { alignToWallSecond: sc.alignToWallSecond });
  const samples = await samplesOf(runs, target);
  await record({
    name: sc.name,
    classes: sc.classes,
    sessions: samples,
    expect: { signatures: [{ nMs: nAround(cutOf(sc)), kind: 'idle', place: sc.place, software: sc.software, endedBy: 'layer' }] },
    why: sc.why,
  });
  const analysis = analyzeSessions(samples);
  for (const s of analysis.signatures) console.log(`LAB | ${sc.name}: ${summaryOf(s)}\nLAB |   ${s.verdict} ${s.recommendation}\nLAB |   software note: ${s.softwareNote}`);
  return { samples, analysis };
}

/** The layer cut its idle canaries, and only those, at its real cut: not early beyond the probe's measurement slack, late within reason on a shared machine. */
function expectCutAsConfigured(sc: Scenario, samples: readonly SessionSample[]): void {
  const drops = samples.filter((s) => s.dropped);
  expect(drops).toHaveLength(IDLE_N);
  const through = sc.through(IDLE);
  for (const d of drops) {
    expect({ target: d.target, proxy: d.proxy, profile: d.profile, endKind: d.endKind }).toEqual({ target: through.target.name, proxy: through.proxy.name, profile: 'idle', endKind: 'tcp_fin' });
    expect(d.ageMs).toBeGreaterThan(cutOf(sc) - N_TOLERANCE_MS);
    expect(d.ageMs).toBeLessThan(cutOf(sc) + 1000);
  }
}

/** The one signature, at the layer's real cut, idle, in the right place. */
function expectOneSignature(sc: Scenario, analysis: Analysis): Signature {
  expect(analysis.signatures.map(summaryOf)).toHaveLength(1);
  expect(analysis.findings).toEqual([]);
  const sig = analysis.signatures[0]!;
  expect(Math.abs(sig.nMs - cutOf(sc)), `N against the real cut of ${cutOf(sc)} ms; found ${summaryOf(sig)}`).toBeLessThan(N_TOLERANCE_MS);
  expect({ kind: sig.kind, count: sig.count, scope: sig.location.scope, value: sig.location.value }, summaryOf(sig)).toEqual({ kind: 'idle', count: IDLE_N, scope: sc.place.scope, value: sc.place.value });
  return sig;
}

describe('nginx names itself in the 101: proxy_read_timeout 3 s, not the catalogue\'s 60 s', () => {
  let nginx: Daemon;
  let outcome: Outcome;
  let version: string;
  const sc: Scenario = {
    name: 'nginx-identity-3s',
    classes: ['lab', 'software-non-default'],
    why: 'nginx 1.22 in front of the origin with proxy_read_timeout 3s (FIN to both sides at 3.0 s); every 101 through it says Server: nginx/<version>; the direct path to the bare origin is the control.',
    daemon: 'nginx',
    configuredS: 3,
    through: (p) => canary(`ws://127.0.0.1:${nginx.port}/canary`, 'direct', p, { target: 'nginx-front' }),
    control: () => canary(origin(), 'direct', IDLE, { target: 'origin' }),
    place: { scope: 'target', value: 'nginx-front' },
    software: 'nginx',
  };

  beforeAll(async () => {
    version = await nginxVersion();
    nginx = await startNginx(wsLocation('/', target.port, sc.configuredS));
    outcome = await run(sc);
  }, 60_000);

  afterAll(async () => {
    await nginx?.stop();
  });

  it('nginx cut the idle canaries through it at 3 s, and its 101 named it with its version', () => {
    expectCutAsConfigured(sc, outcome.samples);
    const fronted = outcome.samples.filter((s) => s.target === 'nginx-front');
    expect(fronted.every((s) => s.headers.server === `nginx/${version}`)).toBe(true);
  });

  it('finds the one signature at 3 s, idle, on target nginx-front', () => {
    expectOneSignature(sc, outcome.analysis);
  });

  it('names the software: nginx, its version, shown by the Server header, in front of the target', () => {
    const sig = outcome.analysis.signatures[0]!;
    expect(sig.software, summaryOf(sig)).toMatchObject({
      name: 'nginx',
      version,
      shownBy: { header: 'server', value: `nginx/${version}`, source: 'upgrade', seen: IDLE_N, of: IDLE_N },
      side: 'target-front',
      known: true,
    });
  });

  it('its top candidate is nginx proxy_read_timeout, on the basis of that identity', () => {
    const sig = outcome.analysis.signatures[0]!;
    const top = sig.candidates[0];
    expect(top, summaryOf(sig)).toBeDefined();
    expect(top!.basis, summaryOf(sig)).toBe('identity');
    expect(`${top!.name} ${top!.setting}`).toMatch(/proxy_read_timeout/);
  });

  it('the verdict names nginx, and the fix names proxy_read_timeout', () => {
    const sig = outcome.analysis.signatures[0]!;
    expect(sig.verdict).toMatch(/nginx/);
    expect(sig.recommendation).toMatch(/proxy_read_timeout/);
  });
});

describe('the 101 says nginx but squid cuts: the identity belongs to another layer', () => {
  let nginx: Daemon;
  let squid: Daemon;
  let outcome: Outcome;
  const front = () => `ws://127.0.0.1:${nginx.port}/canary`;
  const sc: Scenario = {
    name: 'squid-over-nginx-3s',
    classes: ['lab', 'software-wrong-place', 'coarse-timer'],
    why: 'squid 5.7 CONNECT with read_timeout 3 seconds (whole-second clock: the batch opens just after a wall-clock second, heartbeat tunnels keep its loop busy, so it cuts at 3.0 s) in front of nginx with proxy_read_timeout 60s; every 101, through squid or not, says Server: nginx, which speaks for the layer behind the cut; the direct path to the same nginx is the control.',
    daemon: 'squid',
    configuredS: 3,
    through: (p) => canary(front(), `http://127.0.0.1:${squid.port}`, p, { target: 'nginx-front', proxy: 'squid' }),
    control: () => canary(front(), 'direct', IDLE, { target: 'nginx-front' }),
    place: { scope: 'proxy', value: 'squid' },
    software: null,
    alignToWallSecond: true,
  };

  beforeAll(async () => {
    // nginx at its documented default: it does not cut within the scenario.
    nginx = await startNginx(wsLocation('/', target.port, 60));
    squid = await startSquid({ connectPorts: [nginx.port], readTimeoutS: sc.configuredS });
    outcome = await run(sc);
  }, 60_000);

  afterAll(async () => {
    await squid?.stop();
    await nginx?.stop();
  });

  it('squid cut the idle canaries through it at 3 s; every 101, through squid or not, said nginx', () => {
    expectCutAsConfigured(sc, outcome.samples);
    expect(outcome.samples.every((s) => /^nginx\//.test(s.headers.server ?? ''))).toBe(true);
  });

  it('finds the one signature at 3 s, idle, at proxy squid', () => {
    expectOneSignature(sc, outcome.analysis);
  });

  it('does not name nginx: not as the software, not as a candidate', () => {
    const sig = outcome.analysis.signatures[0]!;
    expect(sig.software, summaryOf(sig)).not.toBeUndefined();
    expect(sig.software?.name ?? null, summaryOf(sig)).not.toBe('nginx');
    expect(sig.candidates.filter((c) => /nginx/i.test(c.name)), summaryOf(sig)).toEqual([]);
  });
});

type Unnamed = Scenario & { start(): Promise<Daemon> };

/** A scenario whose daemon `launch` starts; `via` is the canary through it. */
function unnamed(s: Omit<Scenario, 'through' | 'control'> & { launch(): Promise<Daemon>; via(d: Daemon, p: ProfileConfig): PlannedCanary }): Unnamed {
  let daemon: Daemon | undefined;
  const { launch, via, ...rest } = s;
  return {
    ...rest,
    start: async () => (daemon = await launch()),
    through: (p) => via(daemon!, p),
    control: () => canary(origin(), 'direct', IDLE, { target: 'origin' }),
  };
}

/** Layers whose name is nowhere the probe looks: found at their N, software null. */
const UNNAMED: Unnamed[] = [
  unnamed({
    name: 'haproxy-tunnel-4s',
    classes: ['lab', 'software-unseen'],
    why: 'HAProxy 2.6 mode http with timeout tunnel 4s (client and server 30s), FIN to the probe at 4.0 s; HAProxy adds no Server header and the origin sends none.',
    daemon: 'haproxy',
    configuredS: 4,
    launch: () => startHaproxy({ upstreamPort: target.port, tunnelTimeoutS: 4 }),
    via: (d, p) => canary(`ws://127.0.0.1:${d.port}/canary`, 'direct', p, { target: 'haproxy-front' }),
    place: { scope: 'target', value: 'haproxy-front' },
    software: null,
  }),
  unnamed({
    name: 'dante-io-3s',
    classes: ['lab', 'software-unseen', 'coarse-timer'],
    why: 'dante 1.4.2 SOCKS5 with timeout.io 3, which cuts one second late (4.0 s) and only while no session of its io process has traffic: the heartbeats through it run after the idle batch.',
    daemon: 'dante',
    configuredS: 3,
    launch: () => startDante({ timeoutIoS: 3 }),
    via: (d, p) => canary(origin(), `socks5://127.0.0.1:${d.port}`, p, { target: 'origin', proxy: 'dante' }),
    place: { scope: 'proxy', value: 'dante' },
    software: null,
    heartbeatsApart: true,
  }),
  unnamed({
    name: 'squid-read-4s',
    classes: ['lab', 'software-unseen', 'coarse-timer'],
    why: 'squid 5.7 CONNECT with read_timeout 4 seconds (whole-second clock: the batch opens just after a wall-clock second, heartbeat tunnels keep its loop busy, so it cuts at 4.0 s); the tunnel carries only the origin\'s 101.',
    daemon: 'squid',
    configuredS: 4,
    launch: () => startSquid({ connectPorts: [target.port], readTimeoutS: 4 }),
    via: (d, p) => canary(origin(), `http://127.0.0.1:${d.port}`, p, { target: 'origin', proxy: 'squid' }),
    place: { scope: 'proxy', value: 'squid' },
    software: null,
    alignToWallSecond: true,
  }),
];

/**
 * Starts a scenario's daemon, runs its canaries, and checks its real cut and the one
 * signature; the outcome is for the case's own checks.
 */
function labCase(sc: Unnamed): () => Outcome {
  let daemon: Daemon | undefined;
  let outcome: Outcome;

  beforeAll(async () => {
    daemon = await sc.start();
    outcome = await run(sc);
  }, 60_000);

  afterAll(async () => {
    await daemon?.stop();
  });

  it(`${sc.daemon} cut the idle canaries through it at its real cut`, () => {
    expectCutAsConfigured(sc, outcome.samples);
  });

  it('finds the one signature at its N, idle, in its place', () => {
    expectOneSignature(sc, outcome.analysis);
  });
  return () => outcome;
}

describe.each(UNNAMED)('$name: a layer that names itself nowhere the probe looks', (sc) => {
  const outcome = labCase(sc);

  it('names no software, and says why', () => {
    const sig = outcome().analysis.signatures[0]!;
    expect(sig.software, summaryOf(sig)).toBeNull();
    expect(sig.softwareNote).toEqual(expect.any(String));
    expect(sig.softwareNote.length).toBeGreaterThan(0);
    expect(sig.candidates.filter((c) => c.basis === 'identity'), summaryOf(sig)).toEqual([]);
  });
});

/** A forward proxy that names itself where the probe does look: its CONNECT reply. */
const TINYPROXY = unnamed({
  name: 'tinyproxy-3s',
  classes: ['lab', 'software-non-default'],
  why: "tinyproxy 1.11 CONNECT with Timeout 3 (millisecond poll: 3.00 s; its shipped default is 600 s); the tunnel carries only the origin's 101, but tinyproxy's own CONNECT reply says Proxy-agent: tinyproxy/1.11.1.",
  daemon: 'tinyproxy',
  configuredS: 3,
  launch: () => startTinyproxy({ timeoutS: 3, connectPorts: [target.port] }),
  via: (d, p) => canary(origin(), `http://127.0.0.1:${d.port}`, p, { target: 'origin', proxy: 'tinyproxy' }),
  place: { scope: 'proxy', value: 'tinyproxy' },
  software: 'tinyproxy',
});

describe('tinyproxy-3s: a forward proxy named by its own CONNECT reply at a non-default timeout', () => {
  const outcome = labCase(TINYPROXY);

  it('names tinyproxy from its CONNECT reply, and its Timeout as the setting set to N', () => {
    const sig = outcome().analysis.signatures[0]!;
    expect(sig.software, summaryOf(sig)).toMatchObject({ name: 'tinyproxy', side: 'proxy', shownBy: { header: 'proxy-agent', source: 'proxy-reply' } });
    expect(sig.candidates[0], summaryOf(sig)).toMatchObject({ basis: 'identity', layerId: 'tinyproxy-timeout' });
    expect(sig.verdict).toContain('tinyproxy');
  });
});
