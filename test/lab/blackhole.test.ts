/**
 * Silent death: an established connection black-holed in the middle, the way a NAT or a
 * stateful firewall that forgot the flow drops it. No FIN, no RST, no close frame: only a
 * heartbeat canary notices, when its pong deadline passes, and the moment of death is the
 * last byte it received, not the deadline (STACK-NOTES: a black hole gives no event at all).
 *
 * The target sits on the host end of a veth pair into a namespace the test creates; a
 * relay inside the namespace forwards the canary to it, and an nftables rule in the
 * namespace drops the canary's flow both ways while it is open. The relay keeps its own
 * connection to the target, so the target hears nothing either: both ends stay silent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionEnded } from '../../lib/contracts/ingest';
import { attempt, canary, HEARTBEAT, row, startTarget, type LabTarget, type Run } from './lab';
import { createNetns, netnsUnavailable, NFT_TABLE, startRelay, type Netns, type Relay } from './netns';

const P = HEARTBEAT.kind === 'heartbeat' ? HEARTBEAT.interval : 0;
const T = HEARTBEAT.kind === 'heartbeat' ? HEARTBEAT.timeout : 0;
const RELAY_PORT = 8080;

let ns: Netns | undefined;
let target: LabTarget | undefined;
let relay: Relay | undefined;

beforeAll(async () => {
  const why = await netnsUnavailable();
  if (why) throw new Error(`the black-hole lab cannot run here: ${why}`);
  ns = await createNetns();
  target = await startTarget(ns.hostAddr);
  relay = await startRelay(ns, RELAY_PORT, { host: ns.hostAddr, port: target.port });
});

afterAll(async () => {
  // Each step on its own: a failure in one must not leave the namespace behind.
  await relay?.stop().catch(() => {});
  await target?.close().catch(() => {});
  await ns?.remove();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a black hole in the middle of an open connection (nftables drop in a namespace)', () => {
  it(`a heartbeat canary (ping ${P} ms, deadline ${T} ms) reports pong_timeout within P+T, dated by its last pong`, async () => {
    const stop = new AbortController();
    let openAt: number | undefined;
    let markOpen!: () => void;
    const open = new Promise<void>((r) => (markOpen = r));
    const pending = attempt(canary(`ws://${ns!.nsAddr}:${RELAY_PORT}/canary`, 'direct', HEARTBEAT), stop.signal, 5000, (e, at) => {
      if (e.type === 'session.opened') {
        openAt = at;
        markOpen();
      }
    });
    try {
      await Promise.race([open, pending]);
      expect(openAt, 'the canary opened through the relay').toBeDefined();
      // A few healthy round trips first, at a phase that is not a multiple of P.
      await sleep(3 * P + 230);
      expect(relay!.accepted, 'the relay saw exactly the canary').toHaveLength(1);
      const flow = relay!.accepted[0]!;
      await ns!.nft(`
add rule inet ${NFT_TABLE} input ip saddr ${ns!.hostAddr} tcp sport ${flow} drop
add rule inet ${NFT_TABLE} output ip daddr ${ns!.hostAddr} tcp dport ${flow} drop
`);
      // The rule is in force by the time nft returns: date the black hole then.
      const holeAt = performance.now() - openAt!;
      const run = (await Promise.race([pending, sleep(P + T + 3000).then(() => null)])) as Run | null;
      expect(run, `no ending within P+T+3 s of the black hole`).not.toBeNull();
      const end = run!.ended as SessionEnded;
      row('black hole (nft drop)', `heartbeat ${P}/${T} ms`, end, undefined);
      const diedAt = end.durationMs - end.sinceLastRecvMs!;
      console.log(`LAB | black hole at ${Math.round(holeAt)} ms after open; probe noticed at ${Math.round(end.durationMs)} ms (${Math.round(end.durationMs - holeAt)} ms later), dated it to its last byte at ${Math.round(diedAt)} ms`);
      expect(end.endKind).toBe('pong_timeout');
      expect(end.closeCode).toBe(1006);
      expect(end.closeReason).toBe(`no pong within ${T} ms`);
      // Noticed by the deadline of the first ping that went into the hole: between T and P+T
      // after it (plus the time nft took), with slack for a loaded machine.
      expect(end.durationMs - holeAt).toBeGreaterThan(T - 100);
      expect(end.durationMs - holeAt).toBeLessThan(P + T + 500);
      // Dated by the last pong, which came at most one interval before the hole.
      expect(Math.abs(diedAt - holeAt)).toBeLessThan(600);
      expect(diedAt).toBeLessThanOrEqual(holeAt + 50);
      // And the target heard nothing: the relay still holds its side, as a NAT would.
      await sleep(500);
      expect(target!.views.find((v) => v.sessionId === end.sessionId)).toBeUndefined();
    } finally {
      stop.abort();
      await Promise.race([pending, sleep(5000)]);
    }
  });
});
