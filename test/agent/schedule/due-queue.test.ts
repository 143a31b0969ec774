import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type WebSocket from 'ws';
import { startProfile, type ProfileSession } from '../../../agent/profiles';
import { DueQueue, TICK_MS, type DueClock, type DueEntry } from '../../../agent/schedule/due-queue';
import { fakeClock } from '../../helpers/fake-clock';

function fakeTime(): { clock: DueClock; advance(ms: number): void; armed(): number } {
  const f = fakeClock();
  let armed = 0;
  return {
    clock: {
      now: f.clock.now,
      timers: {
        setTimeout: (fn, ms) => {
          armed += 1;
          return f.clock.setTimeout(fn, ms);
        },
        clearTimeout: (h) => {
          armed -= 1;
          f.clock.clearTimeout(h as number);
        },
      },
    },
    advance: f.advance,
    armed: () => armed,
  };
}

const entry = (log: string[], name: string): DueEntry => ({ dueAt: 0, tick: 0, slot: -1, fire: (now) => log.push(`${name}@${now}`) });

describe('DueQueue', () => {
  it('fires due entries on one platform timer, with reschedule and cancel', () => {
    const t = fakeTime();
    const q = new DueQueue(t.clock);
    const log: string[] = [];
    const [a, b, c] = [entry(log, 'a'), entry(log, 'b'), entry(log, 'c')];
    q.schedule(a, 300);
    q.schedule(b, 100);
    q.schedule(c, 200);
    q.schedule(a, 50); // moved earlier
    q.cancel(c);
    expect(q.size).toBe(2);
    t.advance(100);
    expect(log).toEqual(['a@100', 'b@100']);
    expect(q.size).toBe(0);
    expect(t.armed()).toBeLessThanOrEqual(1);
  });

  it('fires every scheduled entry once, tick by tick, never before its due time, under any schedules and cancels', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 19 }), fc.integer({ min: 1, max: 1000 }), fc.boolean()), { maxLength: 200 }), (ops) => {
        const t = fakeTime();
        const q = new DueQueue(t.clock);
        const fired: number[] = [];
        const firedAt: number[] = [];
        const entries = Array.from({ length: 20 }, (_, i): DueEntry => ({ dueAt: 0, tick: 0, slot: -1, fire: (now) => (fired.push(i), firedAt.push(now)) }));
        const due = new Map<number, number>();
        for (const [i, at, cancel] of ops) {
          if (cancel) {
            q.cancel(entries[i]!);
            due.delete(i);
          } else {
            q.schedule(entries[i]!, at);
            due.set(i, at);
          }
        }
        // Advance in steps, so each tick's entries fire when it comes.
        for (let ms = 0; ms < 1100; ms += 7) t.advance(7);
        expect([...fired].sort((x, y) => x - y)).toEqual([...due.keys()].sort((x, y) => x - y));
        fired.forEach((i, k) => {
          expect(firedAt[k]).toBeGreaterThanOrEqual(due.get(i)!);
          expect(firedAt[k]! - due.get(i)!).toBeLessThan(TICK_MS + 7);
        });
        // Tick by tick: an entry of a later tick never fires before one of an earlier tick.
        const ticks = fired.map((i) => Math.ceil(due.get(i)! / TICK_MS));
        expect(ticks).toEqual([...ticks].sort((x, y) => x - y));
      }),
    );
  });
});

/** A session whose ws records its pings (when, and the payload to answer with). */
function session() {
  const t = fakeTime();
  const q = new DueQueue(t.clock);
  const pings: number[] = [];
  const payloads: Buffer[] = [];
  const deaths: string[] = [];
  const ws = { ping: (data: Buffer) => (pings.push(t.clock.now()), payloads.push(Buffer.from(data))) } as unknown as WebSocket;
  const s: ProfileSession = { ws, clock: t.clock.now, setKeepAlive: () => {}, addRtt: () => {}, countSent: () => {}, deadline: (r) => deaths.push(r), finish: () => {} };
  return { s, q, t, pings, payloads, deaths };
}

describe('heartbeat schedule', () => {
  it('pings at open + k × interval however late each tick fires, skipping what a stall missed', () => {
    const h = session();
    const p = startProfile({ name: 'hb', kind: 'heartbeat', interval: 1000, timeout: 5000 }, h.s, h.q)!;
    // Each tick fires 7 ms late (a busy loop); an absolute schedule does not add them up.
    for (let k = 1; k <= 5; k++) {
      h.t.advance(1000 * k + 7 - h.t.clock.now());
      p.onPong(h.payloads[k - 1]!);
    }
    expect(h.pings).toEqual([1007, 2007, 3007, 4007, 5007]);
    // A 2.5 s stall: one ping for the missed slots, then back on the schedule.
    h.t.advance(2500);
    p.onPong(h.payloads[5]!);
    h.t.advance(8000 - h.t.clock.now());
    expect(h.pings.slice(5)).toEqual([7507, 8000]);
    expect(h.deaths).toEqual([]);
  });

  it('matches late pongs by id across many cycles: a pong covers older unanswered pings, never a newer one', () => {
    const h = session();
    const rtts: number[] = [];
    h.s.addRtt = (ms) => rtts.push(ms);
    const p = startProfile({ name: 'hb', kind: 'heartbeat', interval: 100, timeout: 1000 }, h.s, h.q)!;
    // Ten rounds: three pings go unanswered, then the third one's pong comes (the ring wraps).
    for (let round = 0; round < 10; round++) {
      for (let k = 0; k < 3; k++) h.t.advance(100);
      const third = h.payloads.length - 1;
      p.onPong(h.payloads[third]!);
      // The first two are covered: their pongs, arriving now, count for nothing.
      p.onPong(h.payloads[third - 2]!);
      p.onPong(h.payloads[third - 1]!);
    }
    expect(h.deaths).toEqual([]);
    expect(h.pings).toHaveLength(30);
    // Each counted pong was the third ping's, sent at the start of this 300 ms: RTT 0 on the
    // test's clock (it did not move between the ping and the pong).
    expect(rtts).toEqual(Array(10).fill(0));
  });

  it('dies at the pong deadline of the oldest unanswered ping', () => {
    const h = session();
    startProfile({ name: 'hb', kind: 'heartbeat', interval: 1000, timeout: 2500 }, h.s, h.q);
    h.t.advance(1000);
    h.t.advance(2499);
    expect(h.deaths).toEqual([]);
    h.t.advance(1);
    expect(h.deaths).toEqual(['no pong within 2500 ms']);
  });
});

describe('DueQueue after a stall', () => {
  it('fires what fell due during a stall longer than a turn of the wheel, and entries beyond a turn in their own', () => {
    const t = fakeTime();
    const q = new DueQueue(t.clock);
    const fired: string[] = [];
    const a: DueEntry = { dueAt: 0, tick: 0, slot: -1, fire: () => fired.push('a') };
    const b: DueEntry = { dueAt: 0, tick: 0, slot: -1, fire: () => fired.push('b') };
    q.schedule(a, 500);
    // 30 s out: three turns of the wheel, in a's bucket's neighbourhood on earlier turns.
    q.schedule(b, 30_000);
    t.advance(25_000);
    expect(fired).toEqual(['a']);
    t.advance(4_999);
    expect(fired).toEqual(['a']);
    t.advance(1);
    expect(fired).toEqual(['a', 'b']);
    expect(q.size).toBe(0);
  });
});
