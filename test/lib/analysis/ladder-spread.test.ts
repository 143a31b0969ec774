/** Issue 19: a ladder finding that said "survives every rung" next to "12 died", and a 190 ms spread that read "±0.00 s". */
import { describe, expect, it } from 'vitest';
import { ladderFindings, type LadderRung } from '../../../lib/analysis/findings';
import { describeSpread, robustSpread } from '../../../lib/analysis/stats';

const at = { probe: 'demo-probe', target: 'builtin', proxy: 'squid' };
const rung = (gapMs: number, survived: number, died: number): LadderRung => ({ ...at, gapMs, survived, died });

describe('ladder findings say what died', () => {
  it('never "survives every rung" when canaries died: it says how many', () => {
    // Each rung lost a few canaries (at most a quarter: no idle cut), 12 in all.
    const [f] = ladderFindings([rung(10_000, 20, 4), rung(30_000, 20, 4), rung(60_000, 16, 4)]);
    expect(f!.title).not.toContain('survives every rung');
    expect(f!.title).toBe('demo-probe → squid → builtin: no idle cut up to 60 s, but 12 of 68 canaries died');
    expect(f!.detail).toContain('60 s: 16 survived, 4 died');
    expect(f!.recommendation).toContain('12 deaths');
    expect(f!.fix).toBeUndefined();
  });

  it('"survives every rung" only when none died', () => {
    const [f] = ladderFindings([rung(10_000, 12, 0), rung(60_000, 12, 0)]);
    expect(f!.title).toBe('demo-probe → squid → builtin: survives every rung, up to 60 s idle');
    expect(f!.severity).toBe('info');
  });

  it('a rung where about half died is mixed, and said so', () => {
    const [f] = ladderFindings([rung(10_000, 12, 0), rung(30_000, 6, 6)]);
    expect(f!.title).toBe('demo-probe → squid → builtin: no idle cut up to 10 s, but 6 of 24 canaries died; mixed at 30 s (6 of 12 died)');
    expect(f!.severity).toBe('warning');
    expect(f!.recommendation).toContain('around 30 s');
  });

  it('a bracket keeps its title and recommends the one heartbeat rule', () => {
    const [f] = ladderFindings([rung(30_000, 12, 0), rung(90_000, 0, 12)]);
    expect(f!.title).toBe('demo-probe → squid → builtin: survives 30 s idle, dies by 90 s');
    expect(f!.recommendation).toBe('Send a WebSocket ping at least every 15 s on this path (under the longest silence it survives, 30 s).');
    expect(f!.fix).toEqual({ kind: 'heartbeat', intervalMs: 15_000 });
  });
});

describe('a signature spread', () => {
  // A timer that fires on the same millisecond most of the time, and late by up to 190 ms otherwise.
  const values = [...Array.from({ length: 30 }, () => 20_000), 20_040, 20_060, 20_090, 20_120, 20_150, 20_170, 20_180, 20_190];

  it('is not 0 when most values are equal and the rest spread over 190 ms', () => {
    const spread = robustSpread(values);
    expect(spread).toBeGreaterThan(10);
    expect(spread).toBeLessThan(190);
  });

  it('reads in milliseconds with the range, never "±0.00 s"', () => {
    const text = describeSpread({ spreadMs: Math.round(robustSpread(values)), minMs: 20_000, maxMs: 20_190 });
    expect(text).toMatch(/^±\d+ ms, 190 ms from shortest to longest$/);
    expect(text).not.toContain('0.00');
    expect(describeSpread({ spreadMs: 1500, minMs: 60_000, maxMs: 64_000 })).toBe('±1.50 s, 4.00 s from shortest to longest');
  });

  it('is still the MAD-based spread when values do spread (outliers do not move it)', () => {
    const xs = [100, 110, 120, 130, 140, 100_000];
    expect(robustSpread(xs)).toBeCloseTo(1.4826 * 15, 5);
  });
});
