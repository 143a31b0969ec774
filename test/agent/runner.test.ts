import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { BUILTIN_PROFILES, toProxyConfig } from '../../agent/config';
import type { Timers } from '../../agent/reporter';
import { startRunner } from '../../agent/runner';
import { WebSocketServer } from 'ws';
import type { AttemptFailed, IngestEvent, RttMinute, SessionEnded } from '../../lib/contracts/ingest';
import { fakeClock } from '../helpers/fake-clock';

/** Poll (on the real clock) until `cond` holds; a failure names what never happened. */
async function until(cond: () => boolean, what: string): Promise<void> {
  // A deadline in time, not in polls, generous for a loaded machine: dials and sockets are real.
  const deadline = Date.now() + 20_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('runner', () => {
  it('reconnects after every ending with exponential backoff up to the cap', async () => {
    // A port nobody listens on, on a loopback address no other test binds: a port freed on
    // 127.0.0.1 could be taken by a server of a test running beside this one, which would
    // answer instead of refusing.
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.2', r));
    const port = (s.address() as { port: number }).port;
    await new Promise((r) => s.close(r));

    // Time moves only when the test says: each wait the runner asks for is recorded, and
    // the test lets it pass once the runner is waiting.
    const time = fakeClock();
    const waits: number[] = [];
    const timers: Timers = {
      setTimeout: (fn, ms) => {
        waits.push(ms);
        return time.clock.setTimeout(fn, ms);
      },
      clearTimeout: (h) => time.clock.clearTimeout(h as number),
    };
    const events: IngestEvent[] = [];
    // random() = 1: the jitter's upper edge, so the schedule is exactly base·2^n, capped.
    const runner = startRunner(
      [{ key: 'k', target: { name: 't', url: `ws://127.0.0.2:${port}/`, headers: {}, subprotocols: [], tls: { verify: true } }, proxy: toProxyConfig({ name: 'direct', url: 'direct' }), profile: BUILTIN_PROFILES[0]!, profileLabel: 'idle' }],
      { emit: (e) => events.push(e), clock: time.clock.now, wall: () => new Date(time.clock.now()), dialTimeoutMs: 30_000, backoff: { baseMs: 40, capMs: 200 }, random: () => 1, timers },
    );
    for (let n = 0; n < 6; n++) {
      await until(() => waits.length === n + 1, `wait ${n + 1}`);
      expect(runner.counts()).toEqual({ open: 0, connecting: 0, backoff: 1 });
      time.advance(waits[n]!);
    }
    await until(() => waits.length === 7, 'wait 7');
    await runner.stop();
    expect(runner.counts()).toEqual({ open: 0, connecting: 0, backoff: 0 });

    // The first dial spread by one base delay, then 80, 160, and the 200 ms cap.
    expect(waits).toEqual([40, 80, 160, 200, 200, 200, 200]);
    expect(events).toHaveLength(6);
    const times = events.map((e) => Date.parse((e as AttemptFailed).attemptedAt));
    expect(times.slice(1).map((t, i) => t - times[i]!)).toEqual([80, 160, 200, 200, 200]);
    expect(events.every((e) => e.type === 'attempt.failed' && e.errorCode === 'ECONNREFUSED')).toBe(true);
  });

  it('ships every RTT sample of its canaries in per-minute sums, the ended minutes on a timer and the rest at stop', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    const url = `ws://127.0.0.1:${(wss.address() as { port: number }).port}/`;
    // The wall clock is the test's: it stands 10 s into a minute until the test moves it.
    const T = Date.UTC(2026, 11, 7, 2, 0, 0);
    let wall = T + 10_000;
    // Backoff waits run for real; the minute timer (asked for in tens of seconds) is held here.
    const minuteTimers: { fn: () => void; ms: number }[] = [];
    const timers: Timers = {
      setTimeout: (fn, ms) => (ms >= 10_000 ? minuteTimers.push({ fn, ms }) : setTimeout(fn, ms)),
      clearTimeout: (h) => (typeof h === 'number' ? undefined : clearTimeout(h as NodeJS.Timeout)),
    };
    const events: IngestEvent[] = [];
    const hb = { name: 'hb', kind: 'heartbeat' as const, interval: 20, timeout: 1000 };
    const target = { name: 't', url, headers: {}, subprotocols: [], tls: { verify: true } };
    const runner = startRunner(
      [0, 1].map((i) => ({ key: `k${i}`, target, proxy: toProxyConfig({ name: 'direct', url: 'direct' }), profile: hb, profileLabel: 'hb' })),
      { emit: (e) => events.push(e), clock: () => performance.now(), wall: () => new Date(wall), dialTimeoutMs: 30_000, backoff: { baseMs: 1, capMs: 10 }, random: () => 0, timers },
    );
    try {
      const minutes = () => events.filter((e): e is RttMinute => e.type === 'rtt.minute');
      await until(() => minuteTimers.length === 1, 'the minute timer');
      // Set when the first minute was held: due 2 s after that minute's end.
      expect(minuteTimers[0]!.ms).toBe(52_000);
      await until(() => runner.counts().open === 2, 'both canaries open');
      await new Promise((r) => setTimeout(r, 100));
      expect(minutes()).toEqual([]);
      wall = T + 62_000;
      minuteTimers[0]!.fn();
      // Samples dated in the first minute so far ship now, as one event for the path.
      expect(minutes().map((e) => e.minute)).toEqual([new Date(T).toISOString()]);
      // Samples keep coming (dated from their sessions' opens): held again, another timer.
      await until(() => minuteTimers.length === 2, 'a second minute timer');
    } finally {
      await runner.stop();
      await new Promise<void>((r) => wss.close(() => r()));
    }
    // Stopped: whatever was held went out; every sample a session counted is in a minute.
    const sent = events.filter((e): e is RttMinute => e.type === 'rtt.minute').reduce((n, e) => n + e.count, 0);
    const counted = events.filter((e): e is SessionEnded => e.type === 'session.ended').reduce((n, e) => n + (e.rtt?.count ?? 0), 0);
    expect(counted).toBeGreaterThan(0);
    expect(sent).toBe(counted);
  });

  it('starts dials at its pace, and a stop ends the canaries still waiting for their turn without dialing them', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    const url = `ws://127.0.0.1:${(wss.address() as { port: number }).port}/`;
    const target = { name: 't', url, headers: {}, subprotocols: [], tls: { verify: true } };
    // The pace's waits are held here: no second dial may start until the test lets one.
    const paceWaits: (() => void)[] = [];
    const timers: Timers = {
      setTimeout: (fn, ms) => (ms >= 100 ? paceWaits.push(fn) : setTimeout(fn, ms)),
      clearTimeout: (h) => (typeof h === 'number' ? undefined : clearTimeout(h as NodeJS.Timeout)),
    };
    const events: IngestEvent[] = [];
    // The monotonic clock, moved on by the test when it lets a second pass for the pace.
    let skipped = 0;
    const clock = () => performance.now() + skipped;
    const runner = startRunner(
      [0, 1, 2, 3, 4].map((i) => ({ key: `k${i}`, target, proxy: toProxyConfig({ name: 'direct', url: 'direct' }), profile: BUILTIN_PROFILES[0]!, profileLabel: 'idle' })),
      { emit: (e) => events.push(e), clock, wall: () => new Date(), dialTimeoutMs: 30_000, backoff: { baseMs: 1, capMs: 10 }, random: () => 0, timers, dialPace: { ratePerS: 1, burst: 2 } },
    );
    try {
      // A burst of two, then one a second: the test lets one more through.
      await until(() => runner.counts().open === 2, 'the burst of two open');
      expect(runner.counts()).toEqual({ open: 2, connecting: 3, backoff: 0 });
      await until(() => paceWaits.length === 1, 'the pace to wait');
      skipped += 1000;
      paceWaits.shift()!();
      await until(() => runner.counts().open === 3, 'the third open');
      expect(runner.counts()).toEqual({ open: 3, connecting: 2, backoff: 0 });
    } finally {
      await runner.stop();
      await new Promise<void>((r) => wss.close(() => r()));
    }
    // The two still waiting ended with the stop, never dialed: no attempt, no event of theirs.
    expect(runner.counts()).toEqual({ open: 0, connecting: 0, backoff: 0 });
    expect(events.filter((e) => e.type === 'session.opened')).toHaveLength(3);
    expect(events.filter((e) => e.type === 'attempt.failed')).toHaveLength(0);
  });
});
