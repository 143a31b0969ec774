/**
 * Chain bisection on real daemons: a service declares its entry points in order, outermost
 * first, and idle canaries run on each; the analysis names the outermost entry point whose
 * canaries show a signature while the next one inward does not.
 *
 *   A (outer shorter): canary -> HAProxy (timeout tunnel 3 s) -> nginx (proxy_read_timeout 6 s) -> app
 *      hops outer = HAProxy's address, inner = nginx's, app = the target itself.
 *      The 3 s cut shows at outer only: HAProxy's. The 6 s cut shows at inner (outer's
 *      canaries never live that long) and not at app: nginx's.
 *   B (inner shorter): canary -> nginx (6 s) -> HAProxy (3 s) -> app
 *      The 3 s cut shows at outer and at inner, not at app: the inner layer's (HAProxy's),
 *      whatever the outer entry point's canaries say. No 6 s cut shows anywhere.
 * Both chains run at once (describe.concurrent); each is analysed on its own, as two
 * services would be.
 */
import { afterAll, beforeAll, describe, it, type ExpectStatic } from 'vitest';
import { analyzeSessions, type SessionSample } from '../../lib/analysis/analyze';
import type { Signature } from '../../lib/analysis/types';
import type { Chain } from '../../lib/diagnosis/types';
import type { Daemon } from './daemon';
import { unitCanaries } from './experiments';
import { HEARTBEAT, IDLE, startTarget, type LabTarget } from './lab';
import { configuredCutMs, startHaproxy, startNginx, wsLocation } from './proxies';
import { nAround, record } from './record';
import { runTogether, samplesOf } from './samples';

const SHORT_S = 3;
const LONG_S = 6;
/** Idle canaries per entry point: the analysis wants at least 6 in a window. */
const PER_HOP = 8;
const HEARTBEATS_PER_HOP = 2;
const OUTLIVE_MS = 1500;
const CHAIN: Chain = { name: 'lab-service', hops: ['outer', 'inner', 'app'] };

let target: LabTarget | undefined;
const daemons: Daemon[] = [];
/** Entry points of each case, by hop name. */
const entries: { A: Record<string, string>; B: Record<string, string> } = { A: {}, B: {} };

beforeAll(async () => {
  target = await startTarget();
  const app = `ws://127.0.0.1:${target.port}/canary`;
  // A: HAProxy 3 s -> nginx 6 s -> app.
  const nginxA = await startNginx(wsLocation('/', target.port, LONG_S), 'nginx-chain-a');
  daemons.push(nginxA);
  const haproxyA = await startHaproxy({ upstreamPort: nginxA.port, tunnelTimeoutS: SHORT_S });
  daemons.push(haproxyA);
  // B: nginx 6 s -> HAProxy 3 s -> app.
  const haproxyB = await startHaproxy({ upstreamPort: target.port, tunnelTimeoutS: SHORT_S });
  daemons.push(haproxyB);
  const nginxB = await startNginx(wsLocation('/', haproxyB.port, LONG_S), 'nginx-chain-b');
  daemons.push(nginxB);
  const url = (d: Daemon) => `ws://127.0.0.1:${d.port}/canary`;
  entries.A = { outer: url(haproxyA), inner: url(nginxA), app };
  entries.B = { outer: url(nginxB), inner: url(haproxyB), app };
});

afterAll(async () => {
  // Outermost first, so no daemon sees its upstream vanish under an open tunnel; each on its own.
  for (const d of [...daemons].reverse()) await d.stop().catch(() => {});
  await target?.close().catch(() => {});
});

const near = (sigs: readonly Signature[], ms: number) => sigs.find((s) => Math.abs(s.nMs - ms) < 250);

/**
 * Each hop's idle canaries, and heartbeat canaries that outlive every idle cut (what tells
 * an idle cut from a lifetime limit), held until LONG_S + OUTLIVE_MS; their samples, checked
 * to have been cut where each case's daemons are configured.
 */
async function collect(c: 'A' | 'B', cuts: Record<string, number | null>, expect: ExpectStatic): Promise<SessionSample[]> {
  const plans = CHAIN.hops.flatMap((hop) => [...unitCanaries(entries[c][hop]!, 'direct', IDLE, { target: hop }, PER_HOP), ...unitCanaries(entries[c][hop]!, 'direct', HEARTBEAT, { target: hop }, HEARTBEATS_PER_HOP)]);
  const runs = await runTogether(plans, LONG_S * 1000 + OUTLIVE_MS);
  const samples = await samplesOf(runs, target);
  const ages = (hop: string) => samples.filter((s) => s.target === hop && s.dropped).map((s) => Math.round(s.ageMs ?? -1));
  console.log(`LAB | chain ${c} drops (ms): ${CHAIN.hops.map((h) => `${h} [${ages(h).join(', ')}]`).join('; ')}`);
  for (const [hop, s] of Object.entries(cuts)) {
    if (s === null) expect(ages(hop), `no cut on ${hop}`).toEqual([]);
    else {
      expect(ages(hop), `${hop} cut at ${s} s`).toHaveLength(PER_HOP);
      for (const ms of ages(hop)) expect(Math.abs(ms - s * 1000)).toBeLessThan(250);
    }
  }
  return samples;
}

describe.concurrent('chain bisection: two real proxies in front of the app, each with its own idle timeout', () => {
  it(`A: HAProxy ${SHORT_S} s outside nginx ${LONG_S} s: the ${SHORT_S} s cut is the outer hop's, the ${LONG_S} s cut the inner's`, async ({ expect }) => {
    const samples = await collect('A', { outer: SHORT_S, inner: LONG_S, app: null }, expect);
    const result = analyzeSessions(samples, undefined, { chains: [CHAIN] });
    console.log(`LAB | chain A: ${result.signatures.map((s) => `${s.key} (${s.kind}, ${s.location.scope} ${s.location.value}): ${s.chain?.summary ?? 'no chain'} | ${s.verdict}`).join(' || ')}`);
    const short = near(result.signatures, SHORT_S * 1000);
    const long = near(result.signatures, LONG_S * 1000);
    expect(short?.chain).toMatchObject({ chain: CHAIN.name, cutAt: 'outer', nextInward: 'inner', hops: [{ target: 'outer', state: 'cut' }, { target: 'inner', state: 'clean' }, { target: 'app', state: 'clean' }] });
    expect(short!.verdict).toMatch(/between outer and inner/);
    // The outer hop's canaries never lived to 6 s: unseen there, and the cut is the inner's.
    expect(long?.chain).toMatchObject({ chain: CHAIN.name, cutAt: 'inner', nextInward: 'app', hops: [{ target: 'outer', state: 'unseen' }, { target: 'inner', state: 'cut' }, { target: 'app', state: 'clean' }] });
    expect(result.diagnosis.chains.map((c) => [c.signature, c.cutAt]).sort()).toEqual([[short!.key, 'outer'], [long!.key, 'inner']].sort());
    expect([short!.kind, long!.kind]).toEqual(['idle', 'idle']);
    // HAProxy names nothing; the nginx Server header the outer hop's canaries see answers on
    // the inner hop too, whose canaries outlive 3 s: not the layer that cut.
    expect(short!.software).toBeNull();
    expect(short!.softwareNote).toMatch(/answers the upgrade on inner too/);
    expect(short!.verdict).not.toMatch(/nginx/);
    expect(long!.software?.name).toBe('nginx');

    // For the scorecard, labelled from the daemons' configuration: HAProxy sends no Server
    // header, so the nginx one the outer hop's canaries see speaks for the inner layer.
    await record({
      name: 'chain-haproxy-3s-outside-nginx-6s',
      classes: ['lab', 'chain', 'software-wrong-place'],
      sessions: samples,
      chains: [CHAIN],
      expect: {
        signatures: [
          { nMs: nAround(configuredCutMs('haproxy', SHORT_S)), kind: 'idle', place: { scope: 'target', value: 'outer' }, software: null, endedBy: 'layer' },
          { nMs: nAround(configuredCutMs('nginx', LONG_S)), kind: 'idle', place: { scope: 'target', value: 'inner' }, software: 'nginx', endedBy: 'layer' },
        ],
        diagnosis: {
          chains: [
            { nMs: nAround(configuredCutMs('haproxy', SHORT_S)), cutAt: 'outer' },
            { nMs: nAround(configuredCutMs('nginx', LONG_S)), cutAt: 'inner' },
          ],
        },
      },
      why: "HAProxy's timeout tunnel cuts at 3 s in front of nginx: the Server header the canaries see is the inner nginx's, and only the chain's hops say which layer cut",
    });
  });

  it(`B: nginx ${LONG_S} s outside HAProxy ${SHORT_S} s: the ${SHORT_S} s cut shows on both hops and is the inner hop's`, async ({ expect }) => {
    const samples = await collect('B', { outer: SHORT_S, inner: SHORT_S, app: null }, expect);
    const result = analyzeSessions(samples, undefined, { chains: [CHAIN] });
    // Not recorded for the scorecard: the cut shows on two of the three targets, a place the
    // path matrix has no scope for (the analysis says "every path observed").
    console.log(`LAB | chain B: ${result.signatures.map((s) => `${s.key} (${s.kind}, ${s.location.scope} ${s.location.value}): ${s.chain?.summary ?? 'no chain'} | ${s.verdict}`).join(' || ')}`);
    expect(near(result.signatures, LONG_S * 1000)).toBeUndefined();
    const short = near(result.signatures, SHORT_S * 1000);
    expect(short?.chain).toMatchObject({ chain: CHAIN.name, cutAt: 'inner', nextInward: 'app', hops: [{ target: 'outer', state: 'cut' }, { target: 'inner', state: 'cut' }, { target: 'app', state: 'clean' }] });
  });
});
