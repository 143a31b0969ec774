/**
 * Idle or lifetime? An idle timeout follows silence: the drops were silent for N before
 * they died whatever their age, and canaries that talk (heartbeat, echo) on the same paths
 * outlive N. A lifetime limit follows age: talking canaries die at N too.
 */
import { formatSeconds } from './stats';
import type { Drop, PathExposure, SignatureKind } from './types';

export function decideKind(
  dimension: 'age' | 'idle',
  nMs: number,
  halfWidthMs: number,
  members: readonly Drop[],
  paths: readonly PathExposure[],
): { kind: SignatureKind; evidence: string[] } {
  const evidence: string[] = [];
  // A canary that talked shortly before it died; a heartbeat that died silently at a fixed
  // age talked too: it had pongs until then (an age is known only when bytes came after the
  // 101), so its death follows age even though it has no idle time.
  const talkers = members.filter((d) => (d.idleMs !== null && d.idleMs < nMs / 2) || (d.endKind === 'pong_timeout' && d.ageMs !== null && (d.profileKind === 'heartbeat' || d.profileKind === 'echo')));
  const silentAtN = members.filter((d) => d.idleMs !== null && Math.abs(d.idleMs - nMs) <= 2 * halfWidthMs);
  const ageVaries = members.filter((d) => d.ageMs !== null && Math.abs(d.ageMs - nMs) > 4 * halfWidthMs);
  const affected = new Set(members.map((d) => pathId(d)));
  // Talking canaries on the same target and proxy that outlived N.
  const survivors = paths.filter(
    (p) => (p.profileKind === 'heartbeat' || p.profileKind === 'echo') && p.outlived > 0 && [...affected].some((a) => a.startsWith(`${p.probe}|${p.target}|${p.proxy}|`)),
  );
  const survived = survivors.reduce((n, p) => n + p.outlived, 0);
  // A rung shorter than N survives only if its canaries did: one that died nearly every
  // time (at another layer's cut, or closed by a paused target) is no evidence of idle.
  const ladderAlive = paths.filter((p) => isRung(p) && p.gapMs !== null && p.gapMs < nMs && p.sessions > 0 && p.hits === 0 && p.drops <= p.sessions / 4);
  const ladderDead = paths.filter((p) => isRung(p) && p.gapMs !== null && p.gapMs > nMs && p.hits > 0);

  if (talkers.length >= Math.max(2, 0.2 * members.length)) {
    evidence.push(`${talkers.length} of ${members.length} drops had traffic in the last ${formatSeconds(nMs / 2000)} (or were heartbeats answered until they died) and still died at N: the cut follows age, not silence`);
    if (survived === 0) evidence.push('no heartbeat canary on these paths outlived N');
    return { kind: 'lifetime', evidence };
  }
  if (dimension === 'idle' && ageVaries.length > 0) {
    evidence.push(`idle time before the drop is tight around N while the age varies (${ageVaries.length} drops were older)`);
  }
  if (survived > 0) evidence.push(`${survived} heartbeat or echo session${survived === 1 ? '' : 's'} on the same paths outlived N`);
  if (ladderAlive.length > 0 || ladderDead.length > 0) {
    const alive = ladderAlive.map((p) => p.gapMs! / 1000).sort((a, b) => a - b);
    const dead = ladderDead.map((p) => p.gapMs! / 1000).sort((a, b) => a - b);
    evidence.push(`ladder: ${alive.length ? `survives ${Math.max(...alive)} s idle` : ''}${alive.length && dead.length ? ', ' : ''}${dead.length ? `dies by ${Math.min(...dead)} s` : ''}`);
  }
  if (silentAtN.length >= 0.8 * members.length) evidence.push(`${silentAtN.length} of ${members.length} drops were silent both ways for N before the end`);
  const confirmed = survived > 0 || ladderAlive.length + ladderDead.length > 0 || (dimension === 'idle' && ageVaries.length > 0);
  if (confirmed) return { kind: 'idle', evidence };
  evidence.push('only silent canaries were cut and none that talk was on these paths: add a heartbeat canary to tell idle from lifetime');
  return { kind: 'undetermined', evidence };
}

/**
 * The kind of a window none of whose drops can be read any more (their raw sessions are past
 * retention), from the per-path counts alone: drops of canaries that talk (heartbeat, echo)
 * in the window make it a lifetime, as talkers among the members do; talking canaries on the
 * cut paths that outlived N, or a ladder, make it idle; a window found in the idle histogram
 * and not in the age one is idle too (its drops had varied ages, as `ageVaries` reads them).
 */
export function decideKindFromPaths(dimension: 'age' | 'idle', nMs: number, count: number, paths: readonly PathExposure[]): { kind: SignatureKind; evidence: string[] } {
  const evidence: string[] = ['its drops are past raw retention: the kind is read from the per-path counts of the aggregates, not from the drops themselves'];
  const talking = (p: PathExposure) => p.profileKind === 'heartbeat' || p.profileKind === 'echo';
  const talkerHits = paths.filter(talking).reduce((n, p) => n + p.hits, 0);
  if (talkerHits >= Math.max(2, 0.2 * count)) {
    evidence.push(`${talkerHits} of ${count} drops were of heartbeat or echo canaries, which talk, and still died at N: the cut follows age, not silence`);
    return { kind: 'lifetime', evidence };
  }
  const cut = new Set(paths.filter((p) => p.hits > 0).map((p) => `${p.probe}|${p.target}|${p.proxy}`));
  const survived = paths.filter((p) => talking(p) && p.outlived > 0 && cut.has(`${p.probe}|${p.target}|${p.proxy}`)).reduce((n, p) => n + p.outlived, 0);
  const ladder = paths.some((p) => isRung(p) && p.gapMs !== null && ((p.gapMs < nMs && p.sessions > 0 && p.hits === 0 && p.drops <= p.sessions / 4) || (p.gapMs > nMs && p.hits > 0)));
  if (survived > 0) evidence.push(`${survived} heartbeat or echo session${survived === 1 ? '' : 's'} on the same paths outlived N`);
  if (ladder) evidence.push('the ladder canaries on these paths bracket N');
  if (dimension === 'idle') evidence.push('found in the idle times before the drops and not in their ages');
  if (survived > 0 || ladder || dimension === 'idle') return { kind: 'idle', evidence };
  evidence.push('only silent canaries were cut and none that talk was on these paths: add a heartbeat canary to tell idle from lifetime');
  return { kind: 'undetermined', evidence };
}

/**
 * A rung silent for its gap, then one ping: the ladder's, or the adaptive ladder's (bisect,
 * issue 18), whose gaps bracket N the same way. A keepalive rung is not one: its TCP
 * keepalive may keep an L4 layer's timer from firing (lib/diagnosis/transport.ts).
 */
function isRung(p: Pick<PathExposure, 'profileKind'>): boolean {
  return p.profileKind === 'ladder' || p.profileKind === 'bisect';
}

export function pathId(p: { probe: string; target: string; proxy: string; profile: string }): string {
  return `${p.probe}|${p.target}|${p.proxy}|${p.profile}`;
}
