/**
 * The probe's RTT per path and wall-clock minute, shipped as one `rtt.minute` event each:
 * count, sum, min, max and counts on the log scale of lib/rtt/buckets.ts, which is what the
 * backend keeps (rtt_minutes). A probe at 10,000 canaries measures 5,000 RTTs a second;
 * shipping each as a sample (an object, an ISO string, a line in the spool, garbage) cost
 * more CPU than the pings (bench:agent: 1.41x a bare ws client with samples, 1.18x without).
 * Summed here, a sample costs a few additions and a logarithm, and a path costs one event
 * a minute however many canaries it has.
 *
 * A minute ships when its path's first sample of a later minute arrives, or from
 * {@link RttMinutes.shipEnded} once it has ended (the runner calls it each minute), or at
 * {@link RttMinutes.flush} when the probe stops. The backend adds what it receives to the
 * minute's row, so a minute shipped in parts (a clock stepped back, a stop mid-minute, a
 * sample of a minute already shipped) sums the same.
 */
import { randomUUID } from 'node:crypto';
import type { PathDescriptor, RttMinute } from '../lib/contracts/ingest';
import { emptyRttBuckets, rttBucketIndex } from '../lib/rtt/buckets';

const MINUTE_MS = 60_000;

/** One path's current minute. */
interface Row {
  minute: number;
  count: number;
  sumMs: number;
  minMs: number;
  maxMs: number;
  buckets: number[];
}

export class RttMinutes {
  /** By interned path descriptor (agent/canary.ts pathOf): one lookup per sample. */
  readonly #rows = new Map<PathDescriptor, Row>();

  /**
   * @param held called when a first minute is held again (none was): the runner then sets
   *   its timer to ship it, so a probe with no heartbeat or echo canaries runs none.
   */
  constructor(
    private readonly emit: (e: RttMinute) => void,
    private readonly held: () => void = () => {},
  ) {}

  /** A sample of `path` taken at wall-clock `atMs` (epoch ms), rounded already (rttMsOf). */
  add(path: PathDescriptor, atMs: number, rttMs: number): void {
    const minute = atMs - (atMs % MINUTE_MS);
    let row = this.#rows.get(path);
    if (row && row.minute !== minute) {
      this.#ship(path, row);
      row = undefined;
    }
    if (!row) {
      row = { minute, count: 0, sumMs: 0, minMs: rttMs, maxMs: rttMs, buckets: emptyRttBuckets() };
      this.#rows.set(path, row);
      if (this.#rows.size === 1) this.held();
    }
    row.count += 1;
    row.sumMs += rttMs;
    if (rttMs < row.minMs) row.minMs = rttMs;
    if (rttMs > row.maxMs) row.maxMs = rttMs;
    row.buckets[rttBucketIndex(rttMs)]! += 1;
  }

  /** Ship every minute that ended at or before `wallMs` (epoch ms). */
  shipEnded(wallMs: number): void {
    for (const [path, row] of this.#rows) if (row.minute + MINUTE_MS <= wallMs) this.#ship(path, row);
  }

  /** Ship everything held, minutes not yet ended included (the probe stops). */
  flush(): void {
    for (const [path, row] of this.#rows) this.#ship(path, row);
  }

  /** Paths with a minute held. */
  get size(): number {
    return this.#rows.size;
  }

  #ship(path: PathDescriptor, row: Row): void {
    this.#rows.delete(path);
    this.emit({
      type: 'rtt.minute',
      id: randomUUID(),
      path,
      minute: new Date(row.minute).toISOString(),
      count: row.count,
      // Sums of microsecond values drift in the last bits: cut back to the microsecond.
      sumMs: Math.round(row.sumMs * 1000) / 1000,
      minMs: row.minMs,
      maxMs: row.maxMs,
      buckets: row.buckets,
    });
  }
}

/** When, after `wallMs`, the runner next ships ended minutes: just past the next minute. */
export function nextMinuteShipDelay(wallMs: number, graceMs: number): number {
  return MINUTE_MS - (wallMs % MINUTE_MS) + graceMs;
}
