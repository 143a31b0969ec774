/**
 * The analysis' findings that read sessions by the hundred thousand (silent deaths, ladder
 * rungs, egress rotation, RTT before drops), on the in-memory columns. Same answers as
 * db/queries/findings.ts over the tables (test/db/recent.test.ts); the comments there say
 * what each one counts and why.
 */
import type { EgressStat, LadderRung, RttBeforeDrops, SilentGroup } from '../analysis/findings';
import { NO_CODE, PONG_TIMEOUT, PROBE_CLOSED, type PathInfo, type RecentSessions } from './sessions';
import type { RecentRtt } from './rtt';
import { pathMask, rttPathMask, type ProbeRef, type RecentScope } from './scope';

const MINUTE_MS = 60_000;
// Local copies of the store's codes: a bundler may turn an imported binding into a getter
// call per read, in loops over a million rows.
const none = NO_CODE;
const probeClosed = PROBE_CLOSED;
const pongTimeout = PONG_TIMEOUT;
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

/**
 * Each path's group among `groups` by `keyOf` (-1 where `include` is false): rows then
 * find their group with one array read instead of building a key per row.
 */
function groupPaths<G>(paths: readonly PathInfo[], include: (p: PathInfo, i: number) => boolean, keyOf: (p: PathInfo) => string, make: (p: PathInfo) => G): { groups: G[]; groupOf: Int32Array } {
  const index = new Map<string, number>();
  const groups: G[] = [];
  const groupOf = Int32Array.from(paths, (p, i) => {
    if (!include(p, i)) return -1;
    const key = keyOf(p);
    let g = index.get(key);
    if (g === undefined) {
      index.set(key, (g = groups.length));
      groups.push(make(p));
    }
    return g;
  });
  return { groups, groupOf };
}

export function silentGroups(store: RecentSessions, scope: RecentScope, probes: readonly ProbeRef[]): SilentGroup[] {
  const mask = pathMask(store.paths.values, scope, probes);
  const name = nameOf(probes);
  const from = scope.from.getTime();
  const to = scope.to.getTime();
  const { groups, groupOf } = groupPaths(
    store.paths.values,
    (_p, i) => mask[i] === 1,
    (p) => `${name(p.probeId)}\u0000${p.target}\u0000${p.proxy}`,
    (p) => ({ probe: name(p.probeId), target: p.target, proxy: p.proxy, count: 0, quiet: [] as number[] }),
  );
  store.eachBlock(from, to, (b, whole) => {
    const { path, endKind, endedAt, sinceLastRecv } = b;
    for (let i = 0; i < b.length; i++) {
      if (endKind[i] !== pongTimeout) continue;
      const g = groupOf[path[i]!]!;
      if (g < 0 || (!whole && !(endedAt[i]! >= from && endedAt[i]! < to))) continue;
      groups[g]!.count++;
      if (sinceLastRecv[i] === sinceLastRecv[i]) groups[g]!.quiet.push(sinceLastRecv[i]!);
    }
  });
  return groups.filter((g) => g.count > 0).map((g) => ({ probe: g.probe, target: g.target, proxy: g.proxy, count: g.count, medianQuietMs: median(g.quiet) as number }));
}

export function ladderRungs(store: RecentSessions, scope: RecentScope, probes: readonly ProbeRef[]): LadderRung[] {
  const mask = pathMask(store.paths.values, scope, probes);
  const name = nameOf(probes);
  const from = scope.from.getTime();
  const to = scope.to.getTime();
  const { groups, groupOf } = groupPaths(
    store.paths.values,
    (p, i) => mask[i] === 1 && p.profileKind === 'ladder' && p.gapMs !== null,
    (p) => `${name(p.probeId)}\u0000${p.target}\u0000${p.proxy}\u0000${p.gapMs}`,
    (p) => ({ rung: { probe: name(p.probeId), target: p.target, proxy: p.proxy, gapMs: p.gapMs!, survived: 0, died: 0 }, seen: false }),
  );
  store.eachBlock(from, to, (b, whole) => {
    const { path, endKind, endedAt, ladderSurvived } = b;
    for (let i = 0; i < b.length; i++) {
      const g = groupOf[path[i]!]!;
      if (g < 0 || (!whole && !(endedAt[i]! >= from && endedAt[i]! < to))) continue;
      const r = groups[g]!;
      r.seen = true;
      if (endKind[i] !== probeClosed) r.rung.died++;
      else if (ladderSurvived[i] === 1) r.rung.survived++;
    }
  });
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return groups
    .filter((g) => g.seen)
    .map((g) => g.rung)
    .sort((a, b) => cmp(a.probe, b.probe) || cmp(a.target, b.target) || cmp(a.proxy, b.proxy) || a.gapMs - b.gapMs);
}

/** A pair's openings, as columns: open instant, address, in scope, and the end instant of a drop in scope (else NaN). */
class Openings {
  length = 0;
  at = new Float64Array(64);
  egress = new Int32Array(64);
  inScope = new Uint8Array(64);
  droppedAt = new Float64Array(64);

  push(at: number, egress: number, inScope: boolean, droppedAt: number): void {
    if (this.length === this.at.length) {
      const size = this.length * 2;
      const at2 = new Float64Array(size);
      at2.set(this.at);
      const e2 = new Int32Array(size);
      e2.set(this.egress);
      const s2 = new Uint8Array(size);
      s2.set(this.inScope);
      const d2 = new Float64Array(size);
      d2.set(this.droppedAt);
      [this.at, this.egress, this.inScope, this.droppedAt] = [at2, e2, s2, d2];
    }
    const i = this.length++;
    this.at[i] = at;
    this.egress[i] = egress;
    this.inScope[i] = inScope ? 1 : 0;
    this.droppedAt[i] = droppedAt;
  }
}

/** One address seen, or more than one. */
class Addresses {
  first = none;
  mixed = false;
  add(egress: number): void {
    if (this.first === none) this.first = egress;
    else if (egress !== this.first) this.mixed = true;
  }
  union(other: Addresses): boolean {
    return this.mixed || other.mixed || (this.first !== none && other.first !== none && this.first !== other.first);
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
  const { groups: pairs, groupOf: pathPair } = groupPaths(
    paths,
    (_p, i) => pairMask[i] === 1,
    (p) => `${p.probeId}\u0000${p.proxy}`,
    (p) => ({ probeId: p.probeId, proxy: p.proxy, n: 0, drops: 0, lastDrop: -Infinity, scoped: new Addresses(), around: new Addresses(), later: new Addresses(), upTo: aroundTo, openings: null as Openings | null }),
  );

  // Three passes over the openings with an address from aroundFrom on, each written out
  // as a loop over the blocks' arrays: a callback per row, or gathering the rows into
  // arrays first, cost more than the passes' own work.
  const blocks = store.blocksIn(aroundFrom, Infinity);
  const lives = [...store.live.values()];
  for (const b of blocks) {
    const { path, openedAt, egress, endKind, endedAt } = b;
    for (let i = 0; i < b.length; i++) {
      const k = pathPair[path[i]!]!;
      const at = openedAt[i]!;
      if (k < 0 || egress[i] === none || !(at >= aroundFrom && at < aroundTo)) continue;
      const p = pairs[k]!;
      p.around.add(egress[i]!);
      if (!(at >= from && at < to && inScopeMask[path[i]!] === 1)) continue;
      p.n++;
      p.scoped.add(egress[i]!);
      if (endKind[i] !== probeClosed) {
        p.drops++;
        if (endedAt[i]! > p.lastDrop) p.lastDrop = endedAt[i]!;
      }
    }
  }
  for (const live of lives) {
    const k = pathPair[live.path]!;
    if (k < 0 || live.egress === none || !(live.openedAt >= aroundFrom && live.openedAt < aroundTo)) continue;
    pairs[k]!.around.add(live.egress);
    if (live.openedAt >= from && live.openedAt < to && inScopeMask[live.path] === 1) {
      pairs[k]!.n++;
      pairs[k]!.scoped.add(live.egress);
    }
  }
  for (const p of pairs) p.upTo = Math.max(aroundTo, p.lastDrop + NEAR_MS + 1);
  const lastUpTo = Math.max(aroundTo, ...pairs.map((p) => (p.n > 0 ? p.upTo : aroundTo)));
  if (lastUpTo > aroundTo) {
    // Sessions open before they end: these openings are in the blocks from aroundTo on.
    for (const b of store.blocksIn(aroundTo, Infinity)) {
      const { path, openedAt, egress } = b;
      for (let i = 0; i < b.length; i++) {
        const k = pathPair[path[i]!]!;
        const at = openedAt[i]!;
        if (k < 0 || egress[i] === none || !(at >= aroundTo && at < lastUpTo)) continue;
        const p = pairs[k]!;
        if (p.n > 0 && at < p.upTo) p.later.add(egress[i]!);
      }
    }
    for (const live of lives) {
      const k = pathPair[live.path]!;
      if (k < 0 || live.egress === none) continue;
      const p = pairs[k]!;
      if (p.n > 0 && live.openedAt >= aroundTo && live.openedAt < p.upTo) p.later.add(live.egress);
    }
  }
  let anyMixed = false;
  for (const p of pairs) {
    if (p.n > 0 && (p.scoped.mixed || (p.drops > 0 && p.around.union(p.later)))) {
      p.openings = new Openings();
      anyMixed = true;
    }
  }
  if (anyMixed) {
    for (const b of blocks) {
      const { path, openedAt, egress, endKind, endedAt } = b;
      for (let i = 0; i < b.length; i++) {
        const k = pathPair[path[i]!]!;
        const at = openedAt[i]!;
        if (k < 0 || egress[i] === none || !(at >= aroundFrom)) continue;
        const p = pairs[k]!;
        if (!p.openings || !(at < p.upTo)) continue;
        const scoped = at >= from && at < to && inScopeMask[path[i]!] === 1;
        p.openings.push(at, egress[i]!, scoped, scoped && endKind[i] !== probeClosed ? endedAt[i]! : NaN);
      }
    }
    for (const live of lives) {
      const k = pathPair[live.path]!;
      if (k < 0 || live.egress === none || !(live.openedAt >= aroundFrom)) continue;
      const p = pairs[k]!;
      if (p.openings && live.openedAt < p.upTo) p.openings.push(live.openedAt, live.egress, live.openedAt >= from && live.openedAt < to && inScopeMask[live.path] === 1, NaN);
    }
  }

  const name = nameOf(probes);
  return pairs.flatMap((p) => {
    if (p.n === 0) return [];
    const stat: EgressStat = { probe: name(p.probeId), proxy: p.proxy, addresses: 1, changes: 0, drops: p.drops, dropsNearChange: 0 };
    return [p.openings ? { ...stat, ...orderedDetail(p.openings) } : stat];
  });
}

/**
 * The openings' indices in time order: counted into whole seconds (one pass), and the few
 * in one second put in order by insertion. A comparator sort of a week's openings of a
 * rotating proxy (~250,000) took ~100 ms; this takes a few.
 */
function timeOrder(o: Openings): Uint32Array {
  const n = o.length;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    if (o.at[i]! < min) min = o.at[i]!;
    if (o.at[i]! > max) max = o.at[i]!;
  }
  const slots = n === 0 ? 0 : Math.floor((max - min) / 1000) + 1;
  const start = new Uint32Array(slots + 1);
  for (let i = 0; i < n; i++) start[Math.floor((o.at[i]! - min) / 1000) + 1]! += 1;
  for (let s = 1; s <= slots; s++) start[s]! += start[s - 1]!;
  const order = new Uint32Array(n);
  const fill = start.slice(0, slots);
  for (let i = 0; i < n; i++) order[fill[Math.floor((o.at[i]! - min) / 1000)]!++] = i;
  for (let s = 0; s < slots; s++) {
    for (let j = start[s]! + 1; j < start[s + 1]!; j++) {
      const v = order[j]!;
      let k = j - 1;
      while (k >= start[s]! && o.at[order[k]!]! > o.at[v]!) {
        order[k + 1] = order[k]!;
        k--;
      }
      order[k + 1] = v;
    }
  }
  return order;
}

/** Addresses and changes over the scope's openings in time, and the drops near an opening with another address. */
function orderedDetail(o: Openings): Pick<EgressStat, 'addresses' | 'changes' | 'dropsNearChange'> {
  const order = timeOrder(o);
  const n = o.length;
  const at = new Float64Array(n);
  const egress = new Int32Array(n);
  const distinct = new Set<number>();
  let changes = 0;
  let previous = none;
  for (let j = 0; j < n; j++) {
    const i = order[j]!;
    at[j] = o.at[i]!;
    egress[j] = o.egress[i]!;
    if (o.inScope[i] !== 1) continue;
    if (egress[j] !== previous) {
      if (previous !== none) changes++;
      distinct.add(egress[j]!);
      previous = egress[j]!;
    }
  }
  let near = 0;
  for (let d = 0; d < o.length; d++) {
    const end = o.droppedAt[d]!;
    if (end !== end) continue;
    // The first opening at or after the frame's start, then every one up to its end (both ends in).
    let lo = 0;
    let hi = at.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (at[mid]! < end - NEAR_MS) lo = mid + 1;
      else hi = mid;
    }
    for (let j = lo; j < at.length && at[j]! <= end + NEAR_MS; j++) {
      if (egress[j] !== o.egress[d]) {
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
      if (k < 0 || b.endKind[i] === probeClosed || mask[b.path[i]!] !== 1) continue;
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
