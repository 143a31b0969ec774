/**
 * RTT samples of one session, shipped in `rtt.samples` events: at most every minute or
 * every `maxSamples`, and at the end, so a long session's samples arrive while it lives.
 */
import { randomUUID } from 'node:crypto';
import type { PathDescriptor, RttSamples } from '../lib/contracts/ingest';

export class RttBuffer {
  private samples: { at: string; rttMs: number }[] = [];
  private firstAt = 0;
  count = 0;
  private all: number[] = [];

  constructor(
    private readonly sessionId: string,
    private readonly path: PathDescriptor,
    private readonly emit: (e: RttSamples) => void,
    private readonly options = { maxSamples: 1000, maxAgeMs: 60_000 },
  ) {}

  add(at: Date, rttMs: number, monotonicNow: number): void {
    const ms = Math.round(rttMs * 1000) / 1000;
    if (this.samples.length === 0) this.firstAt = monotonicNow;
    this.samples.push({ at: at.toISOString(), rttMs: ms });
    this.count += 1;
    // Keep a bounded reservoir for the summary; a week-long heartbeat canary must not grow forever.
    if (this.all.length < 100_000) this.all.push(ms);
    if (this.samples.length >= this.options.maxSamples || monotonicNow - this.firstAt >= this.options.maxAgeMs) this.flush();
  }

  flush(): void {
    if (this.samples.length === 0) return;
    this.emit({ type: 'rtt.samples', id: randomUUID(), sessionId: this.sessionId, path: this.path, samples: this.samples });
    this.samples = [];
  }

  summary(): { count: number; minMs: number; medianMs: number; maxMs: number } | undefined {
    if (this.all.length === 0) return undefined;
    const sorted = [...this.all].sort((a, b) => a - b);
    return { count: this.count, minMs: sorted[0]!, medianMs: sorted[Math.floor((sorted.length - 1) / 2)]!, maxMs: sorted.at(-1)! };
  }
}
