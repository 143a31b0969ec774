/**
 * RTT samples of one session, shipped in `rtt.samples` events: at most every minute or
 * every `maxSamples`, and at the end, so a long session's samples arrive while it lives.
 */
import { randomUUID } from 'node:crypto';
import type { PathDescriptor, RttSamples } from '../lib/contracts/ingest';

const RESERVOIR = 1024;

export class RttBuffer {
  private samples: { at: string; rttMs: number }[] = [];
  private firstAt = 0;
  count = 0;
  private min = Number.POSITIVE_INFINITY;
  private max = 0;
  /**
   * A uniform reservoir of the session's samples for its median: bounded, because a
   * heartbeat canary may live for days (keeping every sample grew by ~800 KB a day each).
   */
  private reservoir: number[] = [];

  constructor(
    private readonly sessionId: string,
    private readonly path: PathDescriptor,
    private readonly emit: (e: RttSamples) => void,
    private readonly options = { maxSamples: 1000, maxAgeMs: 60_000 },
    private readonly random: () => number = Math.random,
  ) {}

  add(at: Date, rttMs: number, monotonicNow: number): void {
    const ms = Math.round(rttMs * 1000) / 1000;
    if (this.samples.length === 0) this.firstAt = monotonicNow;
    this.samples.push({ at: at.toISOString(), rttMs: ms });
    this.count += 1;
    this.min = Math.min(this.min, ms);
    this.max = Math.max(this.max, ms);
    if (this.reservoir.length < RESERVOIR) this.reservoir.push(ms);
    else {
      const j = Math.floor(this.random() * this.count);
      if (j < RESERVOIR) this.reservoir[j] = ms;
    }
    if (this.samples.length >= this.options.maxSamples || monotonicNow - this.firstAt >= this.options.maxAgeMs) this.flush();
  }

  flush(): void {
    if (this.samples.length === 0) return;
    this.emit({ type: 'rtt.samples', id: randomUUID(), sessionId: this.sessionId, path: this.path, samples: this.samples });
    this.samples = [];
  }

  summary(): { count: number; minMs: number; medianMs: number; maxMs: number } | undefined {
    if (this.count === 0) return undefined;
    const sorted = [...this.reservoir].sort((a, b) => a - b);
    return { count: this.count, minMs: this.min, medianMs: sorted[Math.floor((sorted.length - 1) / 2)]!, maxMs: this.max };
  }
}
