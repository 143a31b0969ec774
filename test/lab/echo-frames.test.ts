/**
 * Large frames, found by an echo canary whose messages grow (64 B, 128 B, ... doubling up
 * to GROW_TO): the size at which a layer loses or refuses them.
 *
 *   a  lost: a path-MTU black hole. The canary reaches the target through a relay in a
 *      namespace of the test's own (netns.ts), and an nftables rule there drops every
 *      packet from the canary longer than MAX_PACKET bytes, as a link with a small MTU
 *      whose ICMP "fragmentation needed" never comes back. Messages up to 1 KiB fit in one
 *      packet and come back; the 2 KiB one needs a 1500-byte segment, which TCP resends
 *      into the hole forever, and everything after it waits behind it: silence, then the
 *      echo deadline. The rule's counter shows it really matched.
 *   b  refused: the endpoint behind nginx accepts messages of at most MAX_PAYLOAD bytes
 *      and closes a larger one with 1009 (the ws library's maxPayload, as an application
 *      server's message limit); nginx passes the close frame on.
 * The diagnosis (lib/diagnosis echoFindingsOf) names the kind and the smallest size that
 * failed. The cases run at once (describe.concurrent).
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { ProfileConfig } from '../../agent/config';
import { echoFindingsOf } from '../../lib/diagnosis/echo';
import type { Daemon } from './daemon';
import { experimentSessionsOfRuns, unitCanaries } from './experiments';
import { row, startTarget, type LabTarget } from './lab';
import { ruleCounter } from './nat';
import { createNetns, netnsUnavailable, NFT_TABLE, startRelay, type Netns, type Relay } from './netns';
import { startNginx, wsLocation } from './proxies';
import { runTogether } from './samples';

const GROW_TO = 16 * 1024;
const INTERVAL_MS = 200;
const DEADLINE_MS = 1000;
const ECHO: ProfileConfig = { name: 'echo-grow', kind: 'echo', interval: INTERVAL_MS, timeout: DEADLINE_MS, messageBytes: 64, growTo: GROW_TO };
/** Largest IP packet the black hole lets through: a 1 KiB message is ~1.1 KB on the wire, a 2 KiB one is not. */
const MAX_PACKET = 1200;
const MAX_PAYLOAD = 4096;
const RELAY_PORT = 8080;
/** A loss must repeat before it is a finding (lib/diagnosis/echo.ts): two canaries into the hole at once. */
const LOST_CANARIES = 2;
/** Long enough for every size to be sent and its echo awaited. */
const HOLD_MS = (Math.log2(GROW_TO / 64) + 2) * INTERVAL_MS + DEADLINE_MS + 2000;

let unavailable: string | null = null;
let ns: Netns | undefined;
let holeTarget: LabTarget | undefined;
let relay: Relay | undefined;
let limitedTarget: LabTarget | undefined;
let nginx: Daemon | undefined;

beforeAll(async () => {
  limitedTarget = await startTarget('127.0.0.1', { maxPayload: MAX_PAYLOAD });
  nginx = await startNginx(wsLocation('/', limitedTarget.port, 30), 'nginx-echo');
  unavailable = await netnsUnavailable();
  if (unavailable) return;
  ns = await createNetns();
  holeTarget = await startTarget(ns.hostAddr);
  relay = await startRelay(ns, RELAY_PORT, { host: ns.hostAddr, port: holeTarget.port });
  await ns.nft(`add rule inet ${NFT_TABLE} input ip saddr ${ns.hostAddr} tcp dport ${RELAY_PORT} meta length > ${MAX_PACKET} counter drop\n`);
});

afterAll(async () => {
  // Each step on its own: a failure in one must not leave a daemon or the namespace behind.
  await relay?.stop().catch(() => {});
  await holeTarget?.close().catch(() => {});
  await ns?.remove();
  await nginx?.stop().catch(() => {});
  await limitedTarget?.close().catch(() => {});
});

describe.concurrent('echo with growing messages finds the size where large frames fail', () => {
  it(`a: a black hole for packets over ${MAX_PACKET} bytes loses the 2 KiB message: frame-lost at 2048`, async ({ expect, skip }) => {
    if (unavailable) skip(`the black-hole lab cannot run here: ${unavailable}`);
    const runs = await runTogether(unitCanaries(`ws://${ns!.nsAddr}:${RELAY_PORT}/canary`, 'direct', ECHO, { target: 'mtu-hole' }, LOST_CANARIES), HOLD_MS);
    for (const r of runs) {
      const end = r.ended;
      expect(end, 'the echo canary opened and ended').toBeDefined();
      row('MTU black hole (nft)', `drop > ${MAX_PACKET} B`, end!);
      console.log(`LAB | MTU black hole: echo ${JSON.stringify(end!.echo)}; ${end!.closeReason}`);
      expect(end!.endKind).toBe('pong_timeout');
      expect(end!.echo).toMatchObject({ largestReturnedBytes: 1024 });
    }
    const dropped = await ruleCounter(ns!, 'input');
    console.log(`LAB | MTU black hole: ${dropped} packets over ${MAX_PACKET} bytes dropped`);
    expect(dropped).toBeGreaterThan(0);
    const findings = echoFindingsOf(experimentSessionsOfRuns(runs));
    console.log(`LAB | MTU black hole findings: ${JSON.stringify(findings)}`);
    expect(findings).toEqual([expect.objectContaining({ target: 'mtu-hole', kind: 'frame-lost', failedAtBytes: 2048, largestReturnedBytes: 1024, sessions: LOST_CANARIES })]);
  });

  it(`b: an endpoint with a ${MAX_PAYLOAD}-byte message limit behind nginx refuses 8 KiB with 1009: frame-refused at 8192`, async ({ expect }) => {
    const runs = await runTogether(unitCanaries(`ws://127.0.0.1:${nginx!.port}/canary`, 'direct', ECHO, { target: 'limited-front' }), HOLD_MS);
    const end = runs[0]!.ended;
    expect(end, 'the echo canary opened and ended').toBeDefined();
    row('nginx -> maxPayload 4 KiB', `maxPayload ${MAX_PAYLOAD}`, end!);
    console.log(`LAB | 1009: echo ${JSON.stringify(end!.echo)}; ${end!.closeReason}`);
    expect(end!).toMatchObject({ endKind: 'close_frame', closeCode: 1009 });
    expect(end!.echo).toMatchObject({ largestReturnedBytes: MAX_PAYLOAD, lastSentBytes: 2 * MAX_PAYLOAD });
    const findings = echoFindingsOf(experimentSessionsOfRuns(runs));
    console.log(`LAB | 1009 findings: ${JSON.stringify(findings)}`);
    expect(findings).toEqual([expect.objectContaining({ target: 'limited-front', kind: 'frame-refused', failedAtBytes: 2 * MAX_PAYLOAD, largestReturnedBytes: MAX_PAYLOAD })]);
  });
});
