/**
 * A layer that buffers, found by an echo canary: messages sent an interval apart come back
 * together, held up to the layer's flush period.
 *
 * This kernel has no queueing discipline that holds packets and releases them in bursts
 * (sch_netem with `slot`, sch_plug and taprio are not built; only HTB, TBF and FIFO are), and
 * none of the lab's daemons buffers an upgraded connection (they copy bytes as they come).
 * So the buffering layer is a small TCP relay of the test's own on loopback, in front of the
 * target: what the canary sends is held and written upstream every FLUSH_MS, in one write,
 * as a proxy that coalesces writes does; what comes back passes at once. The echo canary
 * sends a message every INTERVAL_MS; the probe counts the echoes that come back in bunches
 * (agent/profiles.ts) and the diagnosis (lib/diagnosis/echo.ts) names the buffering and
 * how long messages were held.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProfileConfig } from '../../agent/config';
import { echoFindingsOf } from '../../lib/diagnosis/echo';
import { experimentSessionsOfRuns, unitCanaries } from './experiments';
import { row, startTarget, type LabTarget } from './lab';
import { runTogether } from './samples';

const INTERVAL_MS = 100;
const FLUSH_MS = 500;
const ECHO: ProfileConfig = { name: 'echo-100ms', kind: 'echo', interval: INTERVAL_MS, timeout: 2000, messageBytes: 64 };
/** Echo canaries on the path at once: a buffering finding wants bunches in more than one session's worth of evidence. */
const CANARIES = 2;
const HOLD_MS = 3000;

interface BufferingRelay {
  port: number;
  close(): Promise<void>;
}

/** A TCP relay on loopback to `upstreamPort` that holds client-to-upstream bytes and writes them every `flushMs`. */
async function startBufferingRelay(upstreamPort: number, flushMs: number): Promise<BufferingRelay> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const up = connect(upstreamPort, '127.0.0.1');
    for (const s of [client, up]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        up.destroy();
      });
    }
    let held: Buffer[] = [];
    client.on('data', (c: Buffer) => held.push(c));
    const flush = setInterval(() => {
      if (held.length === 0) return;
      up.write(Buffer.concat(held));
      held = [];
    }, flushMs);
    up.on('data', (c: Buffer) => client.write(c));
    client.on('close', () => {
      clearInterval(flush);
      up.destroy();
    });
    up.on('close', () => {
      clearInterval(flush);
      client.destroy();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  return {
    port: typeof a === 'object' && a ? a.port : 0,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

let target: LabTarget | undefined;
let relay: BufferingRelay | undefined;

beforeAll(async () => {
  target = await startTarget();
  relay = await startBufferingRelay(target.port, FLUSH_MS);
});

afterAll(async () => {
  await relay?.close().catch(() => {});
  await target?.close().catch(() => {});
});

describe('echo finds a layer that buffers', () => {
  it(`a relay flushing every ${FLUSH_MS} ms bunches echoes sent every ${INTERVAL_MS} ms: buffering, held about ${FLUSH_MS} ms`, async () => {
    const runs = await runTogether(unitCanaries(`ws://127.0.0.1:${relay!.port}/canary`, 'direct', ECHO, { target: 'buffered-front' }, CANARIES), HOLD_MS);
    for (const r of runs) {
      const end = r.ended;
      expect(end, 'the echo canary opened and ended').toBeDefined();
      row('buffering relay', `flush every ${FLUSH_MS} ms`, end!);
      console.log(`LAB | buffering: echo ${JSON.stringify(end!.echo)}`);
      // Stopped by the test, not cut: the relay only delays.
      expect(end!.endKind).toBe('probe_closed');
      expect(end!.echo!.bunches).toBeGreaterThanOrEqual(2);
      // A bunch's first message waited for the flush: up to FLUSH_MS, at least most of it.
      expect(end!.echo!.maxHoldMs).toBeGreaterThan(FLUSH_MS - 2 * INTERVAL_MS);
      expect(end!.echo!.maxHoldMs).toBeLessThan(FLUSH_MS + 2 * INTERVAL_MS);
    }
    const views = echoFindingsOf(experimentSessionsOfRuns(runs));
    console.log(`LAB | buffering findings: ${JSON.stringify(views)}`);
    expect(views).toEqual([expect.objectContaining({ target: 'buffered-front', kind: 'buffering', sessions: CANARIES })]);
    expect(views[0]!.heldMs!).toBeGreaterThan(FLUSH_MS - 2 * INTERVAL_MS);
    expect(views[0]!.heldMs!).toBeLessThan(FLUSH_MS + 2 * INTERVAL_MS);
  });
});
