import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DialPacer, type Paced } from '../../../agent/schedule/dial-pacer';
import type { Timers } from '../../../agent/reporter';
import { fakeClock } from '../../helpers/fake-clock';

function setup(ratePerS: number, burst: number) {
  const time = fakeClock();
  const timers: Timers = { setTimeout: (fn, ms) => time.clock.setTimeout(fn, ms), clearTimeout: (h) => time.clock.clearTimeout(h as number) };
  const pacer = new DialPacer({ ratePerS, burst }, time.clock.now, timers);
  const dialed: { id: number; at: number }[] = [];
  const paced = (id: number, wants: () => boolean = () => true): Paced => ({
    dialNow: () => {
      if (!wants()) return false;
      dialed.push({ id, at: time.clock.now() });
      return true;
    },
  });
  /** Let `ms` pass a millisecond at a time (timers set while passing fire in turn). */
  const pass = (ms: number) => {
    for (let i = 0; i < ms; i++) time.advance(1);
  };
  return { pacer, dialed, paced, pass };
}

describe('DialPacer', () => {
  it('starts a burst at once, then at most the rate, in the order asked', () => {
    const { pacer, dialed, paced, pass } = setup(100, 10);
    for (let i = 0; i < 300; i++) pacer.request(paced(i));
    expect(dialed).toHaveLength(10);
    pass(1000);
    // The burst, then one every 10 ms for a second.
    expect(dialed.length).toBe(110);
    expect(dialed.map((d) => d.id)).toEqual(Array.from({ length: 110 }, (_, i) => i));
    pass(2000);
    expect(dialed).toHaveLength(300);
    expect(pacer.queued).toBe(0);
  });

  it('never starts more than burst + rate × t within any t, whatever arrives when', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 20 }), fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 200 }), (rate, burst, gaps) => {
        const { pacer, dialed, paced, pass } = setup(rate, burst);
        gaps.forEach((gap, i) => {
          pass(gap);
          pacer.request(paced(i));
        });
        pass(Math.ceil((gaps.length / rate) * 1000) + 10);
        expect(dialed).toHaveLength(gaps.length);
        for (let a = 0; a < dialed.length; a++) {
          for (let b = a; b < dialed.length; b++) {
            const within = dialed[b]!.at - dialed[a]!.at;
            expect(b - a + 1).toBeLessThanOrEqual(burst + Math.floor((rate * within) / 1000) + 1);
          }
        }
      }),
      { numRuns: 100 },
    );
  });

  it('skips what was cancelled or no longer wants to dial, without spending a start on it', () => {
    const { pacer, dialed, paced, pass } = setup(10, 1);
    const stopped = new Set([2, 3]);
    const waiting = Array.from({ length: 6 }, (_, i) => paced(i, () => !stopped.has(i)));
    for (const p of waiting) pacer.request(p);
    pacer.cancel(waiting[1]!);
    pass(300);
    // 0 at once; 1 cancelled, 2 and 3 decline; 4 and 5 at 100 ms apart.
    expect(dialed.map((d) => [d.id, d.at])).toEqual([
      [0, 0],
      [4, 100],
      [5, 200],
    ]);
  });

  it('refuses a pace that would never dial', () => {
    const { clock } = fakeClock();
    const timers: Timers = { setTimeout: () => 0, clearTimeout: () => {} };
    expect(() => new DialPacer({ ratePerS: 0, burst: 1 }, clock.now, timers)).toThrow(RangeError);
    expect(() => new DialPacer({ ratePerS: 1, burst: 0 }, clock.now, timers)).toThrow(RangeError);
  });
});
