import { describe, expect, it } from 'vitest';
import { createAlignedThrottle, createThrottle } from '../../../lib/realtime/throttle';
import { fakeClock } from '../../helpers/fake-clock';

describe('createThrottle', () => {
  it('runs the first call at once and collapses the rest of the interval into one trailing run', () => {
    const { clock, advance } = fakeClock();
    let runs = 0;
    const th = createThrottle(() => runs++, 300, clock);
    th.schedule();
    expect(runs).toBe(1);
    for (let i = 0; i < 10; i++) {
      advance(20);
      th.schedule();
    }
    expect(runs).toBe(1);
    advance(100);
    expect(runs).toBe(2);
    advance(1000);
    expect(runs).toBe(2);
  });

  it('never runs twice within the interval', () => {
    const { clock, advance } = fakeClock();
    const at: number[] = [];
    const th = createThrottle(() => at.push(clock.now()), 250, clock);
    for (let i = 0; i < 100; i++) {
      th.schedule();
      advance(7);
    }
    advance(500);
    for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBeGreaterThanOrEqual(250);
    expect(at.length).toBeGreaterThanOrEqual(3);
  });

  it('forgets a pending run when cancelled', () => {
    const { clock, advance } = fakeClock();
    let runs = 0;
    const th = createThrottle(() => runs++, 300, clock);
    th.schedule();
    th.schedule();
    th.cancel();
    advance(1000);
    expect(runs).toBe(1);
  });
});

describe('createAlignedThrottle', () => {
  it('runs at once in a slot without a run, and collapses the rest of the slot into one run at the next slot', () => {
    const { clock, advance } = fakeClock();
    advance(1500); // mid-slot of a 1000 ms grid
    const at: number[] = [];
    const th = createAlignedThrottle(() => at.push(clock.now()), 1000, clock);
    th.schedule();
    expect(at).toEqual([1500]);
    for (let i = 0; i < 4; i++) {
      advance(100);
      th.schedule();
    }
    expect(at).toEqual([1500]);
    advance(100); // 2000: the next slot starts
    expect(at).toEqual([1500, 2000]);
    advance(5000);
    expect(at).toEqual([1500, 2000]);
  });

  it('puts throttles started at different moments on the same instants', () => {
    const { clock, advance } = fakeClock();
    const runs: number[][] = [[], [], []];
    const throttles = runs.map((r) => createAlignedThrottle(() => r.push(clock.now()), 2000, clock));
    // Each viewer's first run (its catch-up) at its own moment...
    for (const th of throttles) {
      th.schedule();
      advance(300);
    }
    // ...then pushes every 250 ms for 10 s, which every viewer receives at once.
    for (let t = 0; t < 40; t++) {
      for (const th of throttles) th.schedule();
      advance(250);
    }
    const later = runs.map((r) => r.slice(1));
    expect(later[1]).toEqual(later[0]);
    expect(later[2]).toEqual(later[0]);
    // One run per slot (the fake clock fires a due timer at the end of the step that passes it).
    expect(new Set(later[0]!.map((t) => Math.floor(t / 2000))).size).toBe(later[0]!.length);
    expect(later[0]!.length).toBe(5);
  });

  it('forgets a pending run when cancelled, and refuses a non-positive interval', () => {
    const { clock, advance } = fakeClock();
    let runs = 0;
    const th = createAlignedThrottle(() => runs++, 1000, clock);
    th.schedule();
    th.schedule();
    th.cancel();
    advance(5000);
    expect(runs).toBe(1);
    expect(() => createAlignedThrottle(() => {}, 0, clock)).toThrow(RangeError);
  });
  it('shifts its slots by the phase: runs fall at k·interval + phase, never twice in a shifted slot', () => {
    const { clock, advance } = fakeClock();
    advance(10_000);
    const at: number[] = [];
    const th = createAlignedThrottle(() => at.push(clock.now()), 1000, clock, 300);
    th.schedule(); // 10,000 lies in the slot [9,300, 10,300): runs at once
    advance(100);
    th.schedule(); // same slot: waits for 10,300
    advance(199);
    expect(at).toEqual([10_000]);
    advance(1); // 10,300
    expect(at).toEqual([10_000, 10_300]);
    th.schedule(); // the 10,300 slot already ran: next at 11,300
    advance(999);
    expect(at).toEqual([10_000, 10_300]);
    advance(1);
    expect(at).toEqual([10_000, 10_300, 11_300]);
    expect(() => createAlignedThrottle(() => {}, 1000, clock, 1000)).toThrow(RangeError);
    expect(() => createAlignedThrottle(() => {}, 1000, clock, -1)).toThrow(RangeError);
  });

  it('puts two views with different phases on different instants', () => {
    const { clock, advance } = fakeClock();
    const a: number[] = [];
    const b: number[] = [];
    const ta = createAlignedThrottle(() => a.push(clock.now()), 2000, clock, 0);
    const tb = createAlignedThrottle(() => b.push(clock.now()), 2000, clock, 900);
    // Pushes every 100 ms for 10 s (the fake clock fires a due timer at the end of the step that passes it).
    for (let t = 0; t < 100; t++) {
      ta.schedule();
      tb.schedule();
      advance(100);
    }
    expect(a.length).toBeGreaterThan(4);
    expect(b.length).toBeGreaterThan(4);
    const later = (xs: number[]) => xs.slice(1);
    for (const t of later(a)) expect(t % 2000).toBe(0);
    for (const t of later(b)) expect(t % 2000).toBe(900);
  });
});
