/**
 * The recent RTT minutes in memory (rtt_minutes: count and sum of pings per probe × target ×
 * proxy and minute), beside the recent sessions, for the RTT-before-drops finding: a week
 * of a pinging fleet is ~500,000 minutes. Held as ingest leaves them (the row's totals
 * after its upsert), in blocks by hour.
 */
import { Dictionary, HOUR_MS } from './sessions';

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
  /** (minute of the hour) × 2^20 + path → row. */
  private readonly rows = new Map<number, number>();
  minute = new Float64Array(16);
  path = new Int32Array(16);
  count = new Float64Array(16);
  sum = new Float64Array(16);

  constructor(readonly hour: number) {}

  set(minute: number, path: number, count: number, sum: number): void {
    const key = Math.floor((minute - this.hour * HOUR_MS) / 60_000) * 2 ** 20 + path;
    let i = this.rows.get(key);
    if (i === undefined) {
      if (this.length === this.path.length) this.grow();
      i = this.length++;
      this.rows.set(key, i);
      this.minute[i] = minute;
      this.path[i] = path;
    }
    this.count[i] = count;
    this.sum[i] = sum;
  }

  private grow(): void {
    const size = this.path.length * 2;
    const f = (a: Float64Array) => {
      const b = new Float64Array(size);
      b.set(a);
      return b;
    };
    const p = new Int32Array(size);
    p.set(this.path);
    this.path = p;
    this.minute = f(this.minute);
    this.count = f(this.count);
    this.sum = f(this.sum);
  }
}

export class RecentRtt {
  readonly paths = new Dictionary<RttPath>((p) => `${p.probeId}\u0000${p.target}\u0000${p.proxy}`);
  readonly blocks = new Map<number, RttBlock>();
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
    this.horizon = hour * HOUR_MS;
  }

  /** Each block with minutes in [from, to); the caller checks the minutes of edge blocks. */
  eachBlock(from: number, to: number, visit: (block: RttBlock) => void): void {
    const first = Math.floor(from / HOUR_MS);
    const last = Math.floor(to / HOUR_MS);
    for (const block of this.blocks.values()) if (block.hour >= first && block.hour <= last) visit(block);
  }
}
