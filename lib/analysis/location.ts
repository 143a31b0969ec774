/**
 * Where on the path matrix a signature lives. A layer shows itself by what the affected
 * paths share that clean paths do not: the same proxy on every target (the proxy or its
 * side), the same target through every proxy and the direct path (the target's front),
 * one probe or one label set (a region, an ISP, a carrier NAT). A clean path that differs
 * in only that one respect is the control that makes the verdict trustworthy.
 */
import type { LocationScope, PathExposure, SignatureKind } from './types';

export interface Location {
  scope: LocationScope;
  value: string | null;
  evidence: string[];
}

type Dim = { scope: LocationScope; name: string; of: (p: PathExposure) => string; sameElsewhere: (a: PathExposure, b: PathExposure) => boolean };

/** The share of a signature's drops its place must hold: stragglers of other layers are the rest. */
const CORE_SHARE = 0.9;

/**
 * The paths a cut of this kind at N can touch, and so the only ones that are a control for
 * it: an idle timeout cannot touch a canary that talks (heartbeat, echo), a rung silent for
 * less than N (ladder, bisect), nor one whose TCP keepalive may feed an L4 layer's timer
 * (keepalive rungs: lib/diagnosis/transport.ts reads those). A lifetime limit touches all.
 */
export function exposedPaths<P extends Pick<PathExposure, 'profileKind' | 'gapMs'>>(paths: readonly P[], kind: SignatureKind, nSeconds: number): P[] {
  return paths.filter(
    (p) => kind !== 'idle' || p.profileKind === null || p.profileKind === 'idle' || ((p.profileKind === 'ladder' || p.profileKind === 'bisect') && (p.gapMs ?? 0) > nSeconds * 1000),
  );
}

export function locate(paths: readonly PathExposure[], kind: SignatureKind, nSeconds: number): Location {
  // Undetermined may be a lifetime: every path is exposed then.
  const relevant = exposedPaths(paths, kind, nSeconds);
  const affected = corePaths(relevant).filter((p) => p.hits >= 0.5 * Math.max(p.reached, 1));
  // A control must have lived through N as a rule, not by the odd session that outlasted
  // whatever else cuts that path earlier.
  const clean = relevant.filter((p) => p.reached >= 2 && p.reached >= 0.2 * p.sessions && p.hits < 0.2 * p.reached);
  if (affected.length === 0) return { scope: 'everywhere', value: null, evidence: ['no path has most of its sessions cut here: scattered drops'] };

  const labelKeys = [...new Set(affected.flatMap((p) => Object.keys(p.labels)))].sort();
  const dims: Dim[] = [
    { scope: 'proxy', name: 'proxy', of: (p) => p.proxy, sameElsewhere: (a, b) => a.target === b.target },
    { scope: 'target', name: 'target', of: (p) => p.target, sameElsewhere: (a, b) => a.proxy === b.proxy },
    { scope: 'probe', name: 'probe', of: (p) => p.probe, sameElsewhere: (a, b) => a.target === b.target && a.proxy === b.proxy },
    ...labelKeys.map<Dim>((k) => ({ scope: 'label', name: k, of: (p) => `${k}=${p.labels[k] ?? '(none)'}`, sameElsewhere: (a, b) => a.target === b.target && a.proxy === b.proxy })),
    { scope: 'profile', name: 'profile', of: (p) => p.profile, sameElsewhere: (a, b) => a.probe === b.probe && a.target === b.target && a.proxy === b.proxy },
  ];

  for (const dim of dims) {
    const values = new Set(affected.map(dim.of));
    if (values.size !== 1) continue;
    const value = [...values][0]!;
    const controls = clean.filter((c) => dim.of(c) !== value && affected.some((a) => dim.sameElsewhere(a, c)));
    if (controls.length === 0) continue;
    const inside = relevant.filter((p) => dim.of(p) === value);
    const outside = relevant.filter((p) => dim.of(p) !== value);
    // Weighed by sessions, not by paths: the place cuts most of what reached N through it,
    // and far more often than elsewhere (a few stragglers outside do not make it shared).
    const rateIn = sum(inside, 'hits') / Math.max(1, sum(inside, 'reached'));
    const rateOut = sum(outside, 'hits') / Math.max(1, sum(outside, 'reached'));
    if (rateIn < 0.3 || rateIn < 3 * rateOut) continue;
    const evidence = [
      `${describeGroup(dim, value)}: ${sum(inside, 'hits')} of ${sum(inside, 'reached')} sessions that reached ${nSeconds} s were cut there, on ${countDistinct(affected, dim.scope === 'proxy' ? (p) => p.target : (p) => p.proxy)} ${dim.scope === 'proxy' ? 'target(s)' : 'proxy path(s)'}`,
      ...controlLines(controls, nSeconds),
    ];
    return { scope: dim.scope, value, evidence };
  }

  const evidence = [`${sum(affected, 'hits')} of ${sum(affected, 'reached')} sessions that reached ${nSeconds} s were cut, on ${affected.length} path(s)`];
  if (clean.length > 0) evidence.push(...controlLines(clean, nSeconds));
  else evidence.push('no exposed path escaped it: there is no control path to compare with');
  if (affected.length === 1) return { scope: 'single-path', value: describePath(affected[0]!), evidence };
  return { scope: 'everywhere', value: null, evidence };
}

/**
 * The paths that carry a signature: the fewest, most-cut first, that hold CORE_SHARE of
 * its drops. A handful of another layer's drops that happened to fall in the window (on
 * paths where one or two sessions reached N) are left out, however high their per-path
 * share: counted per path, they used to move the place to "every path".
 */
function corePaths(paths: readonly PathExposure[]): PathExposure[] {
  const hit = paths.filter((p) => p.hits > 0).sort((a, b) => b.hits - a.hits || b.hits / Math.max(1, b.reached) - a.hits / Math.max(1, a.reached));
  const total = sum(hit, 'hits');
  const out: PathExposure[] = [];
  let held = 0;
  for (const p of hit) {
    if (held >= CORE_SHARE * total && p.hits < (out.at(-1)?.hits ?? 0)) break;
    out.push(p);
    held += p.hits;
  }
  return out;
}

function controlLines(controls: readonly PathExposure[], nSeconds: number): string[] {
  const byProxy = new Map<string, PathExposure[]>();
  for (const c of controls) byProxy.set(c.proxy, [...(byProxy.get(c.proxy) ?? []), c]);
  return [...byProxy.entries()].slice(0, 4).map(([proxy, ps]) => `control: ${proxy === 'direct' ? 'the direct path' : `proxy ${proxy}`} (${[...new Set(ps.map((p) => p.target))].join(', ')}): ${sum(ps, 'hits')} of ${sum(ps, 'reached')} that reached ${nSeconds} s were cut`);
}

function describeGroup(dim: Dim, value: string): string {
  if (dim.scope === 'label') return `probes labelled ${value}`;
  if (dim.scope === 'proxy') return value === 'direct' ? 'the direct path' : `proxy ${value}`;
  return `${dim.name} ${value}`;
}

export function describePath(p: { probe: string; target: string; proxy: string; profile: string }): string {
  return `${p.probe} → ${p.proxy === 'direct' ? 'direct' : `via ${p.proxy}`} → ${p.target} (${p.profile})`;
}

const sum = (ps: readonly PathExposure[], k: 'hits' | 'reached') => ps.reduce((n, p) => n + p[k], 0);
const countDistinct = <T>(xs: readonly T[], f: (x: T) => string) => new Set(xs.map(f)).size;
