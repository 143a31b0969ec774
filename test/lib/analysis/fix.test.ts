/** Signature.fix: the recommendation as data, and the sentence worded from it (one definition). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeSessions } from '../../../lib/analysis/analyze';
import { BUILTIN_LAYERS } from '../../../lib/analysis/catalogue';
import { rankCandidates } from '../../../lib/analysis/candidates';
import { formatSeconds } from '../../../lib/analysis/stats';
import type { SignatureKind } from '../../../lib/analysis/types';
import { fixOf, recommendation } from '../../../lib/analysis/verdict';
import { mixture, PLANTS } from './synthetic';

fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261207) });

describe('fixOf', () => {
  it.each<[string, Parameters<typeof fixOf>[0], ReturnType<typeof fixOf>, string]>([
    ['an idle timeout: half of N, down to 5 s', { nSeconds: 73.4, kind: 'idle', candidates: [] }, { kind: 'heartbeat', intervalMs: 35_000 }, "Send a WebSocket ping at least every 35 s (half of 73.4 s), or raise that layer's timeout."],
    ['an undetermined one: the same, with the doubt', { nSeconds: 60, kind: 'undetermined', candidates: [] }, { kind: 'heartbeat', intervalMs: 30_000 }, "If it is an idle timeout (most are): send a WebSocket ping at least every 30 s (half of 60.0 s), or raise that layer's timeout."],
    ['a short one: never under a second', { nSeconds: 1.5, kind: 'idle', candidates: [] }, { kind: 'heartbeat', intervalMs: 1000 }, "Send a WebSocket ping at least every 1 s (half of 1.5 s), or raise that layer's timeout."],
    ['a lifetime limit: reconnect at 90 %', { nSeconds: 120, kind: 'lifetime', candidates: [] }, { kind: 'reconnect', everyMs: 108_000 }, "Heartbeats will not help: reconnect proactively before 2 min (say at 108.0 s), or raise that layer's timeout."],
    ['an endpoint that closes on purpose', { nSeconds: 300, kind: 'lifetime', candidates: [], endedBy: 'endpoint', closeCode: 1001 }, { kind: 'endpoint' }, 'The endpoint is going away (1001)'],
  ])('%s', (_label, facts, fix, words) => {
    expect(fixOf(facts)).toEqual(fix);
    expect(recommendation(facts)).toContain(words);
    expect(recommendation(facts, fixOf(facts))).toBe(recommendation(facts));
  });

  it('names the layer’s setting beside the fix when a candidate fits', () => {
    const candidates = rankCandidates(BUILTIN_LAYERS, { nMs: 60_000, kind: 'idle', members: [], scope: 'target' });
    const facts = { nSeconds: 60, kind: 'idle' as const, candidates };
    expect(fixOf(facts)).toEqual({ kind: 'heartbeat', intervalMs: 30_000 });
    expect(recommendation(facts)).toMatch(/^Send a WebSocket ping at least every 30 s \(half of 60\.0 s\), or raise /);
  });

  it('for any N and kind, the fix is under N and the sentence says exactly its interval or period', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.1, max: 86_400, noNaN: true }), fc.constantFrom<SignatureKind>('idle', 'lifetime', 'undetermined'), (n, kind) => {
        const nSeconds = Math.round(n * 10) / 10;
        const fix = fixOf({ nSeconds, kind, candidates: [] });
        const text = recommendation({ nSeconds, kind, candidates: [] });
        if (fix.kind === 'heartbeat') {
          expect(kind).not.toBe('lifetime');
          expect(fix.intervalMs).toBeGreaterThanOrEqual(1000);
          if (nSeconds >= 2) expect(fix.intervalMs).toBeLessThanOrEqual((nSeconds * 1000) / 2);
          expect(text).toContain(`every ${fix.intervalMs / 1000} s`);
        } else if (fix.kind === 'reconnect') {
          expect(kind).toBe('lifetime');
          expect(fix.everyMs).toBeGreaterThanOrEqual(1000);
          if (nSeconds >= 2) expect(fix.everyMs).toBeLessThan(nSeconds * 1000);
          expect(text).toContain(`say at ${formatSeconds(fix.everyMs / 1000)}`);
        } else throw new Error('no endpoint without an endpoint close');
      }),
    );
  });

  it('every signature the analysis finds carries the fix its recommendation says', () => {
    const { signatures } = analyzeSessions(mixture(PLANTS, { seed: 11, perPath: 30, background: 100, jitterMs: 40 }));
    expect(signatures.length).toBeGreaterThan(0);
    for (const s of signatures) expect(s.recommendation).toBe(recommendation(s, fixOf(s)));
    for (const s of signatures) expect(s.fix).toEqual(fixOf({ nSeconds: s.nSeconds, kind: s.kind, candidates: s.candidates, endedBy: s.endedBy, closeCode: s.endedBy === 'endpoint' ? Number(Object.keys(s.closeCodes)[0]) : null }));
  });
});
