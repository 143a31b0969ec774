/**
 * The analysis' findings that read sessions by the hundred thousand (silent deaths, ladder
 * rungs, egress rotation, RTT before drops), on the in-memory columns. Same answers as
 * db/queries/findings.ts over the tables (test/db/recent.test.ts); the comments there say
 * what each one counts and why.
 */
import type { EgressStat, LadderRung, RttBeforeDrops, SilentGroup } from '../analysis/findings';
import { scanEndings } from './endings-scan';
import { groupPaths, nameOf } from './groups';
import type { RecentRtt } from './rtt';
import { RttCoverage } from './rtt-before-drops';
import { pathMask, type ProbeRef, type RecentScope } from './scope';
import { grownTo, NO_CODE, PROBE_CLOSED, type EndingBlock, type RecentSessions } from './sessions';
import { splitWhole } from './whole-range';

// Local copies of the store's codes: a bundler may turn an imported binding into a getter
// call per read, in loops over a million rows.
const none = NO_CODE;
const probeClosed = PROBE_CLOSED;
const NEAR_MS = 5_000;

export function silentGroups(store: RecentSessions, scope: RecentScope, probes: readonly ProbeRef[]): SilentGroup[] {
  return scanEndings(store, scope, probes, { silent: true }).silent!;
}

export function ladderRungs(store: RecentSessions, scope: RecentScope, probes: readonly ProbeRef[]): LadderRung[] {
  return scanEndings(store, scope, probes, { ladder: true }).ladder!;
}

export function rttBeforeDrops(sessions: RecentSessions, rtt: RecentRtt, scope: RecentScope, probes: readonly ProbeRef[]): RttBeforeDrops[] {
  const coverage = new RttCoverage(rtt, scope, probes);
  if (coverage.pinged) scanEndings(sessions, scope, probes, { rtt: coverage });
  return coverage.result();
}

/** A pair's openings, as columns: open instant, address, in scope, and the end instant of a drop in scope (else NaN). */
class Openings {
  length = 0;
  at = new Float64Array(64);
  egress = new Int32Array(64);
  inScope = new Uint8Array(64);
  droppedAt = new Float64Array(64);

  /** The openings before `upTo` (all of them when none is later). */
  before(upTo: number): Openings {
    let n = 0;
    for (let i = 0; i < this.length; i++) if (this.at[i]! < upTo) n++;
    if (n === this.length) return this;
    const out = new Openings();
    for (let i = 0; i < this.length; i++) if (this.at[i]! < upTo) out.push(this.at[i]!, this.egress[i]!, this.inScope[i] === 1, this.droppedAt[i]!);
    return out;
  }

  push(at: number, egress: number, inScope: boolean, droppedAt: number): void {
    if (this.length === this.at.length) {
      const size = this.length * 2;
      this.at = grownTo(this.at, size);
      this.egress = grownTo(this.egress, size);
      this.inScope = grownTo(this.inScope, size);
      this.droppedAt = grownTo(this.droppedAt, size);
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
}

/**
 * Egress address changes per probe × proxy, and the drops that ended within 5 s of an
 * opening of the same probe × proxy with another address than the drop's own.
 *
 * One pass over the openings from 5 s before the scope on counts each pair's openings and
 * drops in scope and gathers, for the pairs that ever showed more than one address (the
 * store keeps that per pair), their openings as columns; only those are then ordered in
 * time. A pair with one address for good (direct, a corporate proxy) has no change and no
 * drop near one, whatever the scope.
 */
export function egressStats(store: RecentSessions, scope: RecentScope, probes: readonly ProbeRef[]): EgressStat[] {
  const pass = new EgressPass(store, scope, probes);
  pass.visitEndings();
  return pass.finish();
}

/**
 * A followed pair's ended sessions in a run of whole hours, ordered by opening: what the
 * memo keeps (lib/recent/whole-range.ts), with no test of the range, which a later scope
 * over the same hours applies on reading.
 */
interface PairRun {
  length: number;
  at: Float64Array;
  egress: Int32Array;
  /** 1 when the session's path passes the scope's filters. */
  inMask: Uint8Array;
  /** 1 unless the probe itself closed it. */
  dropped: Uint8Array;
  endedAt: Float64Array;
}

/**
 * The egress finding's pass over the openings: `visitEndings` (each ended session from
 * `aroundFrom` on), then `finish` (which adds the live canaries and orders the openings).
 */
export class EgressPass {
  readonly aroundFrom: number;
  private readonly from: number;
  private readonly to: number;
  private readonly inScopeMask: Uint8Array;
  private readonly pathPair: Int32Array;
  private readonly pairs: { probeId: number; proxy: string; n: number; drops: number; lastDrop: number; openings: Openings | null }[];

  /**
   * `onlyRotating`: leave out the pairs that never showed a second address. They have no
   * change, so never a finding (lib/analysis/findings.ts' egressFindings wants 2), and on a
   * fleet of mostly fixed egress most sessions are theirs.
   */
  constructor(
    private readonly store: RecentSessions,
    scope: RecentScope,
    private readonly probes: readonly ProbeRef[],
    options: { onlyRotating?: boolean } = {},
  ) {
    this.from = scope.from.getTime();
    this.to = scope.to.getTime();
    this.aroundFrom = this.from - NEAR_MS;
    const paths = store.paths.values;
    this.inScopeMask = pathMask(paths, scope, probes);
    // Openings near a drop may be to any target and of any profile.
    const pairMask = pathMask(paths, { ...scope, target: undefined, profile: undefined }, probes);
    const grouped = groupPaths(
      paths,
      (p, i) => pairMask[i] === 1 && (!options.onlyRotating || store.pairEgress.get(`${p.probeId} ${p.proxy}`)?.rotates === true),
      (p) => `${p.probeId} ${p.proxy}`,
      (p) => ({ probeId: p.probeId, proxy: p.proxy, n: 0, drops: 0, lastDrop: -Infinity, openings: store.pairEgress.get(`${p.probeId} ${p.proxy}`)?.rotates ? new Openings() : null }),
    );
    this.pairs = grouped.groups;
    this.pathPair = grouped.groupOf;
  }

  /**
   * Every ended session from aroundFrom on. Those in the range's whole hours come from the
   * memo as runs per pair already in time order (so finish orders only the few others);
   * the rest, row by row.
   */
  visitEndings(): void {
    const { whole, edges } = splitWhole(this.store.blocksIn(this.aroundFrom, Infinity), this.from, this.to);
    const key = ['egress', this.store.paths.values.length, this.inScopeMask.join(''), this.pathPair.join(',')].join('|');
    const runs = this.store.memo.get(key, whole, () => this.runsOf(whole));
    runs.forEach((run, k) => {
      for (let i = lowerBound(run.at, run.length, this.aroundFrom); i < run.length; i++) this.add(k, run.at[i]!, run.egress[i]!, run.inMask[i] === 1, run.dropped[i] === 1, run.endedAt[i]!);
    });
    for (const b of edges) {
      const { path, openedAt, egress, endKind, endedAt } = b;
      for (let i = 0; i < b.length; i++) {
        const k = this.pathPair[path[i]!]!;
        if (k >= 0 && egress[i] !== none && openedAt[i]! >= this.aroundFrom) this.add(k, openedAt[i]!, egress[i]!, this.inScopeMask[path[i]!] === 1, endKind[i] !== probeClosed, endedAt[i]!);
      }
    }
  }

  private add(k: number, at: number, egress: number, inMask: boolean, notProbeClosed: boolean, endedAt: number): void {
    const p = this.pairs[k]!;
    const scoped = inMask && at >= this.from && at < this.to;
    const dropped = scoped && notProbeClosed;
    if (scoped) {
      p.n++;
      if (dropped) {
        p.drops++;
        if (endedAt > p.lastDrop) p.lastDrop = endedAt;
      }
    }
    if (p.openings) p.openings.push(at, egress, scoped, dropped ? endedAt : NaN);
  }

  /** Each followed pair's sessions with an address in `blocks`, ordered by opening. */
  private runsOf(blocks: readonly EndingBlock[]): PairRun[] {
    const raw = this.pairs.map(() => ({ length: 0, at: [] as number[], egress: [] as number[], inMask: [] as number[], dropped: [] as number[], endedAt: [] as number[] }));
    for (const b of blocks) {
      const { path, openedAt, egress, endKind, endedAt } = b;
      for (let i = 0; i < b.length; i++) {
        const k = this.pathPair[path[i]!]!;
        // A session whose end came without its opening has no instant to order by.
        if (k < 0 || egress[i] === none || openedAt[i] !== openedAt[i]) continue;
        const r = raw[k]!;
        r.length++;
        r.at.push(openedAt[i]!);
        r.egress.push(egress[i]!);
        r.inMask.push(this.inScopeMask[path[i]!]!);
        r.dropped.push(endKind[i] !== probeClosed ? 1 : 0);
        r.endedAt.push(endedAt[i]!);
      }
    }
    return raw.map((r) => {
      const at = Float64Array.from(r.at);
      const order = timeOrder(at, r.length);
      const pick = <T extends Float64Array | Int32Array | Uint8Array>(make: new (n: number) => T, xs: number[]): T => {
        const out = new make(r.length);
        for (let j = 0; j < r.length; j++) out[j] = xs[order[j]!]!;
        return out;
      };
      return { length: r.length, at: pick(Float64Array, r.at), egress: pick(Int32Array, r.egress), inMask: pick(Uint8Array, r.inMask), dropped: pick(Uint8Array, r.dropped), endedAt: pick(Float64Array, r.endedAt) };
    });
  }

  finish(): EgressStat[] {
    const { pairs, from, to } = this;
    const aroundTo = to + NEAR_MS;
    for (const live of this.store.live.values()) {
      const k = this.pathPair[live.path]!;
      if (k < 0 || live.egress === none || !(live.openedAt >= this.aroundFrom)) continue;
      const p = pairs[k]!;
      const scoped = live.openedAt >= from && live.openedAt < to && this.inScopeMask[live.path] === 1;
      if (scoped) p.n++;
      if (p.openings) p.openings.push(live.openedAt, live.egress, scoped, NaN);
    }
    const name = nameOf(this.probes);
    return pairs.flatMap((p) => {
      if (p.n === 0) return [];
      const stat: EgressStat = { probe: name(p.probeId), proxy: p.proxy, addresses: 1, changes: 0, drops: p.drops, dropsNearChange: 0 };
      if (!p.openings) return [stat];
      // A drop may end long after the scope: the openings within 5 s of its end count too.
      const upTo = Math.max(aroundTo, p.lastDrop + NEAR_MS + 1);
      const o = p.openings;
      const scoped = new Addresses();
      const near = new Addresses();
      for (let i = 0; i < o.length; i++) {
        if (!(o.at[i]! < upTo)) continue;
        near.add(o.egress[i]!);
        if (o.inScope[i] === 1) scoped.add(o.egress[i]!);
      }
      // More than one address in scope, or drops with more than one address around them.
      if (!scoped.mixed && !(p.drops > 0 && near.mixed)) return [stat];
      return [{ ...stat, ...orderedDetail(o, upTo) }];
    });
  }
}

/**
 * The openings' indices in time order (ties by index). When they come mostly in order (the
 * memo's runs, then the edge hours' and live canaries' few), only the rest is sorted and
 * merged in. Otherwise counted into slots of about one opening each (one pass), and the
 * few in one slot put in order by insertion: a comparator sort of a week's openings of a
 * rotating proxy (~60,000) took ~25 ms; this takes a few.
 */
export function timeOrder(at: Float64Array, n: number): Uint32Array {
  // Mostly in order already (the memo's runs come first): sort only what follows the ordered start.
  let sorted = 1;
  while (sorted < n && at[sorted - 1]! <= at[sorted]!) sorted++;
  if (sorted === n) return Uint32Array.from({ length: n }, (_, i) => i);
  if (n - sorted < n / 8) return mergedOrder(at, n, sorted);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    if (at[i]! < min) min = at[i]!;
    if (at[i]! > max) max = at[i]!;
  }
  // About one slot per opening, at least a second wide: slots stay few however long the range.
  const width = Math.max(1000, (max - min) / Math.max(1, n));
  const slots = n === 0 ? 0 : Math.floor((max - min) / width) + 1;
  const start = new Uint32Array(slots + 1);
  const slotOf = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const s = Math.floor((at[i]! - min) / width);
    slotOf[i] = s;
    start[s + 1]! += 1;
  }
  for (let s = 1; s <= slots; s++) start[s]! += start[s - 1]!;
  const order = new Uint32Array(n);
  const fill = start.slice(0, slots);
  for (let i = 0; i < n; i++) order[fill[slotOf[i]!]!++] = i;
  for (let s = 0; s < slots; s++) {
    // A burst (a probe restarting opens all its canaries within a second) is sorted, not inserted.
    if (start[s + 1]! - start[s]! > 32) {
      order.subarray(start[s]!, start[s + 1]!).sort((a, b) => at[a]! - at[b]!);
      continue;
    }
    for (let j = start[s]! + 1; j < start[s + 1]!; j++) {
      const v = order[j]!;
      let k = j - 1;
      while (k >= start[s]! && at[order[k]!]! > at[v]!) {
        order[k + 1] = order[k]!;
        k--;
      }
      order[k + 1] = v;
    }
  }
  return order;
}

/** The order of at[0, n) when at[0, sorted) is in order: the rest sorted, then both merged. */
function mergedOrder(at: Float64Array, n: number, sorted: number): Uint32Array {
  const rest = Uint32Array.from({ length: n - sorted }, (_, i) => sorted + i).sort((a, b) => at[a]! - at[b]! || a - b);
  const order = new Uint32Array(n);
  let i = 0;
  let j = 0;
  for (let k = 0; k < n; k++) order[k] = j >= rest.length || (i < sorted && at[i]! <= at[rest[j]!]!) ? i++ : rest[j++]!;
  return order;
}

function lowerBound(xs: Float64Array, length: number, v: number): number {
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Addresses and changes over the scope's openings in time, and the drops near an opening with another address. */
function orderedDetail(all: Openings, upTo: number): Pick<EgressStat, 'addresses' | 'changes' | 'dropsNearChange'> {
  const o = all.before(upTo);
  const order = timeOrder(o.at, o.length);
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
