/**
 * One fix per layer on a report (issue 19): the demo's analysis page said "ping every 10 s"
 * on the 20 s signature, "every 5 s" on the ladder and "every 9 s" on the bisect bracket
 * for one proxy. Findings about a signature's layer now repeat its fix and point to it.
 */
import { describe, expect, it } from 'vitest';
import { corpus } from '../../../bench/attribution/corpus';
import type { Scenario } from '../../../bench/attribution/scenario';
import { BUILTIN_LAYERS } from '../../../lib/analysis/catalogue';
import { analyzeSessions } from '../../../lib/analysis/analyze';
import { ladderFindings, type Finding, type LadderRung } from '../../../lib/analysis/findings';
import { idleCutFix, reconcileFixes } from '../../../lib/analysis/fixes';
import type { Fix, PathExposure, Signature } from '../../../lib/analysis/types';
import { bracketFindings, outcomeOf } from '../../../lib/diagnosis/brackets';
import type { BracketView } from '../../../lib/diagnosis/types';

const PATH = { probe: 'demo-probe', target: 'builtin', proxy: 'squid' };

/** A signature as reconcileFixes reads it: N, kind, who ended it, its fix and the paths it hits. */
function signature(nMs: number, o: { kind?: Signature['kind']; hitsOn?: typeof PATH; fix?: Fix } = {}): Signature {
  const nSeconds = Math.round(nMs / 100) / 10;
  const path: PathExposure = { ...(o.hitsOn ?? PATH), profile: 'idle', profileKind: 'idle', gapMs: null, labels: {}, sessions: 30, drops: 20, reached: 20, hits: 20, outlived: 0 };
  return {
    key: `age-${nSeconds.toFixed(1)}s`,
    nMs,
    nSeconds,
    kind: o.kind ?? 'idle',
    endedBy: 'layer',
    fix: o.fix ?? { kind: 'heartbeat', intervalMs: Math.floor(nSeconds / 2 / 5) * 5 * 1000 },
    paths: [path],
  } as unknown as Signature;
}

const bracket = (lowMs: number | null, highMs: number | null, state: BracketView['state']): BracketView => ({ ...PATH, profile: 'bisect', lowMs, highMs, state, rungs: 8, restarts: 0, lastRungAt: 0 });
const rung = (gapMs: number, survived: number, died: number): LadderRung => ({ ...PATH, gapMs, survived, died });

const heartbeats = (fs: readonly Finding[]) => fs.filter((f) => f.fix?.kind === 'heartbeat').map((f) => (f.fix as { intervalMs: number }).intervalMs);

describe('one fix per layer', () => {
  it('the demo: the signature, the ladder and the bisect bracket of one proxy all say the 20 s signature\'s 10 s', () => {
    const sig = signature(20_000);
    const raw = [...ladderFindings([rung(10_000, 12, 0), rung(30_000, 0, 12)]), ...bracketFindings([bracket(19_500, 20_000, 'converged')])];
    // Before: each computed its own.
    expect(new Set(heartbeats(raw)).size).toBeGreaterThan(1);
    const out = reconcileFixes([sig], raw);
    expect(heartbeats(out)).toEqual([10_000, 10_000]);
    for (const f of out) {
      expect(f.signature).toBe(sig.key);
      expect(f.recommendation).toMatch(/^See the 20\.0 s signature: send a WebSocket ping at least every 10 s on this path/);
    }
  });

  it('a finding on another path, or whose edges exclude the signature\'s N, keeps its own fix', () => {
    const elsewhere = signature(20_000, { hitsOn: { ...PATH, proxy: 'direct' } });
    const [ladder] = reconcileFixes([elsewhere], ladderFindings([rung(10_000, 12, 0), rung(30_000, 0, 12)]));
    expect(ladder!.signature).toBeUndefined();
    expect(ladder!.fix).toEqual({ kind: 'heartbeat', intervalMs: 5000 });
    const longer = signature(100_000);
    const [b] = reconcileFixes([longer], bracketFindings([bracket(19_500, 20_000, 'converged')]));
    expect(b!.signature).toBeUndefined();
    expect(b!.fix).toEqual({ kind: 'heartbeat', intervalMs: 10_000 });
  });

  it('a lifetime signature is no idle layer: the ladder keeps its own heartbeat', () => {
    const life = signature(20_000, { kind: 'lifetime', fix: { kind: 'reconnect', everyMs: 18_000 } });
    const [ladder] = reconcileFixes([life], ladderFindings([rung(10_000, 12, 0), rung(30_000, 0, 12)]));
    expect(ladder!.signature).toBeUndefined();
  });

  it('without a signature, findings on one path share the fix of what they know together', () => {
    // The ladder survives 10 s and dies by 30 s; the bracket knows the cut is at 20 s.
    const out = reconcileFixes([], [...ladderFindings([rung(10_000, 12, 0), rung(30_000, 0, 12)]), ...bracketFindings([bracket(19_500, 20_000, 'converged')])]);
    expect(heartbeats(out)).toEqual([10_000, 10_000]);
    expect(out[0]!.recommendation).toContain('every 10 s');
    expect(out[0]!.recommendation).not.toContain('every 5 s');
  });

  it('idleCutFix: the cut itself when exact, else the longest survived silence, else the shortest cut', () => {
    expect(idleCutFix({ lowMs: 19_500, highMs: 20_000, exact: true })).toEqual({ kind: 'heartbeat', intervalMs: 10_000 });
    expect(idleCutFix({ lowMs: 10_000, highMs: 30_000, exact: false })).toEqual({ kind: 'heartbeat', intervalMs: 5000 });
    expect(idleCutFix({ lowMs: null, highMs: 60_000, exact: false })).toEqual({ kind: 'heartbeat', intervalMs: 30_000 });
    expect(idleCutFix({ lowMs: 45_000, highMs: null, exact: false })).toBeNull();
  });
});

/** The ladder rungs of a scenario's experiments, as db/queries/finding-ladder.ts counts them. */
function ladderRungsOf(s: Scenario): LadderRung[] {
  const byRung = new Map<string, LadderRung>();
  for (const e of s.experiments ?? []) {
    if (e.profileKind !== 'ladder' || e.gapMs === null || e.endedAt === null) continue;
    const o = outcomeOf(e);
    if (o === 'inconclusive') continue;
    const k = `${e.probe}|${e.target}|${e.proxy}|${e.gapMs}`;
    const r = byRung.get(k) ?? { probe: e.probe, target: e.target, proxy: e.proxy, gapMs: e.gapMs, survived: 0, died: 0 };
    if (o === 'survived') r.survived += 1;
    else r.died += 1;
    byRung.set(k, r);
  }
  return [...byRung.values()];
}

describe('every scenario of the attribution corpus', () => {
  const scenarios = corpus().filter((s): s is Scenario => 'sessions' in s);
  let linked = 0;
  let idleFindings = 0;

  it.each(scenarios.map((s) => [s.name, s] as const))('%s: all fixes for one layer on the report agree', (_name, s) => {
    const layers = [...BUILTIN_LAYERS, ...(s.layers ?? [])];
    const answer = analyzeSessions(s.sessions, layers, { experiments: s.experiments ?? [], chains: s.chains ?? [] });
    // As db/queries/analysis-report.ts assembles the page: the analysis' findings and the ladder's.
    const findings = reconcileFixes(answer.signatures, [...answer.findings, ...ladderFindings(ladderRungsOf(s))]);
    const byKey = new Map(answer.signatures.map((g) => [g.key, g]));
    const perPath = new Map<string, string>();
    for (const f of findings) {
      if (!f.fix || !f.path) continue;
      idleFindings += 1;
      if (f.signature) {
        linked += 1;
        expect(f.fix, `${f.title} repeats its signature's fix`).toEqual(byKey.get(f.signature)!.fix);
        expect(f.recommendation).toContain(`every ${(f.fix as { intervalMs: number }).intervalMs / 1000} s`);
        continue;
      }
      // No idle signature about this layer hits the path with an N inside the finding's edges...
      const k = `${f.path.probe}|${f.path.target}|${f.path.proxy}`;
      // ...and the findings on one path that no signature speaks for agree among themselves.
      const said = JSON.stringify(f.fix);
      if (perPath.has(k)) expect(said, `${f.title}`).toBe(perPath.get(k));
      else perPath.set(k, said);
    }
    // Every heartbeat said on the page is a number the fix carries, never a second one.
    for (const f of findings.filter((x) => x.fix?.kind === 'heartbeat')) {
      const said = [...f.recommendation.matchAll(/every (\d+(?:\.\d+)?) s\b/g)].map((m) => Number(m[1]) * 1000);
      expect(said.every((ms) => ms === (f.fix as { intervalMs: number }).intervalMs), f.recommendation).toBe(true);
    }
  });

  it('the corpus exercises it: findings with a heartbeat, some of them about a signature\'s layer', () => {
    expect(idleFindings).toBeGreaterThan(0);
    expect(linked).toBeGreaterThan(0);
  });
});
