import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { BUILTIN_PROFILES, toProxyConfig } from '../../agent/config';
import { startRunner } from '../../agent/runner';
import type { AttemptFailed, IngestEvent } from '../../lib/contracts/ingest';

describe('runner', () => {
  it('reconnects after every ending with exponential backoff up to the cap', async () => {
    // A port nobody listens on, on a loopback address no other test binds: a port freed on
    // 127.0.0.1 could be taken by a server of a test running beside this one, which would
    // answer instead of refusing.
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.2', r));
    const port = (s.address() as { port: number }).port;
    await new Promise((r) => s.close(r));

    const events: IngestEvent[] = [];
    // random() = 1: the jitter's upper edge, so the schedule is exactly base·2^n, capped.
    const runner = startRunner(
      [{ key: 'k', target: { name: 't', url: `ws://127.0.0.2:${port}/`, headers: {}, subprotocols: [], tls: { verify: true } }, proxy: toProxyConfig({ name: 'direct', url: 'direct' }), profile: BUILTIN_PROFILES[0]!, profileLabel: 'idle' }],
      { emit: (e) => events.push(e), clock: () => performance.now(), wall: () => new Date(), dialTimeoutMs: 1000, backoff: { baseMs: 40, capMs: 200 }, random: () => 1 },
    );
    await new Promise((r) => setTimeout(r, 1100));
    expect(['backoff', 'connecting'].some((k) => runner.counts()[k as 'backoff'] === 1)).toBe(true);
    await runner.stop();
    expect(runner.counts()).toEqual({ open: 0, connecting: 0, backoff: 0 });

    const times = events.map((e) => Date.parse((e as AttemptFailed).attemptedAt));
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    // 80, 160, then the 200 ms cap.
    expect(gaps.length).toBeGreaterThanOrEqual(3);
    const expected = [80, 160, 200, 200, 200, 200];
    gaps.forEach((g, i) => {
      // Timer and event-loop lag on a loaded 2-core machine only ever add to a gap.
      expect(g).toBeGreaterThanOrEqual(expected[i]! - 5);
      expect(g).toBeLessThan(expected[i]! + 150);
    });
    expect(events.every((e) => e.type === 'attempt.failed' && e.errorCode === 'ECONNREFUSED')).toBe(true);
  });
});
