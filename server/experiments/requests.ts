/**
 * What the analysis asks probes to try (issue 18), as pure data: for every signature whose
 * fix can be tried, one experiment per kind on each of its busiest paths.
 *
 *   idle, fix heartbeat     verify     a heartbeat at the recommended interval, held for 3 × N:
 *                                      does the fix hold?
 *                           keepalive  silent for 1.5 × N (at most N + 120 s) with TCP
 *                                      keepalive every N / 3: an L4 layer (NAT, firewall)
 *                                      lets it live, an L7 proxy cuts it
 *   lifetime, fix reconnect reconnect  a heartbeat every min(25 s, N / 4) held for the
 *                                      recommended reconnect period: does the schedule hand
 *                                      over before the limit?
 *
 * Settings are whole seconds, so the profile names (`verify-hb-30s`) say them exactly.
 */
import type { ExperimentRequest } from '../../db/queries/experiments';
import { formatSeconds } from '../../lib/analysis/stats';
import type { Signature } from '../../lib/analysis/types';

/** An experiment request before the probe's name is resolved to its id. */
export type ExperimentWish = Omit<ExperimentRequest, 'probeId'> & { probe: string };

/** Paths (probe × target × proxy) asked per signature: the ones with the most hits. */
export const MAX_PATHS_PER_SIGNATURE = 5;
/** Below this N there is nothing a heartbeat or a keepalive could be tuned to. */
export const MIN_N_MS = 1000;
/**
 * Above this N no experiment is asked: the recommended heartbeat would pass the plan's 1 h
 * ceiling on an interval, and a verification (3 × N) would run for most of a day.
 */
export const MAX_N_MS = 2 * 3_600_000;
/** An experiment that concludes nothing runs 6 × its hold (or gap), and never less than this. */
export const MIN_RUN_MS = 30 * 60_000;
/** A keepalive rung is silent 1.5 × N, but never more than this past N. */
export const KEEPALIVE_PAST_N_MS = 120_000;

type SignatureFacts = Pick<Signature, 'key' | 'nMs' | 'kind' | 'fix' | 'paths'>;
interface PathHits {
  probe: string;
  target: string;
  proxy: string;
  hits: number;
}

const S = 1000;
const seconds = (ms: number) => `${ms / S}s`;

/** The signature's paths with hits, summed over profiles, busiest first (names break ties), at most MAX_PATHS_PER_SIGNATURE. */
export function busiestPaths(sig: Pick<Signature, 'paths'>): PathHits[] {
  const byPath = new Map<string, PathHits>();
  for (const p of sig.paths) {
    if (p.hits <= 0) continue;
    const key = `${p.probe}|${p.target}|${p.proxy}`;
    const have = byPath.get(key) ?? { probe: p.probe, target: p.target, proxy: p.proxy, hits: 0 };
    have.hits += p.hits;
    byPath.set(key, have);
  }
  const name = (p: PathHits) => `${p.probe}|${p.target}|${p.proxy}`;
  return [...byPath.values()].sort((a, b) => b.hits - a.hits || (name(a) < name(b) ? -1 : 1)).slice(0, MAX_PATHS_PER_SIGNATURE);
}

function where(p: PathHits): Pick<ExperimentWish, 'probe' | 'target' | 'proxy'> {
  return { probe: p.probe, target: p.target, proxy: p.proxy };
}

function signatureOf(sig: SignatureFacts): ExperimentRequest['signature'] {
  return { key: sig.key, nMs: sig.nMs, kind: sig.kind };
}

/** A heartbeat at the fix's interval, held 3 × N (whole seconds, rounded up). */
export function verifyWish(sig: SignatureFacts, path: PathHits, intervalMs: number): ExperimentWish {
  const holdMs = Math.ceil((3 * sig.nMs) / S) * S;
  return {
    ...where(path),
    kind: 'verify',
    profile: { name: `verify-hb-${seconds(intervalMs)}`, kind: 'heartbeat', interval: intervalMs, timeout: Math.min(10 * S, intervalMs), hold: holdMs },
    canaries: 1,
    purpose: `verify the recommended ${intervalMs / S} s heartbeat against the ${formatSeconds(sig.nMs / S)} idle cut: held for 3 × N (${holdMs / S} s)`,
    signature: signatureOf(sig),
    expiresAfterMs: Math.max(6 * holdMs, MIN_RUN_MS),
  };
}

/** Silent 1.5 × N (at most N + 120 s) with TCP keepalive every N / 3 (at least 1 s), whole seconds. */
export function keepaliveWish(sig: SignatureFacts, path: PathHits): ExperimentWish {
  const gapMs = Math.min(Math.round((1.5 * sig.nMs) / S) * S, Math.floor((sig.nMs + KEEPALIVE_PAST_N_MS) / S) * S);
  const keepaliveMs = Math.max(S, Math.floor(sig.nMs / 3 / S) * S);
  return {
    ...where(path),
    kind: 'keepalive',
    profile: { name: `keepalive-${seconds(keepaliveMs)}`, kind: 'keepalive', gap: gapMs, keepalive: keepaliveMs, timeout: 10 * S },
    canaries: 1,
    purpose: `L4 or L7: silent ${gapMs / S} s, past the ${formatSeconds(sig.nMs / S)} idle cut, with TCP keepalive every ${keepaliveMs / S} s`,
    signature: signatureOf(sig),
    expiresAfterMs: Math.max(6 * gapMs, MIN_RUN_MS),
  };
}

/** A heartbeat every min(25 s, N / 4) (whole seconds, at least 1 s), held for the fix's reconnect period. */
export function reconnectWish(sig: SignatureFacts, path: PathHits, everyMs: number): ExperimentWish {
  const intervalMs = Math.max(S, Math.floor(Math.min(25 * S, sig.nMs / 4) / S) * S);
  return {
    ...where(path),
    kind: 'reconnect',
    profile: { name: `reconnect-${seconds(everyMs)}`, kind: 'heartbeat', interval: intervalMs, timeout: Math.min(10 * S, intervalMs), hold: everyMs },
    canaries: 1,
    purpose: `verify that reconnecting every ${everyMs / S} s hands over before the ${formatSeconds(sig.nMs / S)} lifetime limit`,
    signature: signatureOf(sig),
    expiresAfterMs: Math.max(6 * everyMs, MIN_RUN_MS),
  };
}

/**
 * The experiments `signatures` ask for. Where two signatures ask the same kind on the same
 * path, the smaller N wins: that cut comes first, so it is the one a fix must beat.
 */
export function experimentWishes(signatures: readonly SignatureFacts[]): ExperimentWish[] {
  const chosen = new Map<string, ExperimentWish>();
  const offer = (w: ExperimentWish) => {
    const key = `${w.probe}|${w.target}|${w.proxy}|${w.kind}`;
    const have = chosen.get(key);
    if (!have || w.signature.nMs < have.signature.nMs) chosen.set(key, w);
  };
  for (const sig of signatures) {
    if (sig.nMs < MIN_N_MS || sig.nMs > MAX_N_MS) continue;
    const fix = sig.fix;
    for (const path of busiestPaths(sig)) {
      if (sig.kind === 'idle' && fix.kind === 'heartbeat') {
        offer(verifyWish(sig, path, fix.intervalMs));
        offer(keepaliveWish(sig, path));
      } else if (sig.kind === 'lifetime' && fix.kind === 'reconnect') {
        offer(reconnectWish(sig, path, fix.everyMs));
      }
    }
  }
  return [...chosen.values()];
}
