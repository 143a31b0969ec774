/**
 * L4 or L7, by experiment: the same silence with and without TCP keepalive on the canary's
 * socket, through a layer that reads the byte stream and through one that only tracks
 * TCP segments.
 *
 *   a (L7) nginx, proxy_read_timeout N_S: TCP keepalive probes carry no bytes, so nginx's
 *          read timer runs on; the idle rung and the keepalive rung both die at N (FIN).
 *   b (L4) a NAT in a namespace of the test's own (test/lab/nat.ts): DNAT to the target on
 *          the host's end of the veth, masquerade, conntrack forgetting established flows
 *          after CONNTRACK_S and strict tracking, so that a forgotten flow's next segment
 *          is invalid and dropped in silence, as a carrier NAT forgets a mapping. The idle
 *          rung's ping after IDLE_GAP_MS goes into the void (pong deadline); the keepalive
 *          rung's probes every KEEPALIVE_MS refresh the mapping and it survives.
 * Each rung is silent for its gap (IDLE_GAP_MS, GAP_MS) and then sends one ping. The
 * diagnosis compares the keepalive rungs against the idle cut on the same path (the idle
 * rung that died) and says l7 for a, l4 for b. The two cases run at once (describe.concurrent).
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { PlannedCanary, ProfileConfig } from '../../agent/config';
import type { SessionEnded } from '../../lib/contracts/ingest';
import { analyzeSessions } from '../../lib/analysis/analyze';
import type { Daemon } from './daemon';
import { experimentSessionsOfRuns, unitCanaries } from './experiments';
import { row, startTarget, type LabTarget, type Run } from './lab';
import { startNat, type Nat } from './nat';
import { createNetns, netnsUnavailable, type Netns } from './netns';
import { startNginx, wsLocation } from './proxies';
import { runTogether } from './samples';

const N_S = 3;
const CONNTRACK_S = 3;
/** The idle rung's gap: past both cuts, and under the keepalive rung's, so that its death bounds the cut below the keepalive rung's silence. */
const IDLE_GAP_MS = 4000;
const GAP_MS = 5000;
const KEEPALIVE_MS = 1000;
const PONG_MS = 1000;
/** Rungs of each kind per case. */
const RUNGS = 2;
const NAT_PORT = 8080;

const LADDER: ProfileConfig = { name: 'ladder', kind: 'ladder', gaps: [IDLE_GAP_MS], timeout: PONG_MS };
const KEEPALIVE: ProfileConfig = { name: `keepalive-${KEEPALIVE_MS / 1000}s`, kind: 'keepalive', gap: GAP_MS, keepalive: KEEPALIVE_MS, timeout: PONG_MS };

let unavailable: string | null = null;
let target: LabTarget | undefined;
let nginx: Daemon | undefined;
let ns: Netns | undefined;
let nat: Nat | undefined;
/** The target the NAT forwards to, on the host's end of the veth. */
let natTarget: LabTarget | undefined;

beforeAll(async () => {
  target = await startTarget();
  nginx = await startNginx(wsLocation('/', target.port, N_S), 'nginx-keepalive');
  unavailable = await netnsUnavailable();
  if (unavailable) return;
  ns = await createNetns();
  natTarget = await startTarget(ns.hostAddr);
  nat = await startNat(ns, { port: NAT_PORT, upstream: { host: ns.hostAddr, port: natTarget.port }, establishedTimeoutS: CONNTRACK_S });
});

afterAll(async () => {
  // Each step on its own: a failure in one must not leave a daemon or the namespace behind.
  await nginx?.stop().catch(() => {});
  await target?.close().catch(() => {});
  await natTarget?.close().catch(() => {});
  await ns?.remove();
});

/**
 * An idle rung (a ladder of one gap) and a keepalive rung, RUNGS of each, on one entry point.
 * The idle rung that died is the path's idle cut for the diagnosis (an upper bound: the
 * ladder's gap), which the keepalive rung's silence must pass.
 */
function rungs(url: string, name: string): PlannedCanary[] {
  return [
    ...unitCanaries(url, 'direct', LADDER, { target: name }, RUNGS, { gapMs: IDLE_GAP_MS, profileLabel: `ladder/${IDLE_GAP_MS / 1000}s` }),
    ...unitCanaries(url, 'direct', KEEPALIVE, { target: name }, RUNGS, { gapMs: GAP_MS }),
  ];
}

/** The rungs' endings on one entry point, by profile kind. */
function endings(runs: readonly Run[], kind: 'ladder' | 'keepalive'): SessionEnded[] {
  return runs.filter((r) => r.ended?.path.profileKind === kind).map((r) => r.ended!);
}

/** What the diagnosis says of the keepalive rungs on one entry point, from its rungs alone. */
function diagnosed(runs: readonly Run[], name: string) {
  const { diagnosis, findings } = analyzeSessions([], undefined, { experiments: experimentSessionsOfRuns(runs) });
  const transport = diagnosis.transports.find((x) => x.target === name);
  const said = findings.filter((f) => f.kind === 'transport');
  console.log(`LAB | ${name} transport: ${JSON.stringify(transport)}; ${said.map((f) => `${f.cause}: ${f.title}`).join(' | ')}`);
  return { transport, said };
}

const HOLD_MS = GAP_MS + PONG_MS + 3000;

describe.concurrent('keepalive: TCP keepalive tells a layer that tracks segments from one that reads the stream', () => {
  it(`a: nginx (proxy_read_timeout ${N_S} s) kills both rungs at ${N_S} s: l7`, async ({ expect }) => {
    const runs = await runTogether(rungs(`ws://127.0.0.1:${nginx!.port}/canary`, 'nginx-front'), HOLD_MS);
    for (const r of runs) expect(r.ended, `every rung opened and ended (${r.failed?.errorCode ?? ''})`).toBeDefined();
    for (const e of [...endings(runs, 'ladder'), ...endings(runs, 'keepalive')]) {
      row(`nginx ${e.path.profile}`, `proxy_read_timeout ${N_S}s, gap ${(e.path.gapMs ?? 0) / 1000}s`, e);
      // nginx's FIN at N, keepalive or not: its probes carry no byte of the stream.
      expect(e.endKind).toBe('tcp_fin');
      expect(Math.abs(e.durationMs - N_S * 1000)).toBeLessThan(250);
    }
    const { transport, said } = diagnosed(runs, 'nginx-front');
    expect(transport).toMatchObject({ layer: 'l7', gapMs: GAP_MS, keepaliveMs: KEEPALIVE_MS, survived: 0, died: RUNGS });
    expect(said.map((f) => f.cause)).toEqual(['l7']);
  });

  it(`b: a NAT forgetting flows after ${CONNTRACK_S} s kills the idle rung only: l4`, async ({ expect, skip }) => {
    if (unavailable) skip(`the NAT lab cannot run here: ${unavailable}`);
    const runs = await runTogether(rungs(`ws://${nat!.addr}:${nat!.port}/canary`, 'nat-front'), HOLD_MS);
    for (const r of runs) expect(r.ended, `every rung opened and ended (${r.failed?.errorCode ?? ''})`).toBeDefined();
    for (const e of [...endings(runs, 'ladder'), ...endings(runs, 'keepalive')]) row(`NAT ${e.path.profile}`, `conntrack ${CONNTRACK_S}s, gap ${(e.path.gapMs ?? 0) / 1000}s`, e);
    // The idle rung's ping is dropped as invalid (the NAT forgot the flow): the pong deadline.
    for (const e of endings(runs, 'ladder')) {
      expect(e.endKind).toBe('pong_timeout');
      expect(e.durationMs).toBeGreaterThanOrEqual(IDLE_GAP_MS + PONG_MS - 50);
    }
    // The keepalive rung's probes kept the mapping: its ping is answered.
    for (const e of endings(runs, 'keepalive')) {
      expect(e.endKind).toBe('probe_closed');
      expect(e.closeReason).toBe(`keepalive: survived ${GAP_MS / 1000}s idle with TCP keepalive every ${KEEPALIVE_MS / 1000}s`);
      expect(e.path).toMatchObject({ gapMs: GAP_MS, keepaliveMs: KEEPALIVE_MS });
    }
    const dropped = await nat!.invalidDrops();
    console.log(`LAB | NAT: ${dropped} segments of forgotten flows dropped as invalid`);
    expect(dropped).toBeGreaterThan(0);
    const { transport, said } = diagnosed(runs, 'nat-front');
    expect(transport).toMatchObject({ layer: 'l4', gapMs: GAP_MS, keepaliveMs: KEEPALIVE_MS, survived: RUNGS, died: 0 });
    expect(transport!.idleCutMs).not.toBeNull();
    expect(said.map((f) => f.cause)).toEqual(['l4']);
  });
});
