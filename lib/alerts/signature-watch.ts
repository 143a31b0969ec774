/**
 * The signature rule: which drop signatures are new, or have moved, against the ones the
 * rule learned on its first evaluation (the baseline; editing the rule learns it again).
 * A signature is known by where it is (its dimension and location), so "the 20 s idle
 * timeout through proxy X became 30 s" is a move, and a timeout somewhere else is new.
 */
import type { Observation } from './observation';

export interface SignatureSighting {
  dimension: 'age' | 'idle';
  nMs: number;
  nSeconds: number;
  count: number;
  verdict: string;
  location: { scope: string; value: string | null };
}

export interface SignatureBaseline {
  learnedAt: string;
  signatures: { id: string; nMs: number }[];
}

export function signatureId(s: Pick<SignatureSighting, 'dimension' | 'location'>): string {
  return `${s.dimension}@${s.location.scope}${s.location.value === null ? '' : `=${s.location.value}`}`;
}

/** The baseline to keep: the signatures seen now with at least `minCount` drops. */
export function learnBaseline(sightings: readonly SignatureSighting[], minCount: number, now: Date): SignatureBaseline {
  return { learnedAt: now.toISOString(), signatures: sightings.filter((s) => s.count >= minCount).map((s) => ({ id: signatureId(s), nMs: s.nMs })) };
}

/** One observation per signature seen with enough drops: a breach when new or moved past the tolerance. */
export function compareSignatures(sightings: readonly SignatureSighting[], baseline: SignatureBaseline, toleranceMs: number, minCount: number): Observation[] {
  const known = new Map(baseline.signatures.map((s) => [s.id, s.nMs]));
  return sightings
    .filter((s) => s.count >= minCount)
    .map((s) => {
      const id = signatureId(s);
      const before = known.get(id);
      const change = before === undefined ? 'new' : Math.abs(s.nMs - before) > toleranceMs ? 'moved' : 'known';
      return {
        labels: { signature: id },
        value: s.nSeconds,
        verdict: change === 'known' ? 'clear' : 'breach',
        evidence: {
          change,
          nSeconds: s.nSeconds,
          ...(before !== undefined && { baselineNSeconds: Math.round(before / 100) / 10 }),
          count: s.count,
          verdict: s.verdict,
        },
      } satisfies Observation;
    });
}
