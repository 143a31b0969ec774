import { describe, expect, it } from 'vitest';
import { createThrottle } from '../../../lib/realtime/throttle';
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
