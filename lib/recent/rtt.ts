/**
 * The recent RTT minutes in memory (rtt_minutes: count and sum of pings per probe × target ×
 * proxy and minute), beside the recent sessions, for the RTT-before-drops finding: a week
 * of a pinging fleet is ~500,000 minutes. Held as ingest leaves them (the row's totals
 * after its upsert), in blocks by hour.
 */
import { Dictionary, grownTo, HOUR_MS } from './sessions';
import { WholeRangeMemo } from './whole-range';

export interface RttMinuteRow {
  minute: number;
  probeId: number;
  targetName: string;
  proxyName: string;
  count: number;
  sumMs: number;
}

export interface RttPath {
  probeId: number;
  target: string;
  proxy: string;
}

export class RttBlock {
  length = 0;
  /**
   * Row of (minute of the hour, path): index minute × pathSlots + path, -1 for none. Dense
   * and typed, not a Map: a week holds ~500,000 minutes, and Map entries live on the V8 heap
   * that every full garbage collection walks.
   */
  private rowOf = new Int32Array(0);
  private pathSlots = 0;
  minute = new Float64Array(16);
  path = new Int32Array(16);
  count = new Float64Array(16);
  sum = new Float64Array(16);

  /** Counts changes (lib/recent/whole-range.ts). */
  version = 0;

  constructor(readonly hour: number) {}

  wholeIn(from: number, to: number): boolean {
    return this.hour * HOUR_MS >= from && (this.hour + 1) * HOUR_MS <= to;
  }

  set(minute: number, path: number, count: number, sum: number): void {
    this.version++;
    if (path >= this.pathSlots) this.widen(path + 1);
    const slot = Math.floor((minute - this.hour * HOUR_MS) / 60_000) * this.pathSlots + path;
    let i = this.rowOf[slot]!;
    if (i < 0) {
      if (this.length === this.path.length) this.grow();
      i = this.length++;
      this.rowOf[slot] = i;
      this.minute[i] = minute;
      this.path[i] = path;
    }
    this.count[i] = count;
    this.sum[i] = sum;
  }

  private widen(paths: number): void {
    const slots = Math.max(paths, this.pathSlots * 2, 8);
    this.rowOf = new Int32Array(60 * slots).fill(-1);
    this.pathSlots = slots;
    for (let i = 0; i < this.length; i++) this.rowOf[Math.floor((this.minute[i]! - this.hour * HOUR_MS) / 60_000) * slots + this.path[i]!] = i;
  }

  private grow(): void {
    const size = this.path.length * 2;
    this.path = grownTo(this.path, size);
    this.minute = grownTo(this.minute, size);
    this.count = grownTo(this.count, size);
    this.sum = grownTo(this.sum, size);
  }
}

export class RecentRtt {
  readonly paths = new Dictionary<RttPath>((p) => `${p.probeId}\u0000${p.target}\u0000${p.proxy}`);
  readonly blocks = new Map<number, RttBlock>();
  /** What passes over the whole hours of a range computed (lib/recent/whole-range.ts). */
  readonly memo = new WholeRangeMemo();
  horizon: number;

  constructor(horizon: number) {
    this.horizon = Math.floor(horizon / HOUR_MS) * HOUR_MS;
  }

  /** The minute's totals as they now stand in rtt_minutes. */
  set(row: RttMinuteRow): void {
    if (row.minute < this.horizon) return;
    const hour = Math.floor(row.minute / HOUR_MS);
    let block = this.blocks.get(hour);
    if (!block) this.blocks.set(hour, (block = new RttBlock(hour)));
    block.set(row.minute, this.paths.intern({ probeId: row.probeId, target: row.targetName, proxy: row.proxyName }), row.count, row.sumMs);
  }

  forgetBefore(horizon: number): void {
    const hour = Math.floor(horizon / HOUR_MS);
    if (hour * HOUR_MS <= this.horizon) return;
    for (const h of this.blocks.keys()) if (h < hour) this.blocks.delete(h);
    this.memo.clear();
    this.horizon = hour * HOUR_MS;
  }

  /** Each block with minutes in [from, to); the caller checks the minutes of edge blocks. */
  eachBlock(from: number, to: number, visit: (block: RttBlock) => void): void {
    const first = Math.floor(from / HOUR_MS);
    const last = Math.floor(to / HOUR_MS);
    for (const block of this.blocks.values()) if (block.hour >= first && block.hour <= last) visit(block);
  }
}
