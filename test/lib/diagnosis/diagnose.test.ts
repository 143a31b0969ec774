/** diagnose and analyzeSessions: the experiments' conclusions beside the signatures, said in their verdicts. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bisectRungs, echoSessions, heldHeartbeats, keepaliveRungs, sampleOf } from '../../../bench/attribution/experiment-blocks';
import { rng } from '../../../bench/attribution/rng';
import { saysZeroSeconds } from '../../../bench/attribution/score';
import { analyzeSessions, type SessionSample } from '../../../lib/analysis/analyze';
import { diagnose } from '../../../lib/diagnosis/diagnose';
import type { ExperimentSession } from '../../../lib/diagnosis/types';
import { exposure, FRA, NYC, signature } from './fixtures';

fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261207) });

const T0 = Date.parse('2026-11-20T00:00:00Z');
const API = { probe: FRA, target: 'api', proxy: 'direct' };

describe('diagnose', () => {
  const sig = signature(75, [exposure({ target: 'api', hits: 10, reached: 10 }), exposure({ probe: NYC, target: 'api', hits: 8, reached: 8 }), exposure({ target: 'app', reached: 6, outlived: 6 })]);
  const chains = [{ name: 'shop', hops: ['api', 'app'] }];

  it('attaches the verification and the chain position to the signature, says them in its verdict, and lists them by signature', () => {
    const held = [API, { ...API, probe: NYC }].flatMap((p, i) => heldHeartbeats(p, 1, { startAt: T0, intervalMs: 35_000, holdMs: 225_000, r: rng(i) }));
    const d = diagnose({ sessions: held, chains, signatures: [sig] });
    const [s] = d.signatures;
    expect(s!.verification).toMatchObject({ status: 'verified' });
    expect(s!.chain).toMatchObject({ cutAt: 'api', nextInward: 'app' });
    expect(s!.verdict).toBe(
      "WebSockets die at 75.0 s. Verified: a 35 s heartbeat survived 3 × N (3 min 45 s) on 2 of 2 paths. The 75.0 s cut happens between api and app: api's timeout.",
    );
    expect(d.diagnosis.verifications).toEqual([expect.objectContaining({ signature: 'age-75.0s', status: 'verified' })]);
    expect(d.diagnosis.chains).toEqual([expect.objectContaining({ signature: 'age-75.0s', cutAt: 'api' })]);
    expect(sig.verdict).toBe('WebSockets die at 75.0 s.');
  });

  it('leaves a signature as it is with no experiment and no chain', () => {
    const d = diagnose({ sessions: [], chains: [], signatures: [sig] });
    expect(d.signatures[0]).toBe(sig);
    expect(d).toMatchObject({ diagnosis: { brackets: [], transports: [], verifications: [], chains: [], echo: [] }, findings: [] });
  });

  it('finds brackets, transports and echo, each kind with its causes', () => {
    const b = bisectRungs(API, () => 75_000, { startAt: T0, rounds: 8, r: rng(1) });
    const k = keepaliveRungs(API, 1, { startAt: T0 + 3_600_000, gapMs: 112_500, keepaliveMs: 25_000, cutMs: 75_000, layer: 'l4', r: rng(2) });
    const e = echoSessions({ ...API, target: 'chat' }, 2, { startAt: T0, intervalMs: 1000, messageBytes: 1024, growTo: 65_536, limitBytes: 16_000, failure: 'lost', r: rng(3) });
    const d = diagnose({ sessions: [...e, ...k, ...b], chains: [], signatures: [] });
    expect(d.findings.map((f) => `${f.kind}/${f.cause}`)).toEqual(['bisect/converged', 'transport/l4', 'echo/frame-lost']);
    expect(d.diagnosis.brackets).toHaveLength(1);
    expect(d.diagnosis.transports).toEqual([expect.objectContaining({ layer: 'l4' })]);
    expect(d.diagnosis.echo).toEqual([expect.objectContaining({ kind: 'frame-lost', failedAtBytes: 16_384 })]);
  });

  it('never says "0.0 s", whatever the experiments saw', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1001, max: 200_000 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 1 << 16 }), (n, rounds, limit) => {
        const sessions: ExperimentSession[] = [
          ...bisectRungs(API, () => n, { startAt: T0, rounds, r: rng(n), fromMs: 1000 }),
          ...keepaliveRungs(API, 1, { startAt: T0 + 1e7, gapMs: n + 1000, keepaliveMs: 1000, cutMs: n, layer: n % 2 ? 'l4' : 'l7', r: rng(n) }),
          ...echoSessions(API, 2, { startAt: T0, intervalMs: 500, messageBytes: 16, growTo: 1 << 16, limitBytes: limit, failure: 'cut', holdMs: 40, r: rng(limit) }),
          ...heldHeartbeats(API, 1, { startAt: T0, intervalMs: 1000, holdMs: 3 * n, diesAtMs: n, r: rng(1) }),
        ];
        const d = diagnose({ sessions, chains: [{ name: 'c', hops: ['api', 'app'] }], signatures: [signature(n / 1000, [exposure({ target: 'api', hits: 5, reached: 5 })])] });
        expect(saysZeroSeconds(d)).toBe(false);
      }),
      { numRuns: 60 },
    );
  });
});

describe('analyzeSessions with experiments', () => {
  /** Echo canaries of a growing profile cut at 16 KiB: every session dies at the same age, the age its growth reached that size. */
  function echoCut(): { sessions: SessionSample[]; experiments: ExperimentSession[] } {
    const experiments = [FRA, NYC].flatMap((probe, i) => echoSessions({ ...API, probe }, 12, { startAt: T0, intervalMs: 5000, messageBytes: 1024, growTo: 65_536, limitBytes: 16_000, failure: 'cut', r: rng(i) }));
    const healthy: SessionSample[] = Array.from({ length: 12 }, (_, i) => ({ ...sampleOf(echoSessions({ ...API, target: 'chat' }, 1, { startAt: T0 + i * 1e6, intervalMs: 5000, messageBytes: 1024, r: rng(i) })[0]!)!, id: `h${i}`, ageMs: 900_000 + i * 1000 }));
    return { sessions: [...experiments.map((x) => sampleOf(x)!), ...healthy], experiments };
  }

  it('a signature made of echo canaries cut after a large message is the echo finding’s, not a timeout', () => {
    const { sessions, experiments } = echoCut();
    expect(analyzeSessions(sessions).signatures.map((s) => s.nSeconds)).toEqual([20]);
    const a = analyzeSessions(sessions, undefined, { experiments });
    expect(a.signatures).toEqual([]);
    const f = a.findings.find((x) => x.kind === 'echo')!;
    expect(f).toMatchObject({ cause: 'frame-cut' });
    expect(f.detail).toMatch(/drops at 20\.0 s of age .*no timeout, so no signature/);
    expect(a.diagnosis.echo).toHaveLength(2);
  });
});
