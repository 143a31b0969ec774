/**
 * Synthetic drop mixtures with known answers: signatures planted on chosen paths with
 * jitter, survivors on the control paths, and a background of random drops.
 */
import type { EndKind, ProfileKind } from '../../../lib/contracts/ingest';
import type { SessionSample } from '../../../lib/analysis/analyze';

export { rng } from '../../../bench/attribution/rng';
import { rng } from '../../../bench/attribution/rng';

const gauss = (r: () => number) => Math.sqrt(-2 * Math.log(r() || 1e-12)) * Math.cos(2 * Math.PI * r());

export interface Path {
  probe: string;
  region: string;
  target: string;
  proxy: string;
  profile: 'idle' | 'hb';
}

export const PROBES = [
  { probe: 'edge-fra-1', region: 'eu' },
  { probe: 'edge-nyc-1', region: 'us' },
];
export const TARGETS = ['api', 'chat'];
export const PROXIES = ['direct', 'squid', 'mobile-de'];

export function allPaths(): Path[] {
  const out: Path[] = [];
  for (const p of PROBES) for (const target of TARGETS) for (const proxy of PROXIES) for (const profile of ['idle', 'hb'] as const) out.push({ ...p, target, proxy, profile });
  return out;
}

export interface Plant {
  nS: number;
  kind: 'idle' | 'lifetime';
  /** Which paths it cuts. */
  applies: (p: Path) => boolean;
  ending: EndKind;
  expect: { scope: string; value: string | null };
  headers?: Record<string, string>;
}

let seq = 0;
/** `talkPhase` in [0, 1): where in its 25 s heartbeat cycle a talking canary was when it ended. */
function session(p: Path, ageMs: number, dropped: boolean, endKind: EndKind, talkPhase: number, extra: Partial<SessionSample> = {}): SessionSample {
  const talks = p.profile === 'hb';
  return {
    id: `s${++seq}`,
    probe: p.probe,
    labels: { region: p.region },
    target: p.target,
    proxy: p.proxy,
    proxyKind: p.proxy === 'direct' ? 'direct' : p.proxy === 'squid' ? 'http' : 'socks5',
    profile: p.profile,
    profileKind: (talks ? 'heartbeat' : 'idle') as ProfileKind,
    gapMs: null,
    ageMs,
    idleMs: endKind === 'pong_timeout' ? null : talks ? Math.min(ageMs, talkPhase * 25_000) : ageMs,
    endKind,
    closeCode: endKind === 'close_frame' ? 1001 : 1006,
    endedAt: Date.parse('2026-11-20T00:00:00Z') + seq * 1000,
    headers: {},
    egress: null,
    targetView: null,
    dropped,
    ...extra,
  };
}

/**
 * Every path holds `perPath` sessions. A session on a path some plant cuts dies at the
 * smallest such N (with jitter); the others survive past every N. Then `background`
 * random drops (exponential ages) are added on random paths.
 */
export function mixture(plants: readonly Plant[], options: { seed: number; perPath: number; background: number; jitterMs: number }): SessionSample[] {
  const r = rng(options.seed);
  const out: SessionSample[] = [];
  for (const p of allPaths()) {
    const cutBy = plants.filter((pl) => pl.applies(p) && (pl.kind === 'lifetime' || p.profile === 'idle')).sort((a, b) => a.nS - b.nS)[0];
    for (let i = 0; i < options.perPath; i++) {
      if (cutBy) {
        const age = cutBy.nS * 1000 + gauss(r) * options.jitterMs;
        out.push(session(p, age, true, cutBy.ending, r(), { headers: cutBy.headers ?? {} }));
      } else {
        out.push(session(p, 400_000 + r() * 3_000_000, false, 'probe_closed', r()));
      }
    }
  }
  const paths = allPaths();
  for (let i = 0; i < options.background; i++) {
    const p = paths[Math.floor(r() * paths.length)]!;
    const age = -Math.log(1 - r()) * 300_000;
    out.push(session(p, age, true, r() < 0.5 ? 'tcp_reset' : 'tcp_fin', r()));
  }
  return out;
}

export function shuffle<T>(xs: readonly T[], seed: number): T[] {
  const r = rng(seed);
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** 55, 60, 100 and 350 s at once, on different parts of the matrix, idle and lifetime. */
export const PLANTS: Plant[] = [
  { nS: 100, kind: 'idle', applies: (p) => p.proxy === 'mobile-de', ending: 'tcp_fin', expect: { scope: 'proxy', value: 'mobile-de' }, headers: {} },
  { nS: 55, kind: 'idle', applies: (p) => p.target === 'chat' && p.proxy !== 'mobile-de', ending: 'tcp_fin', expect: { scope: 'target', value: 'chat' }, headers: { via: '1.1 vegur' } },
  { nS: 60, kind: 'lifetime', applies: (p) => p.target === 'api' && p.proxy === 'squid', ending: 'tcp_fin', expect: { scope: 'single', value: null } },
  { nS: 350, kind: 'idle', applies: (p) => p.region === 'us' && p.proxy === 'direct' && p.target === 'api', ending: 'pong_timeout', expect: { scope: 'probe', value: 'edge-nyc-1' } },
];
