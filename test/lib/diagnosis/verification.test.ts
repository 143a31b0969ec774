/** verificationOf: did a signature's fix hold on the paths that see it? */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { experiment, heldHeartbeats } from '../../../bench/attribution/experiment-blocks';
import { rng } from '../../../bench/attribution/rng';
import type { ExperimentSession } from '../../../lib/diagnosis/types';
import { verificationOf, verificationSentence } from '../../../lib/diagnosis/verification';
import { exposure, FRA, NYC, signature } from './fixtures';

fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261207) });

const T0 = Date.parse('2026-11-20T00:00:00Z');
const PATHS = [
  { probe: FRA, target: 'api', proxy: 'direct' },
  { probe: FRA, target: 'api', proxy: 'squid' },
  { probe: NYC, target: 'api', proxy: 'direct' },
];
/** A 75 s idle signature cut on the three paths (its fix: a 35 s heartbeat). */
const idle75 = signature(
  75,
  PATHS.map((p) => exposure({ ...p, hits: 10, reached: 10 })),
);
const hold = 225_000;

describe('verificationOf, an idle signature', () => {
  it('verified: the recommended heartbeat held 3 × N on every path', () => {
    expect(idle75.fix).toEqual({ kind: 'heartbeat', intervalMs: 35_000 });
    const sessions = PATHS.flatMap((p, i) => heldHeartbeats(p, 2, { startAt: T0, intervalMs: 35_000, holdMs: hold, r: rng(i) }));
    const v = verificationOf(idle75, sessions)!;
    expect(v).toMatchObject({ status: 'verified', fix: { kind: 'heartbeat', intervalMs: 35_000 }, holdMs: hold });
    expect(v.paths.map((p) => p.outcome)).toEqual(['held', 'held', 'held']);
    expect(v.summary).toBe('verified: a 35 s heartbeat survived 3 × N (3 min 45 s) on 3 of 3 paths');
    expect(verificationSentence(idle75, v)).toBe('Verified: a 35 s heartbeat survived 3 × N (3 min 45 s) on 3 of 3 paths.');
  });

  it('refuted: died at 120 s on two paths, a lifetime limit in disguise', () => {
    const sessions = [
      ...heldHeartbeats(PATHS[0]!, 2, { startAt: T0, intervalMs: 35_000, holdMs: hold, diesAtMs: 120_000, r: rng(1) }),
      ...heldHeartbeats(PATHS[1]!, 1, { startAt: T0, intervalMs: 35_000, holdMs: hold, diesAtMs: 120_000, r: rng(2) }),
      ...heldHeartbeats(PATHS[2]!, 1, { startAt: T0, intervalMs: 35_000, holdMs: hold, r: rng(3) }),
    ];
    const v = verificationOf(idle75, sessions)!;
    expect(v.status).toBe('refuted');
    expect(v.paths.filter((p) => p.outcome === 'died')).toEqual([expect.objectContaining({ diedAtMs: expect.closeTo(120_000, -1), endKind: 'tcp_fin' }), expect.objectContaining({ outcome: 'died' })]);
    expect(v.summary).toBe('refuted: a 35 s heartbeat died at 2 min (tcp_fin) on 2 of 3 paths: not an idle timeout; a lifetime limit near 2 min');
  });

  it('refuted near N: the heartbeat did not keep it', () => {
    const sessions = heldHeartbeats(PATHS[0]!, 1, { startAt: T0, intervalMs: 35_000, holdMs: hold, diesAtMs: 75_500, r: rng(4) });
    expect(verificationOf(idle75, sessions)!.summary).toMatch(/^refuted: a 35 s heartbeat died at 75\.5 s \(tcp_fin\) on 1 of 1 path: cut at N although the heartbeat ran/);
  });

  it('running while no session concluded; one still running beside verified paths is said', () => {
    const open = heldHeartbeats(PATHS[0]!, 0, { startAt: T0, intervalMs: 35_000, holdMs: hold, open: 2, r: rng(5) });
    expect(verificationOf(idle75, open)).toMatchObject({ status: 'running', summary: 'running: a 35 s heartbeat is being held for 3 × N (3 min 45 s) on 1 path' });
    const held = heldHeartbeats(PATHS[1]!, 1, { startAt: T0, intervalMs: 35_000, holdMs: hold, r: rng(6) });
    expect(verificationOf(idle75, [...open, ...held])!.summary).toBe('verified: a 35 s heartbeat survived 3 × N (3 min 45 s) on 1 of 2 paths (1 still running)');
  });

  it('reads only the paths the signature cuts, only holds past N, and not inconclusive ends', () => {
    const elsewhere = heldHeartbeats({ probe: FRA, target: 'chat', proxy: 'direct' }, 2, { startAt: T0, intervalMs: 35_000, holdMs: hold, r: rng(7) });
    expect(verificationOf(idle75, elsewhere)).toBeNull();
    const short = heldHeartbeats(PATHS[0]!, 2, { startAt: T0, intervalMs: 20_000, holdMs: 60_000, r: rng(8) });
    expect(verificationOf(idle75, short)).toBeNull();
    const set = { profile: 'verify-hb-35s', profileKind: 'heartbeat' as const, intervalMs: 35_000, holdMs: hold };
    const stopped = [experiment(PATHS[0]!, set, T0, 50_000, { endKind: 'probe_closed', closeReason: 'plan changed' }), experiment(PATHS[0]!, set, T0 + 1, 50_000, { endKind: 'close_frame', closeCode: 1012 })];
    expect(verificationOf(idle75, stopped)).toBeNull();
    const neverOpened = { ...experiment(PATHS[0]!, set, T0, 0, null), durationMs: null };
    expect(verificationOf(idle75, [neverOpened])).toBeNull();
  });

  it('of several intervals tried, reports the one nearest the fix', () => {
    const sessions = [
      ...heldHeartbeats(PATHS[0]!, 1, { startAt: T0, intervalMs: 25_000, holdMs: hold, diesAtMs: 100_000, r: rng(9) }),
      ...heldHeartbeats(PATHS[0]!, 1, { startAt: T0, intervalMs: 30_000, holdMs: hold, r: rng(10) }),
    ];
    expect(verificationOf(idle75, sessions)).toMatchObject({ status: 'verified', fix: { intervalMs: 30_000 } });
  });

  it('an endpoint that closes on purpose has nothing to verify', () => {
    const sig = signature(75, idle75.paths, { endedBy: 'endpoint' });
    expect(sig.fix).toEqual({ kind: 'endpoint' });
    expect(verificationOf(sig, heldHeartbeats(PATHS[0]!, 2, { startAt: T0, intervalMs: 35_000, holdMs: hold, r: rng(11) }))).toBeNull();
    expect(verificationSentence(sig, null)).toBeNull();
  });

  it('verified iff some path held and none died; refuted iff one died; whatever the mix of outcomes per path', () => {
    const outcome = fc.constantFrom('held', 'died', 'open', 'stopped');
    fc.assert(
      fc.property(fc.array(fc.array(outcome, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 3 }), (perPath) => {
        const set = { profile: 'verify-hb-35s', profileKind: 'heartbeat' as const, intervalMs: 35_000, holdMs: hold };
        const sessions: ExperimentSession[] = perPath.flatMap((os, i) =>
          os.map((o, j) => {
            const at = T0 + j * 300_000;
            if (o === 'held') return experiment(PATHS[i]!, set, at, hold + 10, { endKind: 'probe_closed', closeReason: 'hold: held 225s with a 35s heartbeat' });
            if (o === 'died') return experiment(PATHS[i]!, set, at, 90_000, { endKind: 'tcp_reset' });
            if (o === 'open') return experiment(PATHS[i]!, set, at, 30_000, null);
            return experiment(PATHS[i]!, set, at, 30_000, { endKind: 'probe_closed', closeReason: 'stopping' });
          }),
        );
        const v = verificationOf(idle75, sessions);
        const all = perPath.flat();
        if (!all.some((o) => o !== 'stopped')) {
          expect(v).toBeNull();
          return;
        }
        const expected = all.includes('died') ? 'refuted' : all.includes('held') ? 'verified' : 'running';
        expect(v!.status).toBe(expected);
        expect(v!.summary.startsWith(`${expected}:`)).toBe(true);
      }),
    );
  });
});

describe('verificationOf, a lifetime signature', () => {
  const life120 = signature(
    120,
    PATHS.map((p) => exposure({ ...p, profile: 'heartbeat', profileKind: 'heartbeat', hits: 10, reached: 10 })),
    { kind: 'lifetime' },
  );

  it('verified: a reconnect schedule kept every connection until its handover', () => {
    expect(life120.fix).toEqual({ kind: 'reconnect', everyMs: 108_000 });
    const sessions = [PATHS[0]!, PATHS[1]!].flatMap((p, i) => heldHeartbeats(p, 2, { startAt: T0, intervalMs: 25_000, holdMs: 90_000, profile: 'reconnect-90s', r: rng(20 + i) }));
    const v = verificationOf(life120, sessions)!;
    expect(v).toMatchObject({ status: 'verified', fix: { kind: 'reconnect', everyMs: 90_000 }, holdMs: 90_000 });
    expect(v.summary).toBe('verified: reconnecting every 90 s kept 4 of 4 connections until handover');
  });

  it('refuted when a connection died before its handover', () => {
    const sessions = [...heldHeartbeats(PATHS[0]!, 3, { startAt: T0, intervalMs: 25_000, holdMs: 90_000, r: rng(22) }), ...heldHeartbeats(PATHS[1]!, 1, { startAt: T0, intervalMs: 25_000, holdMs: 90_000, diesAtMs: 45_000, end: { endKind: 'tcp_reset' }, r: rng(23) })];
    expect(verificationOf(life120, sessions)!.summary).toMatch(/^refuted: reconnecting every 90 s, 1 of 4 connections died first, at 45\.0 s \(tcp_reset\)/);
  });

  it('without a schedule: says plainly that no heartbeat helps', () => {
    expect(verificationOf(life120, [])).toBeNull();
    expect(verificationSentence(life120, null)).toBe('No heartbeat helps a lifetime limit: only reconnecting before 2 min does (not verified yet: no reconnect schedule ran on these paths).');
  });
});
