/**
 * The experiment profiles of issue 18 on a fake session and the queue's fake clock: what
 * they send, when, and the reason they end with (what lib/diagnosis/bisect.ts reads). The
 * same profiles over real sockets: test/agent/experiment-canaries.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import type { ProfileConfig } from '../../agent/config';
import { startProfile, type ProfileSession } from '../../agent/profiles';
import { DueQueue, type DueClock } from '../../agent/schedule/due-queue';
import { echoStatsSchema } from '../../lib/contracts/ingest';
import { rungOutcome } from '../../lib/diagnosis/bisect';
import { fakeClock } from '../helpers/fake-clock';

/** A session on one fake clock (the queue's and the measuring one): what it sent and how it ended. */
function session(gapMs?: number) {
  const f = fakeClock();
  const clock: DueClock = { now: f.clock.now, timers: { setTimeout: (fn, ms) => f.clock.setTimeout(fn, ms), clearTimeout: (h) => f.clock.clearTimeout(h as number) } };
  const q = new DueQueue(clock);
  const pings: { at: number; payload: Buffer }[] = [];
  const sent: { at: number; msg: Buffer }[] = [];
  const ends: { how: 'deadline' | 'finish'; reason: string; at: number }[] = [];
  const keepalive: number[] = [];
  const ws = {
    ping: (data: Buffer) => pings.push({ at: f.clock.now(), payload: Buffer.from(data) }),
    send: (msg: Buffer) => sent.push({ at: f.clock.now(), msg }),
  } as unknown as WebSocket;
  const s: ProfileSession = {
    ws,
    clock: f.clock.now,
    ...(gapMs !== undefined && { gapMs }),
    setKeepAlive: (ms) => keepalive.push(ms),
    addRtt: () => {},
    countSent: () => {},
    deadline: (reason) => ends.push({ how: 'deadline', reason, at: f.clock.now() }),
    finish: (reason) => ends.push({ how: 'finish', reason, at: f.clock.now() }),
  };
  /** Let `ms` pass, stopping at every 10 ms tick of the queue on the way. */
  const pass = (ms: number) => {
    const to = f.clock.now() + ms;
    while (f.clock.now() < to) f.advance(Math.min(to, Math.floor(f.clock.now() / 10) * 10 + 10) - f.clock.now());
  };
  return { s, q, pings, sent, ends, keepalive, pass, now: f.clock.now, advance: f.advance };
}

describe('rungs: bisect and keepalive', () => {
  it('a bisect rung pings once after its gap, and ends as survived when answered', () => {
    const h = session(2500);
    const p = startProfile({ name: 'bisect', kind: 'bisect', from: 15_000, max: 1_800_000, timeout: 1000 }, h.s, h.q)!;
    h.pass(2490);
    expect(h.pings).toEqual([]);
    h.pass(10);
    expect(h.pings.map((x) => x.at)).toEqual([2500]);
    p.onPong(h.pings[0]!.payload);
    expect(h.ends).toEqual([{ how: 'finish', reason: 'bisect: survived 2.5s idle', at: 2500 }]);
    expect(rungOutcome({ endKind: 'probe_closed', closeCode: 1000, closeReason: h.ends[0]!.reason })).toBe('survived');
    expect(h.keepalive).toEqual([]);
  });

  it('a bisect rung whose pong does not come dies at the deadline', () => {
    const h = session(2000);
    startProfile({ name: 'bisect', kind: 'bisect', from: 15_000, max: 1_800_000, timeout: 1000 }, h.s, h.q);
    h.pass(3000);
    expect(h.ends).toEqual([{ how: 'deadline', reason: 'no pong within 1000 ms', at: 3000 }]);
  });

  it('a keepalive rung turns TCP keepalive on at once, stays silent for its gap, then pings once', () => {
    const h = session();
    const profile: ProfileConfig = { name: 'keepalive-25s', kind: 'keepalive', gap: 90_000, keepalive: 25_000, timeout: 10_000 };
    const p = startProfile(profile, h.s, h.q)!;
    expect(h.keepalive).toEqual([25_000]);
    h.pass(89_990);
    expect(h.pings).toEqual([]);
    h.pass(10);
    expect(h.pings).toHaveLength(1);
    p.onPong(h.pings[0]!.payload);
    expect(h.ends.map((e) => e.reason)).toEqual(['keepalive: survived 90s idle with TCP keepalive every 25s']);
    expect(rungOutcome({ endKind: 'probe_closed', closeReason: h.ends[0]!.reason })).toBe('survived');
  });
});

describe('a held heartbeat', () => {
  it('pings on its schedule and ends itself politely once open for its hold, on the same queue entry', () => {
    const h = session();
    const p = startProfile({ name: 'verify-hb-30s', kind: 'heartbeat', interval: 1000, timeout: 500, hold: 4500 }, h.s, h.q)!;
    for (let k = 1; k <= 4; k++) {
      h.pass(1000);
      p.onPong(h.pings[k - 1]!.payload);
    }
    expect(h.ends).toEqual([]);
    expect(h.q.size).toBe(1);
    h.pass(490);
    expect(h.ends).toEqual([]);
    h.pass(10);
    expect(h.ends).toEqual([{ how: 'finish', reason: 'hold: held 4.5s with a 1s heartbeat', at: 4500 }]);
    expect(h.pings).toHaveLength(4);
  });

  it('dies first if a pong is missing before the hold', () => {
    const h = session();
    startProfile({ name: 'hb', kind: 'heartbeat', interval: 1000, timeout: 500, hold: 10_000 }, h.s, h.q);
    h.pass(1500);
    expect(h.ends).toEqual([{ how: 'deadline', reason: 'no pong within 500 ms', at: 1500 }]);
  });
});

describe('echo', () => {
  const seqOf = (msg: Buffer) => msg.readUInt32BE(4);

  it('grows its messages from messageBytes to growTo, doubling, then stays there', () => {
    const h = session();
    const p = startProfile({ name: 'echo', kind: 'echo', interval: 100, timeout: 1000, messageBytes: 64, growTo: 1000 }, h.s, h.q)!;
    for (let k = 0; k < 7; k++) {
      h.pass(100);
      const last = h.sent[h.sent.length - 1]!;
      p.onMessage(last.msg, true);
    }
    expect(h.sent.map((x) => x.msg.length)).toEqual([64, 128, 256, 512, 1000, 1000, 1000]);
    expect(p.echoStats!()).toEqual({ sent: 7, returned: 7, largestSentBytes: 1000, largestReturnedBytes: 1000, lastSentBytes: 1000, bunches: 0, bunchedMessages: 0, maxHoldMs: 0, minRttMs: 0 });
  });

  it('without growTo every message has messageBytes', () => {
    const h = session();
    startProfile({ name: 'echo', kind: 'echo', interval: 100, timeout: 10_000, messageBytes: 64 }, h.s, h.q);
    h.pass(500);
    expect(h.sent.map((x) => x.msg.length)).toEqual([64, 64, 64, 64, 64]);
  });

  it('names the size whose echo did not come back, and what came back before it', () => {
    const h = session();
    const p = startProfile({ name: 'echo', kind: 'echo', interval: 100, timeout: 250, messageBytes: 1024, growTo: 65_536 }, h.s, h.q)!;
    // A layer that loses frames above 8 KiB: 1, 2, 4, 8 KiB come back, 16 KiB does not.
    for (let k = 0; k < 8 && h.ends.length === 0; k++) {
      h.pass(100);
      const last = h.sent[h.sent.length - 1]!;
      if (last.msg.length <= 8192 && last.at === h.now()) p.onMessage(last.msg, true);
    }
    expect(h.ends).toEqual([{ how: 'deadline', reason: 'echo of a 16384-byte message not back within 250 ms', at: 750 }]);
    const stats = p.echoStats!();
    expect(stats).toMatchObject({ sent: 7, returned: 4, largestSentBytes: 65_536, largestReturnedBytes: 8192, lastSentBytes: 65_536 });
    expect(echoStatsSchema.safeParse(stats).success).toBe(true);
  });

  it('counts messages a layer held and released together as bunches, with how long it held the first', () => {
    const h = session();
    const p = startProfile({ name: 'echo', kind: 'echo', interval: 1000, timeout: 10_000, messageBytes: 64 }, h.s, h.q)!;
    // Two echoes come back promptly (RTT 5 ms); then a layer holds four messages (sent at
    // 3, 4, 5 and 6 s) and releases them at 6.5 s, 1 ms apart; then prompt again.
    const answer = (seq: number, at: number) => {
      h.pass(at - h.now());
      p.onMessage(h.sent.find((x) => seqOf(x.msg) === seq)!.msg, true);
    };
    answer(1, 1005);
    answer(2, 2005);
    answer(3, 6500);
    answer(4, 6501);
    answer(5, 6502);
    answer(6, 6503);
    answer(7, 7005);
    answer(8, 8005);
    answer(8, 8006); // a duplicate counts for nothing
    const stats = p.echoStats!();
    // The bunch's first message was held 3500 ms beyond the 5 ms the path takes.
    expect(stats).toEqual({ sent: 8, returned: 8, largestSentBytes: 64, largestReturnedBytes: 64, lastSentBytes: 64, bunches: 1, bunchedMessages: 4, maxHoldMs: 3495, minRttMs: 5 });
    expect(echoStatsSchema.safeParse(stats).success).toBe(true);
  });

  it('does not call echoes a bunch when they were sent close together (a stall of the probe, not a layer)', () => {
    const h = session();
    const p = startProfile({ name: 'echo', kind: 'echo', interval: 1000, timeout: 10_000, messageBytes: 64 }, h.s, h.q)!;
    // The queue fires 3 s late: the three messages due go out as one (the schedule skips), and
    // answers to messages sent within half an interval of each other are not a bunch.
    h.advance(3000);
    p.onMessage(h.sent[0]!.msg, true);
    h.advance(1000);
    p.onMessage(h.sent[1]!.msg, true);
    expect(p.echoStats!()).toMatchObject({ bunches: 0, bunchedMessages: 0, returned: 2 });
  });

  it('reports zeros and no minimum RTT when nothing came back', () => {
    const h = session();
    const p = startProfile({ name: 'echo', kind: 'echo', interval: 1000, timeout: 10_000, messageBytes: 64 }, h.s, h.q)!;
    h.pass(1000);
    const stats = p.echoStats!();
    expect(stats).toEqual({ sent: 1, returned: 0, largestSentBytes: 64, largestReturnedBytes: 0, lastSentBytes: 64, bunches: 0, bunchedMessages: 0, maxHoldMs: 0 });
    expect(echoStatsSchema.safeParse(stats).success).toBe(true);
  });
});
