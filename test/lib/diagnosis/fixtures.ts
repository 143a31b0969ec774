/** Signatures and paths for the diagnosis tests, built by hand: only what the diagnosis reads matters. */
import type { PathExposure, Signature } from '../../../lib/analysis/types';
import { fixOf } from '../../../lib/analysis/verdict';

export const FRA = 'edge-fra-1';
export const NYC = 'edge-nyc-1';

/** One path's exposure around a signature's window. */
export function exposure(o: Partial<PathExposure> & { target: string }): PathExposure {
  return { probe: FRA, proxy: 'direct', profile: 'idle', profileKind: 'idle', gapMs: null, labels: {}, sessions: 10, drops: 0, reached: 0, hits: 0, outlived: 0, ...o };
}

/** A signature at `nS` with these paths; its fix is the analysis' own (lib/analysis/verdict.ts). */
export function signature(nS: number, paths: PathExposure[], o: Partial<Signature> = {}): Signature {
  const kind = o.kind ?? 'idle';
  const endedBy = o.endedBy ?? 'layer';
  const hits = paths.reduce((n, p) => n + p.hits, 0);
  return {
    key: `age-${nS.toFixed(1)}s`,
    dimension: 'age',
    nMs: nS * 1000,
    nSeconds: nS,
    spreadMs: 2,
    minMs: nS * 1000,
    maxMs: nS * 1000 + 5,
    window: { lowMs: nS * 1000 - 100, highMs: nS * 1000 + 100 },
    count: hits,
    share: 1,
    firstSeen: '2026-11-20T00:00:00.000Z',
    lastSeen: '2026-11-20T06:00:00.000Z',
    kind,
    kindEvidence: [],
    endings: { tcp_fin: hits },
    closeCodes: {},
    paths,
    location: { scope: 'target', value: paths[0]?.target ?? null, evidence: [] },
    candidates: [],
    endedBy,
    software: null,
    softwareNote: '',
    confidence: { level: 'medium', reasons: [], raise: [] },
    bothEnds: null,
    verdict: `WebSockets die at ${nS.toFixed(1)} s.`,
    recommendation: '',
    fix: fixOf({ nSeconds: nS, kind, candidates: [], endedBy, closeCode: endedBy === 'endpoint' ? 1001 : null }),
    ...o,
  };
}
