/**
 * The analysis' findings that read sessions by the hundred thousand (silent deaths, ladder
 * rungs, egress rotation, RTT before drops), on the in-memory columns. Same answers as
 * db/queries/findings.ts over the tables (test/db/recent.test.ts); the comments there say
 * what each one counts and why.
 */
import type { EgressStat, LadderRung, RttBeforeDrops, SilentGroup } from '../analysis/findings';
import { NO_CODE, PONG_TIMEOUT, PROBE_CLOSED, type RecentSessions } from './sessions';
import type { RecentRtt } from './rtt';
import { pathMask, rttPathMask, type ProbeRef, type RecentScope } from './scope';

const MINUTE_MS = 60_000;
const NEAR_MS = 5_000;

function nameOf(probes: readonly ProbeRef[]): (id: number) => string {
  const names = new Map(probes.map((p) => [p.id, p.name]));
  return (id) => names.get(id) ?? String(id);
}

/** percentile_cont(0.5) of the values: the mean of the middle two when their number is even. */
function median(values: number[]): number | null {
  if (values.length === 0) return null;
  values.sort((a, b) => a - b);
  const pos = (values.length - 1) / 2;
  const lo = Math.floor(pos);
  return values[lo]! + (pos - lo) * (values[Math.ceil(pos)]! - values[lo]!);
}

export function silentGroups(store: RecentSessions, scope: RecentScope, probes: readonly ProbeRef[]): SilentGroup[] {
  const mask = pathMask(store.paths.values, scope, probes);
  const name = nameOf(probes);
  const from = scope.from.getTime();
  const to = scope.to.getTime();
  const groups = new Map<string, { probe: string; target: string; proxy: string; count: number; quiet: number[] }>();
  store.eachBlock(from, to, (b, whole) => {
    for (let i = 0; i < b.length; i++) {
      if (b.endKind[i] !== PONG_TIMEOUT || mask[b.path[i]!] !== 1) continue;
      if (!whole && !(b.endedAt[i]! >= from && b.endedAt[i]! < to)) continue;
      const p = store.paths.values[b.path[i]!]!;
      const probe = name(p.probeId);
      const key = `${probe}\u0000${p.target}\u0000${p.proxy}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { probe, target: p.target, proxy: p.proxy, count: 0, quiet: [] }));
      g.count++;
      if (!Number.isNaN(b.sinceLastRecv[i]!)) g.quiet.push(b.sinceLastRecv[i]!);
    }
  });
  return [...groups.values()].map((g) => ({ probe: g.probe, target: g.target, proxy: g.proxy, count: g.count, medianQuietMs: median(g.quiet) as number }));
}

export function ladderRungs(store: RecentSessions, scope: RecentScope, probes: readonly ProbeRef[]): LadderRung[] {
  const mask = pathMask(store.paths.values, scope, probes);
  store.paths.values.forEach((p, i) => {
    if (p.profileKind !== 'ladder' || p.gapMs === null) mask[i] = 0;
  });
  const name = nameOf(probes);
  const from = scope.from.getTime();
  const to = scope.to.getTime();
  const rungs = new Map<string, LadderRung>();
  store.eachBlock(from, to, (b, whole) => {
    for (let i = 0; i < b.length; i++) {
      if (mask[b.path[i]!] !== 1) continue;
      if (!whole && !(b.endedAt[i]! >= from && b.endedAt[i]! < to)) continue;
      const p = store.paths.values[b.path[i]!]!;
      const probe = name(p.probeId);
      const key = `${probe}\u0000${p.target}\u0000${p.proxy}\u0000${p.gapMs}`;
      let r = rungs.get(key);
      if (!r) rungs.set(key, (r = { probe, target: p.target, proxy: p.proxy, gapMs: p.gapMs!, survived: 0, died: 0 }));
      if (b.endKind[i] !== PROBE_CLOSED) r.died++;
      else if (b.ladderSurvived[i] === 1) r.survived++;
    }
  });
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...rungs.values()].sort((a, b) => cmp(a.probe, b.probe) || cmp(a.target, b.target) || cmp(a.proxy, b.proxy) || a.gapMs - b.gapMs);
}

/** An opening: a session's open instant, its egress address, and its end if it dropped. */
interface Opening {
  at: number;
  egress: number;
  inScope: boolean;
  /** The end instant of a drop in scope, else NaN. */
  droppedAt: number;
}

/** One address seen, or more than one. */
class Addresses {
  first = NO_CODE;
  mixed = false;
  add(egress: number): void {
    if (this.first === NO_CODE) this.first = egress;
    else if (egress !== this.first) this.mixed = true;
  }
  union(other: Addresses): boolean {
    return this.mixed || other.mixed || (this.first !== NO_CODE && other.first !== NO_CODE && this.first !== other.first);
  }
}

/**
 * Egress address changes per probe × proxy, and the drops that ended within 5 s of an
 * opening of the same probe × proxy with another address than the drop's own.
 *
 * Three passes over the openings from 5 s before the scope on, none allocating per
 * session: each pair's counts and addresses; the addresses of openings after the scope up
 * to 5 s past the pair's last drop (a drop may end long after the scope); then, only for
 * the pairs that show more than one address, their openings, to be ordered in time.
 */
export function egressStats(store: RecentSessions, scope: RecentScope, probes: readonly ProbeRef[]): EgressStat[] {
  const from = scope.from.getTime();
  const to = scope.to.getTime();
  const aroundFrom = from - NEAR_MS;
  const aroundTo = to + NEAR_MS;
  const paths = store.paths.values;
  const inScopeMask = pathMask(paths, scope, probes);
  // Openings near a drop may be to any target and of any profile.
  const pairMask = pathMask(paths, { ...scope, target: undefined, profile: undefined }, probes);
  const pairOf = new Map<string, number>();
  const pairs: { probeId: number; proxy: string; n: number; drops: number; lastDrop: number; scoped: Addresses; around: Addresses; later: Addresses; upTo: number }[] = [];
  const pathPair = Int32Array.from(paths, (p) => {
    const key = `${p.probeId}\u0000${p.proxy}`;
    let k = pairOf.get(key);
    if (k === undefined) {
      pairOf.set(key, (k = pairs.length));
      pairs.push({ probeId: p.probeId, proxy: p.proxy, n: 0, drops: 0, lastDrop: -Infinity, scoped: new Addresses(), around: new Addresses(), later: new Addresses(), upTo: aroundTo });
    }
    return k;
  });

  /** Every opening with an address from aroundFrom on: (pair, path, opened, egress, end kind, end). */
  const eachOpening = (visit: (pair: number, path: number, openedAt: number, egress: number, endKind: number, endedAt: number) => void) => {
    store.eachBlock(aroundFrom, Infinity, (b) => {
      for (let i = 0; i < b.length; i++) {
        const path = b.path[i]!;
        const egress = b.egress[i]!;
        if (egress === NO_CODE || pairMask[path] !== 1 || !(b.openedAt[i]! >= aroundFrom)) continue;
        visit(pathPair[path]!, path, b.openedAt[i]!, egress, b.endKind[i]!, b.endedAt[i]!);
      }
    });
    for (const live of store.live.values()) {
      if (live.egress === NO_CODE || pairMask[live.path] !== 1 || !(live.openedAt >= aroundFrom)) continue;
      visit(pathPair[live.path]!, live.path, live.openedAt, live.egress, NO_CODE, NaN);
    }
  };
  const inScope = (path: number, openedAt: number) => openedAt >= from && openedAt < to && inScopeMask[path] === 1;
  const isDrop = (endKind: number) => endKind !== NO_CODE && endKind !== PROBE_CLOSED;

  eachOpening((k, path, openedAt, egress, endKind, endedAt) => {
    if (openedAt >= aroundTo) return;
    const p = pairs[k]!;
    p.around.add(egress);
    if (!inScope(path, openedAt)) return;
    p.n++;
    p.scoped.add(egress);
    if (isDrop(endKind)) {
      p.drops++;
      p.lastDrop = Math.max(p.lastDrop, endedAt);
    }
  });
  for (const p of pairs) p.upTo = Math.max(aroundTo, p.lastDrop + NEAR_MS + 1);
  eachOpening((k, _path, openedAt, egress) => {
    const p = pairs[k]!;
    if (p.n > 0 && openedAt >= aroundTo && openedAt < p.upTo) p.later.add(egress);
  });
  const mixed = pairs.map((p) => p.n > 0 && (p.scoped.mixed || (p.drops > 0 && p.around.union(p.later))));
  const openings = pairs.map((_p, k): Opening[] | null => (mixed[k] ? [] : null));
  eachOpening((k, path, openedAt, egress, endKind, endedAt) => {
    const list = openings[k];
    if (!list || !(openedAt < pairs[k]!.upTo)) return;
    const scoped = inScope(path, openedAt);
    list.push({ at: openedAt, egress, inScope: scoped, droppedAt: scoped && isDrop(endKind) ? endedAt : NaN });
  });

  const name = nameOf(probes);
  return pairs.flatMap((p, k) => {
    if (p.n === 0) return [];
    const stat: EgressStat = { probe: name(p.probeId), proxy: p.proxy, addresses: 1, changes: 0, drops: p.drops, dropsNearChange: 0 };
    const list = openings[k];
    return [list ? { ...stat, ...orderedDetail(list) } : stat];
  });
}

/** Addresses and changes over the scope's openings in time, and the drops near an opening with another address. */
function orderedDetail(list: Opening[]): Pick<EgressStat, 'addresses' | 'changes' | 'dropsNearChange'> {
  list.sort((a, b) => a.at - b.at);
  const distinct = new Set<number>();
  let changes = 0;
  let previous = NO_CODE;
  for (const o of list) {
    if (!o.inScope) continue;
    distinct.add(o.egress);
    if (previous !== NO_CODE && o.egress !== previous) changes++;
    previous = o.egress;
  }
  let near = 0;
  for (const d of list) {
    if (Number.isNaN(d.droppedAt)) continue;
    // First opening at or after the frame's start, then every one up to its end (both ends in).
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.at < d.droppedAt - NEAR_MS) lo = mid + 1;
      else hi = mid;
    }
    for (let j = lo; j < list.length && list[j]!.at <= d.droppedAt + NEAR_MS; j++) {
      if (list[j]!.egress !== d.egress) {
        near++;
        break;
      }
    }
  }
  return { addresses: Math.max(1, distinct.size), changes, dropsNearChange: near };
}

/**
 * Per target × proxy: the mean RTT over the scope, and over the RTT minutes m that a drop
 * of the path ended in [m, m + 5 min] after. Minutes are slots of typed arrays over
 * [from − 5 min, to), one set per target × proxy: a week of drops marks its minutes
 * without a set or map entry per drop.
 */
export function rttBeforeDrops(sessions: RecentSessions, rtt: RecentRtt, scope: RecentScope, probes: readonly ProbeRef[]): RttBeforeDrops[] {
  const from = scope.from.getTime();
  const to = scope.to.getTime();
  const first = Math.floor((from - 5 * MINUTE_MS) / MINUTE_MS);
  const slots = Math.max(0, Math.ceil(to / MINUTE_MS) - first);
  const rttMask = rttPathMask(rtt.paths.values, scope, probes);
  const keyOf = new Map<string, number>();
  const keys: { target: string; proxy: string; sum: Float64Array; n: Float64Array; covered: Uint8Array; drops: number }[] = [];
  const rttKey = Int32Array.from(rtt.paths.values, (p) => {
    const key = `${p.target}\u0000${p.proxy}`;
    let k = keyOf.get(key);
    if (k === undefined) {
      keyOf.set(key, (k = keys.length));
      keys.push({ target: p.target, proxy: p.proxy, sum: new Float64Array(0), n: new Float64Array(0), covered: new Uint8Array(0), drops: 0 });
    }
    return k;
  });
  let pinged = false;
  rtt.eachBlock(from - 5 * MINUTE_MS, to, (b) => {
    for (let i = 0; i < b.length; i++) {
      const m = b.minute[i]!;
      if (rttMask[b.path[i]!] !== 1 || !(m >= from - 5 * MINUTE_MS && m < to)) continue;
      if (m >= from) pinged = true;
      const key = keys[rttKey[b.path[i]!]!]!;
      if (key.sum.length === 0) {
        key.sum = new Float64Array(slots);
        key.n = new Float64Array(slots);
        key.covered = new Uint8Array(slots);
      }
      const slot = Math.floor(m / MINUTE_MS) - first;
      key.sum[slot]! += b.sum[i]!;
      key.n[slot]! += b.count[i]!;
    }
  });
  if (!pinged) return [];

  const mask = pathMask(sessions.paths.values, scope, probes);
  // Each session path's target × proxy among the RTT keys (-1: none pinged in scope).
  const sessionKey = Int32Array.from(sessions.paths.values, (p) => {
    const k = keyOf.get(`${p.target}\u0000${p.proxy}`);
    return k !== undefined && keys[k]!.sum.length > 0 ? k : -1;
  });
  sessions.eachBlock(from, to, (b, whole) => {
    for (let i = 0; i < b.length; i++) {
      const k = sessionKey[b.path[i]!]!;
      if (k < 0 || b.endKind[i] === PROBE_CLOSED || mask[b.path[i]!] !== 1) continue;
      const end = b.endedAt[i]!;
      if (!whole && !(end >= from && end < to)) continue;
      const key = keys[k]!;
      key.drops++;
      const minute = Math.floor(end / MINUTE_MS);
      // The drop's minute and the 4 before it; a 5th when it ended exactly on the minute.
      const back = end === minute * MINUTE_MS ? 5 : 4;
      for (let j = Math.max(0, minute - first - back); j <= minute - first; j++) key.covered[j] = 1;
    }
  });

  // RTT minutes are whole minutes: those at or after an unaligned `from` start at the next.
  const fromSlot = Math.ceil(from / MINUTE_MS) - first;
  const out: RttBeforeDrops[] = [];
  for (const key of keys) {
    if (key.sum.length === 0) continue;
    let baseSum = 0;
    let baseN = 0;
    let beforeSum = 0;
    let beforeN = 0;
    for (let j = 0; j < slots; j++) {
      if (j >= fromSlot) {
        baseSum += key.sum[j]!;
        baseN += key.n[j]!;
      }
      if (key.covered[j] === 1) {
        beforeSum += key.sum[j]!;
        beforeN += key.n[j]!;
      }
    }
    if (!(baseN > 0)) continue;
    out.push({ target: key.target, proxy: key.proxy, baselineMs: baseSum / baseN, baselineSamples: baseN, beforeMs: beforeN ? beforeSum / beforeN : 0, beforeSamples: beforeN, drops: key.drops });
  }
  return out;
}
