/** bracketsOf: the server's replay of a path's bisect rungs, and what it says of them. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bisectRungs, experiment } from '../../../bench/attribution/experiment-blocks';
import { rng } from '../../../bench/attribution/rng';
import { saysZeroSeconds } from '../../../bench/attribution/score';
import { resolutionMs } from '../../../lib/diagnosis/bisect';
import { bracketFindings, bracketsOf } from '../../../lib/diagnosis/brackets';
import type { ExperimentSession } from '../../../lib/diagnosis/types';
import { FRA } from './fixtures';

fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261207) });

const P = { probe: FRA, target: 'api', proxy: 'squid-corp' };
const T0 = Date.parse('2026-11-20T00:00:00Z');
const BISECT = { profile: 'bisect', profileKind: 'bisect' as const };
const survived = (gapMs: number, at: number) => experiment(P, { ...BISECT, gapMs }, at, gapMs + 40, { endKind: 'probe_closed', closeReason: `bisect: survived ${gapMs / 1000}s idle` });
const died = (gapMs: number, at: number, n = gapMs) => experiment(P, { ...BISECT, gapMs }, at, n, { endKind: 'tcp_fin' });

function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const r = rng(seed);
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('bracketsOf', () => {
  it('brackets a 75 s idle timeout within max(0.5 s, 1 %) and says it with the path and the rungs', () => {
    const rungs = bisectRungs(P, () => 75_000, { startAt: T0, rounds: 8, r: rng(1) });
    const [b] = bracketsOf(rungs);
    expect(b).toMatchObject({ ...P, profile: 'bisect', state: 'converged', restarts: 0 });
    expect(b!.lowMs!).toBeLessThan(75_000);
    expect(b!.highMs!).toBeGreaterThanOrEqual(75_000);
    expect(b!.highMs! - b!.lowMs!).toBeLessThanOrEqual(500);
    const [f] = bracketFindings([b!]);
    expect(f).toMatchObject({ kind: 'bisect', cause: 'converged', severity: 'warning' });
    expect(f!.title).toMatch(/^idle timeout between 7\d\.\d s and 7\d\.\d s on edge-fra-1 → squid-corp → api \(bisected over \d+ rungs\)$/);
    // The one heartbeat rule (lib/analysis/fixes.ts, verdict.ts fixOf): half of the 75 s cut, rounded down to 5 s, as a 75 s signature says it.
    expect(f!.recommendation).toMatch(/at least every 35 s/);
    expect(f!.fix).toEqual({ kind: 'heartbeat', intervalMs: 35_000 });
  });

  it.each<[string, ExperimentSession[], Partial<ReturnType<typeof bracketsOf>[number]> | null, string | null]>([
    ['two rungs that disagree: searching', [survived(15_000, T0), died(60_000, T0 + 1)], { state: 'searching', lowMs: 15_000, highMs: 60_000, rungs: 2 }, 'searching'],
    ['one death: a bracket, too little to say', [died(15_000, T0)], { state: 'dies', highMs: 15_000, rungs: 1 }, null],
    ['two deaths: it dies', [died(15_000, T0), died(7_500, T0 + 20_000)], { state: 'dies', highMs: 7_500 }, 'dies'],
    ['two survivals: too little to say', [survived(15_000, T0), survived(30_000, T0 + 20_000)], { state: 'survives', lowMs: 30_000 }, null],
    ['three survivals: it survives', [survived(15_000, T0), survived(30_000, T0 + 20_000), survived(60_000, T0 + 60_000)], { state: 'survives', lowMs: 60_000, rungs: 3 }, 'survives'],
    [
      'probe stops and an endpoint close are inconclusive',
      [
        survived(15_000, T0),
        experiment(P, { ...BISECT, gapMs: 30_000 }, T0 + 1, 12_000, { endKind: 'probe_closed', closeReason: 'plan changed' }),
        experiment(P, { ...BISECT, gapMs: 30_000 }, T0 + 2, 12_000, { endKind: 'close_frame', closeCode: 1001 }),
        died(40_000, T0 + 3),
      ],
      { state: 'searching', lowMs: 15_000, highMs: 40_000, rungs: 2 },
      'searching',
    ],
    ['open rungs are not replayed', [survived(15_000, T0), experiment(P, { ...BISECT, gapMs: 30_000 }, T0 + 1, 5_000, null)], { state: 'survives', lowMs: 15_000, rungs: 1 }, null],
    [
      'a rung that never opened is not a death',
      [survived(15_000, T0), { ...experiment(P, { ...BISECT, gapMs: 30_000 }, T0 + 1, 0, null), endedAt: T0 + 5000, durationMs: null }],
      { state: 'survives', lowMs: 15_000, rungs: 1 },
      null,
    ],
    ['only inconclusive rungs: no bracket', [experiment(P, { ...BISECT, gapMs: 30_000 }, T0, 5_000, { endKind: 'probe_closed', closeReason: 'stopping' })], null, null],
  ])('%s', (_label, sessions, view, cause) => {
    const brackets = bracketsOf(sessions);
    if (view === null) {
      expect(brackets).toEqual([]);
      return;
    }
    expect(brackets).toHaveLength(1);
    expect(brackets[0]).toMatchObject(view);
    expect(bracketFindings(brackets).map((f) => f.cause)).toEqual(cause === null ? [] : [cause]);
  });

  it('starts over when the path changes (60 s, then 120 s) and says so', () => {
    const before = bisectRungs(P, () => 60_000, { startAt: T0, rounds: 7, r: rng(2) });
    const at = before.at(-1)!.endedAt! + 5000;
    const after = bisectRungs(P, () => 120_000, { startAt: at, rounds: 12, r: rng(3) });
    // The second unit starts from scratch but the server replays both: the first rung of
    // the new behaviour that contradicts the old bracket restarts it.
    const [b] = bracketsOf([...before, ...after]);
    expect(b!.restarts).toBeGreaterThanOrEqual(1);
    expect(b!.state).toBe('converged');
    expect(b!.lowMs!).toBeLessThan(120_000);
    expect(b!.highMs!).toBeGreaterThanOrEqual(120_000);
    expect(bracketFindings([b!])[0]!.title).toMatch(/after \d restarts?: the path's behaviour changed/);
  });

  it('keeps paths and profiles apart', () => {
    const other = { ...P, proxy: 'direct' };
    const sessions = [...bisectRungs(P, () => 75_000, { startAt: T0, rounds: 8, r: rng(4) }), ...bisectRungs(other, () => 30_000, { startAt: T0, rounds: 8, r: rng(5) })];
    const brackets = bracketsOf(sessions);
    expect(brackets.map((b) => [b.proxy, b.highMs! >= 75_000 ? 75 : 30])).toEqual([
      ['direct', 30],
      ['squid-corp', 75],
    ]);
  });

  it('for any N over 1 s up to 30 min, the probe’s rungs (the path survives iff gap < N) bracket N within the resolution, in any input order, and never say "0.0 s"', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1001, max: 1_800_000 }), fc.integer({ min: 1, max: 4 }), fc.integer(), (n, parallel, seed) => {
        const rungs = bisectRungs(P, () => n, { startAt: T0, rounds: 16, parallel, r: rng(seed) });
        const [b] = bracketsOf(shuffled(rungs, seed));
        expect(b!.state).toBe('converged');
        expect(b!.lowMs === null || b!.lowMs < n).toBe(true);
        expect(b!.highMs!).toBeGreaterThanOrEqual(n);
        if (b!.lowMs !== null) expect(b!.highMs! - b!.lowMs).toBeLessThanOrEqual(resolutionMs(b!.highMs!));
        expect(saysZeroSeconds(bracketFindings([b!]))).toBe(false);
      }),
      { numRuns: 150 },
    );
  });
});
