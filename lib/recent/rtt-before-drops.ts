/**
 * The RTT-before-drops finding on the in-memory columns: per target × proxy, the mean RTT
 * over the scope and over the RTT minutes m that a drop of the path ended in
 * [m, m + 5 min] after (db/queries/findings.ts' rttBeforeDrops says why). Minutes are
 * slots of typed arrays over [from − 5 min, to), one set per target × proxy: a week of
 * drops marks its minutes without a set or map entry per drop.
 *
 * In three steps, so that the drops are marked in the pass that reads them for everything
 * else (lib/recent/endings-scan.ts): the RTT minutes (constructor), `mark` per drop, `result`.
 */
import type { RttBeforeDrops } from '../analysis/findings';
import type { RecentRtt, RttBlock } from './rtt';
import { rttPathMask, type ProbeRef, type RecentScope } from './scope';
import { splitWhole } from './whole-range';

const MINUTE_MS = 60_000;

interface Key {
  target: string;
  proxy: string;
  sum: Float64Array;
  n: Float64Array;
  /** Per minute slot: 1 when a drop ended in it, 2 when one ended on its first instant. */
  covered: Uint8Array;
  drops: number;
}

/** RTT sums and counts per key and minute over a run of whole hours, as the memo keeps them. */
class MinuteSums {
  /** The latest minute with a sample, -Infinity for none. */
  latest = -Infinity;
  private readonly firstMinute: number;
  private readonly minutes: number;
  private readonly sums: (Float64Array | null)[];
  private readonly counts: (Float64Array | null)[];

  constructor(blocks: readonly RttBlock[], keys: number) {
    this.firstMinute = blocks.length ? blocks[0]!.hour * 60 : 0;
    this.minutes = blocks.length ? (blocks.at(-1)!.hour + 1) * 60 - this.firstMinute : 0;
    this.sums = new Array<Float64Array | null>(keys).fill(null);
    this.counts = new Array<Float64Array | null>(keys).fill(null);
  }

  add(k: number, minute: number, sum: number, count: number): void {
    const j = Math.floor(minute / MINUTE_MS) - this.firstMinute;
    (this.sums[k] ??= new Float64Array(this.minutes))[j]! += sum;
    (this.counts[k] ??= new Float64Array(this.minutes))[j]! += count;
    if (minute > this.latest) this.latest = minute;
  }

  /** Each key with samples: its sums and counts by minute from firstMinute. */
  forEach(visit: (k: number, firstMinute: number, sum: Float64Array, n: Float64Array) => void): void {
    this.sums.forEach((sum, k) => {
      if (sum) visit(k, this.firstMinute, sum, this.counts[k]!);
    });
  }
}

export class RttCoverage {
  /** Whether any RTT minute lies in the scope: without one there is nothing to compare. */
  pinged = false;
  private readonly keys: Key[] = [];
  private readonly keyIndex = new Map<string, number>();
  private readonly first: number;
  private readonly slots: number;
  private readonly fromSlot: number;

  constructor(rtt: RecentRtt, scope: RecentScope, probes: readonly ProbeRef[]) {
    const from = scope.from.getTime();
    const to = scope.to.getTime();
    this.first = Math.floor((from - 5 * MINUTE_MS) / MINUTE_MS);
    this.slots = Math.max(0, Math.ceil(to / MINUTE_MS) - this.first);
    // RTT minutes are whole minutes: those at or after an unaligned `from` start at the next.
    this.fromSlot = Math.ceil(from / MINUTE_MS) - this.first;
    const mask = rttPathMask(rtt.paths.values, scope, probes);
    const keyOfPath = Int32Array.from(rtt.paths.values, (p) => this.key(p.target, p.proxy));
    const lo = from - 5 * MINUTE_MS;
    const blocks: RttBlock[] = [];
    rtt.eachBlock(lo, to, (b) => blocks.push(b));
    const { whole, edges } = splitWhole(blocks, lo, to);
    // The whole hours' sums per key from the memo when they did not change (lib/recent/whole-range.ts).
    const memoKey = ['rtt', rtt.paths.values.length, mask.join('')].join('|');
    const kept = rtt.memo.get(memoKey, whole, () => {
      const sums = new MinuteSums(whole, this.keys.length);
      for (const b of whole) for (let i = 0; i < b.length; i++) if (mask[b.path[i]!] === 1) sums.add(keyOfPath[b.path[i]!]!, b.minute[i]!, b.sum[i]!, b.count[i]!);
      return sums;
    });
    kept.forEach((k, firstMinute, sum, n) => {
      const key = this.allocated(k);
      const offset = firstMinute - this.first;
      for (let j = Math.max(0, -offset); j < sum.length && j + offset < this.slots; j++) {
        key.sum[j + offset]! += sum[j]!;
        key.n[j + offset]! += n[j]!;
      }
    });
    if (kept.latest >= from) this.pinged = true;
    for (const b of edges) {
      for (let i = 0; i < b.length; i++) {
        const m = b.minute[i]!;
        if (mask[b.path[i]!] !== 1 || !(m >= lo && m < to)) continue;
        if (m >= from) this.pinged = true;
        const key = this.allocated(keyOfPath[b.path[i]!]!);
        const slot = Math.floor(m / MINUTE_MS) - this.first;
        key.sum[slot]! += b.sum[i]!;
        key.n[slot]! += b.count[i]!;
      }
    }
  }

  /** Key k with its per-minute arrays (a key gets them with its first RTT minute in scope). */
  private allocated(k: number): Key {
    const key = this.keys[k]!;
    if (key.sum.length === 0) {
      key.sum = new Float64Array(this.slots);
      key.n = new Float64Array(this.slots);
      key.covered = new Uint8Array(this.slots);
    }
    return key;
  }

  private key(target: string, proxy: string): number {
    const name = `${target}\u0000${proxy}`;
    let k = this.keyIndex.get(name);
    if (k === undefined) {
      this.keyIndex.set(name, (k = this.keys.length));
      this.keys.push({ target, proxy, sum: new Float64Array(0), n: new Float64Array(0), covered: new Uint8Array(0), drops: 0 });
    }
    return k;
  }

  /** The key of a target × proxy (-1: no RTT minute in scope). */
  keyOf(target: string, proxy: string): number {
    const k = this.keyIndex.get(`${target}\u0000${proxy}`);
    return k !== undefined && this.keys[k]!.sum.length > 0 ? k : -1;
  }

  /**
   * Marks kept for a run of minutes from `firstMinute` (lib/recent/endings-scan.ts'
   * RangeMarks), and the drops they came from, added to key k's.
   */
  addMarks(k: number, firstMinute: number, marks: Uint8Array, drops: number): void {
    const key = this.keys[k]!;
    key.drops += drops;
    const offset = firstMinute - this.first;
    const lo = Math.max(0, -offset);
    const hi = Math.min(marks.length, this.slots - offset);
    for (let j = lo; j < hi; j++) if (marks[j]! > key.covered[j + offset]!) key.covered[j + offset] = marks[j]!;
  }

  /**
   * A drop of the scope ended at `endedAt` on key `k`. Only its minute is marked here (2 on
   * the minute's first instant); `result` spreads the marks over the minutes they cover.
   */
  mark(k: number, endedAt: number): void {
    const key = this.keys[k]!;
    key.drops++;
    const minute = Math.floor(endedAt / MINUTE_MS);
    const slot = minute - this.first;
    key.covered[slot] = endedAt === minute * MINUTE_MS ? 2 : Math.max(key.covered[slot]!, 1);
  }

  /**
   * Minutes before a drop: the drop's minute and the 4 before it, a 5th when it ended
   * exactly on the minute (it then ended exactly 5 minutes after that one began).
   */
  private spread(marks: Uint8Array): Uint8Array {
    const covered = new Uint8Array(marks.length);
    for (let s = 0; s < marks.length; s++) {
      if (marks[s] === 0) continue;
      for (let j = Math.max(0, s - (marks[s] === 2 ? 5 : 4)); j <= s; j++) covered[j] = 1;
    }
    return covered;
  }

  result(): RttBeforeDrops[] {
    if (!this.pinged) return [];
    const out: RttBeforeDrops[] = [];
    for (const key of this.keys) {
      if (key.sum.length === 0) continue;
      let baseSum = 0;
      let baseN = 0;
      let beforeSum = 0;
      let beforeN = 0;
      const covered = this.spread(key.covered);
      for (let j = 0; j < this.slots; j++) {
        if (j >= this.fromSlot) {
          baseSum += key.sum[j]!;
          baseN += key.n[j]!;
        }
        if (covered[j] === 1) {
          beforeSum += key.sum[j]!;
          beforeN += key.n[j]!;
        }
      }
      if (!(baseN > 0)) continue;
      out.push({ target: key.target, proxy: key.proxy, baselineMs: baseSum / baseN, baselineSamples: baseN, beforeMs: beforeN ? beforeSum / beforeN : 0, beforeSamples: beforeN, drops: key.drops });
    }
    return out;
  }
}
