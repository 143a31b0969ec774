/**
 * How promptly a real cut is seen, on the real clock. The unit tests (test/agent/canary.test.ts)
 * move the probe's clock themselves and check how an ending is dated; these check that on a
 * real event loop the dating is also close to the truth: a relay on loopback cuts at a
 * moment it records on the same monotonic clock (performance.now) as the probe.
 *
 * Wall-clock bounds only hold on a machine that is not starved: the lab runs one file at a
 * time (vitest.lab.config.mts), and nothing else should load the cores meanwhile.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ProfileConfig } from '../../agent/config';
import { startRelay, type CutMode, type Relay } from '../helpers/relay';
import { attempt, canary, row, startTarget, type LabTarget } from './lab';

/** How far the probe's date of a cut may be from the relay's: the event-loop lag of one hop. */
const PROMPT_MS = 20;

let target: LabTarget | undefined;
let relay: Relay | undefined;
afterEach(async () => {
  await relay?.close();
  await target?.close();
  relay = target = undefined;
});

describe('how promptly the probe sees a real cut (loopback relay, real clock)', () => {
  it.each([
    ['fin', 'tcp_fin'],
    ['reset', 'tcp_reset'],
  ] as [CutMode, string][])(`an idle canary cut by a relay's 700 ms idle timeout (%s) is dated within ${PROMPT_MS} ms of the cut`, async (mode, kind) => {
    target = await startTarget();
    relay = await startRelay(target.port, { idleMs: 700, mode });
    const run = await attempt(canary(`ws://127.0.0.1:${relay.port}/canary`));
    const end = run.ended!;
    row(`loopback relay (${mode})`, 'idle 700 ms', end);
    expect(end.endKind).toBe(kind);
    const conn = relay.connections[0]!;
    const truth = conn.cutAt! - conn.firstDownAt!;
    expect(Math.abs(end.durationMs - truth)).toBeLessThan(PROMPT_MS);
    expect(end.durationMs).toBeGreaterThan(650);
    // Idle: the silence before the cut is the whole session.
    expect(Math.abs(end.sinceLastRecvMs! - end.durationMs)).toBeLessThan(PROMPT_MS);
  });

  it('a heartbeat canary behind a relay that goes dark notices within P+T, and its last pong dates the death', async () => {
    const P = 200;
    const T = 300;
    const profile: ProfileConfig = { name: 'hb', kind: 'heartbeat', interval: P, timeout: T };
    target = await startTarget();
    relay = await startRelay(target.port, { lifetimeMs: 600, mode: 'blackhole' });
    const run = await attempt(canary(`ws://127.0.0.1:${relay.port}/canary`, 'direct', profile));
    const end = run.ended!;
    row('loopback relay (black hole)', 'dark after 600 ms', end);
    expect(end.endKind).toBe('pong_timeout');
    // Noticed within P+T of going dark, plus a little event-loop lag...
    expect(end.durationMs).toBeLessThan(600 + P + T + 60);
    // ...and the last byte received dates the death: after the first pongs, not after the dark.
    const lastByte = end.durationMs - end.sinceLastRecvMs!;
    expect(lastByte).toBeGreaterThan(600 - P - 50);
    expect(lastByte).toBeLessThan(600 + PROMPT_MS);
  });
});
