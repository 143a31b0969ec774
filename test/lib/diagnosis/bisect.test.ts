/**
 * The adaptive ladder's search, against a deterministic path that survives iff gap < N:
 * whatever N and whatever `from`, replay + nextGaps bracket N within resolutionMs, in a
 * number of rungs bounded below, and start over (and converge again) when N changes.
 *
 * The bound, with parallel = 1, from = F and max = 30 min (N in (1 s, 30 min]):
 *  - growth or shrink: F, 2F, 4F … (capped at max) until one dies, or F, F/2 … (floored
 *    at 1 s) until one survives: G ≤ 2 + ⌈|log2(N / F)|⌉ rungs, and then the bracket is
 *    (g, 2g] for a survivor g < N, so its width W0 is below N + 10 ms (10 ms rounding).
 *  - bisection: each rung halves the width, plus at most 5 ms of rounding, so after m
 *    rungs W ≤ W0 / 2^m + 10 ms. Converged needs W ≤ resolutionMs(high), at least
 *    R = max(500, N / 100) since high ≥ N. With m = 7: (N + 10) / 128 + 10 ≤ R for every N:
 *    below 50 s it is at most 400.7 ≤ 500, above it N / 128 + 10.08 ≤ N / 100 once N ≥ 4.6 s.
 * So rungsToConverge ≤ 2 + ⌈|log2(N / F)|⌉ + 7; from F = 15 s that is at most 16 for any N
 * up to 30 min (15 seen), and 11 for the doc's N = 75 s (15, 30, 60 survive, 120 dies, then
 * 7 halvings). Four at a time, 100,000 simulated searches took at most 11 rounds (20 rungs).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nextGaps, replay, resolutionMs, rungOutcome, type Bracket, type Rung } from '../../../lib/diagnosis/bisect';

const MAX = 1_800_000;

/** A path whose idle cut is N at the given round (N may change between rounds). */
type Path = (round: number) => number;

interface Run {
  rungs: Rung[];
  rounds: number;
  bracket: Bracket;
}

/** Run rounds until `done` holds (checked before each round) or `maxRounds` ran. */
function run(
  path: Path,
  fromMs: number,
  parallel: number,
  opts: { maxRounds?: number; done?: (b: Bracket, round: number) => boolean; inconclusive?: (i: number) => boolean; rungs?: Rung[]; startRound?: number; cutAt?: (n: number, i: number) => number } = {},
): Run {
  const rungs = opts.rungs ?? [];
  const done = opts.done ?? ((b) => b.state === 'converged');
  let round = opts.startRound ?? 0;
  let bracket = replay(rungs);
  while (!done(bracket, round) && round < (opts.maxRounds ?? 200)) {
    const gaps = nextGaps(bracket, { fromMs, maxMs: MAX }, parallel, round);
    expect(gaps.length).toBeGreaterThan(0);
    expect(gaps.length).toBeLessThanOrEqual(parallel);
    const n = path(round);
    for (const g of gaps) {
      expect(g % 10).toBe(0);
      expect(g).toBeGreaterThanOrEqual(1000);
      expect(g).toBeLessThanOrEqual(MAX);
      const flaky = opts.inconclusive?.(rungs.length) ?? false;
      const cut = opts.cutAt?.(n, rungs.length) ?? null;
      const dies = cut !== null ? g >= cut : g >= n;
      rungs.push({ gapMs: g, outcome: flaky ? 'inconclusive' : dies ? 'died' : 'survived', ...(dies && cut !== null && cut <= g && { cutAtMs: cut }) });
    }
    round += 1;
    bracket = replay(rungs);
  }
  return { rungs, rounds: round, bracket };
}

const nArb = fc.integer({ min: 1001, max: MAX });
const fromArb = fc.integer({ min: 1000, max: MAX });
const rungBound = (n: number, from: number) => 2 + Math.ceil(Math.abs(Math.log2(n / from))) + 7;

describe('resolutionMs', () => {
  it('is half a second, or 1 % of N above 50 s', () => {
    expect(resolutionMs(1000)).toBe(500);
    expect(resolutionMs(50_000)).toBe(500);
    expect(resolutionMs(75_000)).toBe(750);
    expect(resolutionMs(1_800_000)).toBe(18_000);
  });
});

describe('rungOutcome', () => {
  it.each([
    [{ endKind: 'probe_closed', closeCode: 1000, closeReason: 'bisect: survived 30s idle' }, 'survived'],
    [{ endKind: 'probe_closed', closeCode: 1000, closeReason: 'keepalive: survived 90s idle with TCP keepalive every 25s' }, 'survived'],
    [{ endKind: 'probe_closed', closeCode: 1000, closeReason: 'ladder: survived 45s idle' }, 'survived'],
    [{ endKind: 'probe_closed', closeCode: 1001, closeReason: 'probe stopping' }, 'inconclusive'],
    [{ endKind: 'probe_closed', closeCode: 1001, closeReason: 'path changed' }, 'inconclusive'],
    [{ endKind: 'probe_closed', closeCode: null, closeReason: null }, 'inconclusive'],
    [{ endKind: null }, 'inconclusive'],
    [{ endKind: undefined }, 'inconclusive'],
    [{ endKind: 'close_frame', closeCode: 1001, closeReason: 'going away' }, 'inconclusive'],
    [{ endKind: 'close_frame', closeCode: 1012 }, 'inconclusive'],
    [{ endKind: 'close_frame', closeCode: 1013 }, 'inconclusive'],
    [{ endKind: 'close_frame', closeCode: 4001 }, 'inconclusive'],
    [{ endKind: 'close_frame', closeCode: 1006 }, 'died'],
    [{ endKind: 'close_frame', closeCode: 1009 }, 'died'],
    [{ endKind: 'close_frame', closeCode: 1014 }, 'died'],
    [{ endKind: 'tcp_fin', closeCode: 1006 }, 'died'],
    [{ endKind: 'tcp_reset', closeCode: 1006 }, 'died'],
    [{ endKind: 'pong_timeout', closeCode: 1006, closeReason: 'no pong within 10000 ms' }, 'died'],
    [{ endKind: 'error', closeCode: 1006 }, 'died'],
  ] as const)('%o is %s', (ending, outcome) => {
    expect(rungOutcome(ending)).toBe(outcome);
  });
});

describe('replay', () => {
  it('brackets by the longest survivor and the shortest death, and says when it converged', () => {
    const r = replay([
      { gapMs: 15_000, outcome: 'survived' },
      { gapMs: 30_000, outcome: 'died' },
      { gapMs: 22_500, outcome: 'survived' },
      { gapMs: 26_250, outcome: 'inconclusive' },
      { gapMs: 26_250, outcome: 'died' },
      { gapMs: 24_380, outcome: 'died' },
      { gapMs: 23_440, outcome: 'survived' },
      { gapMs: 23_910, outcome: 'survived' },
    ]);
    expect(r).toEqual({ lowMs: 23_910, highMs: 24_380, state: 'converged', rungs: 7, rungsToConverge: 7, restarts: 0, shortcut: false });
  });

  it('with no conclusive rung: nothing died yet, no edge known', () => {
    expect(replay([])).toEqual({ lowMs: null, highMs: null, state: 'survives', rungs: 0, rungsToConverge: null, restarts: 0, shortcut: false });
    expect(replay([{ gapMs: 15_000, outcome: 'inconclusive' }])).toMatchObject({ lowMs: null, highMs: null, state: 'survives', rungs: 0 });
  });

  it('starts over from a rung that contradicts the bracket, keeping only that rung', () => {
    const converged: Rung[] = [
      { gapMs: 60_000, outcome: 'survived' },
      { gapMs: 60_400, outcome: 'died' },
    ];
    expect(replay(converged)).toMatchObject({ state: 'converged', rungsToConverge: 2 });
    // The high edge survives now: the cut moved up.
    expect(replay([...converged, { gapMs: 60_400, outcome: 'survived' }])).toEqual({ lowMs: 60_400, highMs: null, state: 'survives', rungs: 1, rungsToConverge: null, restarts: 1, shortcut: false });
    // The low edge dies now: the cut moved down.
    expect(replay([...converged, { gapMs: 60_000, outcome: 'died' }])).toEqual({ lowMs: null, highMs: 60_000, state: 'dies', rungs: 1, rungsToConverge: null, restarts: 1, shortcut: false });
  });

  it('skips inconclusive rungs wherever they are', () => {
    const rung = fc.record({ gapMs: fc.integer({ min: 1000, max: MAX }), outcome: fc.constantFrom<Rung['outcome']>('survived', 'died') });
    const noise = fc.record({ gapMs: fc.integer({ min: 1000, max: MAX }), outcome: fc.constant<Rung['outcome']>('inconclusive') });
    fc.assert(
      fc.property(fc.array(rung, { maxLength: 30 }), fc.array(fc.tuple(fc.nat(), noise), { maxLength: 10 }), (rungs, inserts) => {
        const noisy = [...rungs];
        for (const [at, r] of inserts) noisy.splice(at % (noisy.length + 1), 0, r);
        expect(replay(noisy)).toEqual(replay(rungs));
      }),
    );
  });
});

describe('nextGaps', () => {
  const limits = { fromMs: 15_000, maxMs: MAX };
  it('starts at from, grows by doubling up to max, shrinks by halving down to 1 s', () => {
    expect(nextGaps(replay([]), limits, 4, 0)).toEqual([15_000]);
    expect(nextGaps({ lowMs: 15_000, highMs: null, state: 'survives' }, limits, 4, 1)).toEqual([30_000]);
    expect(nextGaps({ lowMs: 960_000, highMs: null, state: 'survives' }, limits, 1, 1)).toEqual([MAX]);
    expect(nextGaps({ lowMs: MAX, highMs: null, state: 'survives' }, limits, 1, 1)).toEqual([MAX]);
    expect(nextGaps({ lowMs: null, highMs: 15_000, state: 'dies' }, limits, 1, 1)).toEqual([7500]);
    expect(nextGaps({ lowMs: null, highMs: 1875, state: 'dies' }, limits, 1, 1)).toEqual([1000]);
    expect(nextGaps({ lowMs: null, highMs: 1000, state: 'dies' }, limits, 1, 1)).toEqual([1000]);
    // A `from` off the 10 ms grid is put on it.
    expect(nextGaps(replay([]), { fromMs: 15_004, maxMs: MAX }, 1, 0)).toEqual([15_000]);
  });

  it('splits a wide bracket evenly into parallel + 1, and rechecks a converged one edge by edge', () => {
    expect(nextGaps({ lowMs: 60_000, highMs: 120_000, state: 'searching' }, limits, 1, 0)).toEqual([90_000]);
    expect(nextGaps({ lowMs: 60_000, highMs: 120_000, state: 'searching' }, limits, 3, 0)).toEqual([75_000, 90_000, 105_000]);
    expect(nextGaps({ lowMs: 60_000, highMs: 120_000, state: 'searching' }, limits, 2, 0)).toEqual([80_000, 100_000]);
    expect(nextGaps({ lowMs: 74_530, highMs: 75_000, state: 'converged' }, limits, 4, 6)).toEqual([74_530]);
    expect(nextGaps({ lowMs: 74_530, highMs: 75_000, state: 'converged' }, limits, 4, 7)).toEqual([75_000]);
  });
});

describe('bisection against a path that survives iff gap < N', () => {
  it('the doc\'s example: N = 75 s from 15 s brackets N within 0.75 s', () => {
    const { bracket } = run(() => 75_000, 15_000, 1);
    expect(bracket.state).toBe('converged');
    expect(bracket.lowMs!).toBeLessThan(75_000);
    expect(bracket.highMs!).toBeGreaterThanOrEqual(75_000);
    expect(bracket.highMs! - bracket.lowMs!).toBeLessThanOrEqual(750);
    // 15, 30, 60 survive, 120 dies, then 7 halvings of the 60 s bracket.
    expect(bracket.rungsToConverge).toBe(11);
    expect(bracket.rungsToConverge!).toBeLessThanOrEqual(rungBound(75_000, 15_000));
  });

  it('one rung at a time converges on any N from any from, within the bound', () => {
    fc.assert(
      fc.property(nArb, fromArb, (n, from) => {
        const { bracket, rungs } = run(() => n, from, 1);
        expect(bracket.state).toBe('converged');
        expect(bracket.lowMs!).toBeLessThan(n);
        expect(bracket.highMs!).toBeGreaterThanOrEqual(n);
        expect(bracket.highMs! - bracket.lowMs!).toBeLessThanOrEqual(resolutionMs(bracket.highMs!));
        expect(bracket.restarts).toBe(0);
        expect(rungs.length).toBe(bracket.rungsToConverge);
        expect(bracket.rungsToConverge!).toBeLessThanOrEqual(rungBound(n, from));
      }),
      { numRuns: 2000 },
    );
  });

  it('two to four rungs at a time take no more rounds than one, and fewer overall', () => {
    let rounds1 = 0;
    let roundsP = 0;
    fc.assert(
      fc.property(nArb, fromArb, fc.integer({ min: 2, max: 4 }), (n, from, parallel) => {
        const one = run(() => n, from, 1);
        const many = run(() => n, from, parallel);
        expect(many.bracket.state).toBe('converged');
        expect(many.bracket.lowMs!).toBeLessThan(n);
        expect(many.bracket.highMs!).toBeGreaterThanOrEqual(n);
        expect(many.rounds).toBeLessThanOrEqual(one.rounds);
        rounds1 += one.rounds;
        roundsP += many.rounds;
      }),
      { numRuns: 1000 },
    );
    expect(roundsP).toBeLessThan(rounds1);
    // The doc's example: 4 + 7 rounds alone, 4 + 3 with four at a time (60 s / 5³ < 0.75 s).
    expect(run(() => 75_000, 15_000, 1).rounds).toBe(11);
    expect(run(() => 75_000, 15_000, 4).rounds).toBe(7);
  });

  it('starts over when N changes, and converges on the new N', () => {
    fc.assert(
      fc.property(nArb, nArb, fromArb, fc.integer({ min: 0, max: 25 }), fc.integer({ min: 1, max: 4 }), (n1, n2, from, changeAt, parallel) => {
        const path: Path = (round) => (round < changeAt ? n1 : n2);
        const before = run(path, from, parallel, { maxRounds: changeAt });
        const after = run(path, from, parallel, {
          rungs: before.rungs,
          startRound: before.rounds,
          done: (b) => b.state === 'converged' && b.lowMs! < n2 && b.highMs! >= n2,
        });
        expect(after.bracket.state).toBe('converged');
        expect(after.bracket.lowMs!).toBeLessThan(n2);
        expect(after.bracket.highMs!).toBeGreaterThanOrEqual(n2);
        // Every later round only rechecks the edges, which agree with n2: it stays put.
        const settled = run(path, from, parallel, { rungs: after.rungs, startRound: after.rounds, done: (_b, round) => round >= after.rounds + 4 });
        expect(settled.bracket).toMatchObject({ lowMs: after.bracket.lowMs, highMs: after.bracket.highMs, restarts: after.bracket.restarts });
        // A first bracket that had converged on n1 and excludes n2 must have been restarted.
        const first = replay(before.rungs);
        if (first.state === 'converged' && !(first.lowMs! < n2 && first.highMs! >= n2)) expect(after.bracket.restarts).toBeGreaterThan(first.restarts);
      }),
      { numRuns: 1000 },
    );
  });

  it('a change after convergence restarts once and re-converges', () => {
    const converged = run(() => 75_000, 15_000, 1);
    const moved = run(() => 100_000, 15_000, 1, { rungs: converged.rungs, startRound: converged.rounds, done: (b) => b.restarts > 0 && b.state === 'converged' });
    expect(moved.bracket).toMatchObject({ state: 'converged', restarts: 1 });
    expect(moved.bracket.lowMs!).toBeLessThan(100_000);
    expect(moved.bracket.highMs!).toBeGreaterThanOrEqual(100_000);
  });

  it('skips inconclusive rungs: it still converges, counting only the rungs that said something', () => {
    fc.assert(
      fc.property(nArb, fromArb, fc.integer({ min: 1, max: 4 }), fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }), (n, from, parallel, flaky) => {
        // At most every other rung is lost in a row, so the search still moves.
        const inconclusive = (i: number) => flaky[i % 64]! && !flaky[(i + 1) % 64]!;
        const { bracket, rungs } = run(() => n, from, parallel, { inconclusive, maxRounds: 400 });
        expect(bracket.state).toBe('converged');
        expect(bracket.lowMs!).toBeLessThan(n);
        expect(bracket.highMs!).toBeGreaterThanOrEqual(n);
        expect(bracket.rungs).toBe(rungs.filter((r) => r.outcome !== 'inconclusive').length);
      }),
      { numRuns: 500 },
    );
  });

  describe('with the age each death was cut at (a FIN, a reset: the layer showed when)', () => {
    it('an exact timer: converges one rung after the first death, whatever N and from', () => {
      fc.assert(
        fc.property(nArb, fromArb, (n, from) => {
          const r = run(() => n, from, 1, { cutAt: (cutN) => cutN });
          expect(r.bracket.state).toBe('converged');
          expect(r.bracket.lowMs!).toBeLessThan(n);
          expect(r.bracket.highMs!).toBeGreaterThanOrEqual(n);
          expect(r.bracket.highMs! - r.bracket.lowMs!).toBeLessThanOrEqual(resolutionMs(r.bracket.highMs!));
          // Growth or shrink until the first death (G as above), then one rung just under its cut.
          expect(r.bracket.rungsToConverge!).toBeLessThanOrEqual(2 + Math.ceil(Math.abs(Math.log2(n / from))) + 1);
        }),
        { numRuns: 2000 },
      );
    });

    it("the doc's example, N = 75 s from 15 s: 15, 30, 60 survive, 120 is cut at 75 s, 74.33 survives: 5 rungs", () => {
      const r = run(() => 75_000, 15_000, 1, { cutAt: (n) => n });
      expect(r.rungs.map((x) => x.gapMs)).toEqual([15_000, 30_000, 60_000, 120_000, 74_330]);
      expect(r.bracket).toMatchObject({ state: 'converged', lowMs: 74_330, highMs: 75_000, rungsToConverge: 5 });
    });

    it('a coarse timer (each cut anywhere in N ± 1 s): the shortcut is spent once and the search halves to convergence near N', () => {
      fc.assert(
        fc.property(fc.integer({ min: 5_000, max: MAX }), fromArb, fc.integer(), (n, from, seed) => {
          // A deterministic jitter per rung: the layer's cut this time.
          const jitter = (i: number) => (((seed ^ (i * 2_654_435_761)) >>> 0) % 2001) - 1000;
          const r = run(() => n, from, 1, { cutAt: (cutN, i) => cutN + jitter(i), maxRounds: 80 });
          expect(r.bracket.state).toBe('converged');
          // Within the span the layer cuts in, widened by the resolution.
          expect(r.bracket.highMs!).toBeGreaterThanOrEqual(n - 1000);
          expect(r.bracket.lowMs!).toBeLessThan(n + 1000);
        }),
        { numRuns: 500 },
      );
    });

    it('a silent death gives no cut age: the gap alone is the edge', () => {
      expect(replay([{ gapMs: 120_000, outcome: 'died', cutAtMs: null }])).toMatchObject({ highMs: 120_000, shortcut: false });
      expect(replay([{ gapMs: 120_000, outcome: 'died', cutAtMs: 75_000 }])).toMatchObject({ highMs: 75_000, shortcut: true });
      // A cut under a second is no idle timeout's age; a cut well past the gap is no cut of
      // this rung's silence, but one a moment after it is the cut racing the rung's ping.
      expect(replay([{ gapMs: 120_000, outcome: 'died', cutAtMs: 300 }])).toMatchObject({ highMs: 120_000, shortcut: false });
      expect(replay([{ gapMs: 20_000, outcome: 'died', cutAtMs: 20_300 }])).toMatchObject({ highMs: 20_000, shortcut: false });
      expect(replay([{ gapMs: 20_000, outcome: 'died', cutAtMs: 20_000.6 }])).toMatchObject({ highMs: 20_000, shortcut: true });
      expect(replay([{ gapMs: 20_000, outcome: 'died', cutAtMs: 20_000 }])).toMatchObject({ highMs: 20_000, shortcut: true });
    });
  });

  it('rechecks a converged bracket on the 10 ms grid, even when its high edge is a cut age off the grid', () => {
    const b = replay([
      { gapMs: 2000, outcome: 'survived' },
      { gapMs: 4000, outcome: 'survived' },
      { gapMs: 8000, outcome: 'died', cutAtMs: 7006.776 },
      { gapMs: 6560, outcome: 'survived' },
    ]);
    expect(b).toMatchObject({ state: 'converged', lowMs: 6560, highMs: 7006.776 });
    expect(nextGaps(b, { fromMs: 2000, maxMs: 60_000 }, 1, 0)).toEqual([6560]);
    expect(nextGaps(b, { fromMs: 2000, maxMs: 60_000 }, 1, 1)).toEqual([7010]);
  });
});
