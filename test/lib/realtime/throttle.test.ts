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
});
