/**
 * RTT samples of one session, shipped in `rtt.samples` events: at most every minute (the
 * first batch sooner, at a random point of its minute) or every `maxSamples`, and at the
 * end, so a long session's samples arrive while it lives.
 *
 * Memory per heartbeat canary is the product's cost on an edge host, so the pending samples
 * are two arrays of numbers (unboxed doubles), turned into the event's objects and ISO
 * strings only when shipped; and the session's summary comes from a DDSketch (relative
 * error 5 %, at most 512 bins: fixed size however long the session lives, and mergeable),
 * not from a reservoir of samples; min and max are kept exactly. 5 %, not 2 %: loopback
 * RTTs spread over 150x and took 125 bins of 2 % (1 KiB per heartbeat canary, the largest
 * cost of holding 10,000), 52 of 5 %; a median within 5 % says as much to an SRE.
 */
import { randomUUID } from 'node:crypto';
import { LogCollapsingLowestDenseDDSketch } from '@datadog/sketches-js';
// Not re-exported by the package's index: the store, to grow its bins 16 at a time.
import { CollapsingLowestDenseStore } from '@datadog/sketches-js/dist/ddsketch/store';
import type { PathDescriptor, RttSamples } from '../lib/contracts/ingest';

/** The sketch's guarantee: a quantile it reports is within this relative error of the true one. */
export const RTT_RELATIVE_ACCURACY = 0.05;
/** Bins kept at most: with 5 % accuracy, 1 µs to 10^19 s (nothing ever collapses). */
export const RTT_SKETCH_BINS = 512;

export interface RttShipping {
  /** Ship when this many samples are pending. */
  maxSamples: number;
  /** Ship when the oldest pending sample is this old (ms). */
  maxAgeMs: number;
}

const DEFAULT_SHIPPING: RttShipping = { maxSamples: 1000, maxAgeMs: 60_000 };

export interface RttSummary {
  count: number;
  minMs: number;
  medianMs: number;
  maxMs: number;
}

export class RttBuffer {
  /** Wall-clock ms and RTT ms of the samples not yet shipped, in pairs. */
  #pending: number[] = [];
  #firstAt = 0;
  /** How long the pending batch may wait: maxAgeMs, or a random share of it for the first. */
  #batchAgeMs: number;
  #sketch: LogCollapsingLowestDenseDDSketch | null = null;

  constructor(
    private readonly sessionId: string,
    private readonly path: PathDescriptor,
    private readonly emit: (e: RttSamples) => void,
    private readonly options: RttShipping = DEFAULT_SHIPPING,
    random: () => number = Math.random,
  ) {
    // Canaries that opened together (a probe's start, a mass reconnect) would ship their
    // samples together every minute: thousands of events, and their garbage, in one burst
    // that sets the heap's high-water mark. The first batch waits a random share of the
    // minute, so their batches spread over it.
    this.#batchAgeMs = Math.max(1, Math.ceil(random() * options.maxAgeMs));
  }

  get count(): number {
    return this.#sketch?.count ?? 0;
  }

  /** A sample taken at wall-clock `atMs` (epoch ms); `monotonicNow` paces the shipping. */
  add(atMs: number, rttMs: number, monotonicNow: number): void {
    const ms = Math.max(0, Math.round(rttMs * 1000) / 1000);
    const pending = this.#pending;
    if (pending.length === 0) this.#firstAt = monotonicNow;
    pending.push(atMs, ms);
    (this.#sketch ??= newSketch()).accept(ms);
    if (pending.length >= 2 * this.options.maxSamples || monotonicNow - this.#firstAt >= this.#batchAgeMs) this.flush();
  }

  flush(): void {
    const pending = this.#pending;
    const n = pending.length / 2;
    if (n === 0) return;
    const samples = new Array<{ at: string; rttMs: number }>(n);
    for (let i = 0; i < n; i++) samples[i] = { at: isoInstant(pending[2 * i]!), rttMs: pending[2 * i + 1]! };
    this.#pending = [];
    this.#batchAgeMs = this.options.maxAgeMs;
    this.emit({ type: 'rtt.samples', id: randomUUID(), sessionId: this.sessionId, path: this.path, samples });
  }

  summary(): RttSummary | undefined {
    const s = this.#sketch;
    if (!s || s.count === 0) return undefined;
    const round = (v: number) => Math.round(v * 1000) / 1000;
    // The sketch's median is a bin's representative: keep it inside what was seen.
    const median = Math.min(s.max, Math.max(s.min, s.getValueAtQuantile(0.5)));
    return { count: s.count, minMs: s.min, medianMs: round(median), maxMs: s.max };
  }

  /** Bins the sketch holds (for tests: the memory bound). */
  sketchBins(): number {
    const store = (this.#sketch as unknown as { store?: { bins: unknown[] } } | null)?.store;
    return store?.bins.length ?? 0;
  }
}

/**
 * The sketch with its bins grown 16 at a time instead of the store's default 128: a
 * session's RTTs usually span a few dozen bins, and 128 numbers per heartbeat canary were
 * the largest single cost of a probe holding thousands.
 */
function newSketch(): LogCollapsingLowestDenseDDSketch {
  const sketch = new LogCollapsingLowestDenseDDSketch({ relativeAccuracy: RTT_RELATIVE_ACCURACY, binLimit: RTT_SKETCH_BINS });
  sketch.store = new CollapsingLowestDenseStore(RTT_SKETCH_BINS, 16);
  return sketch;
}

/** Day prefixes (`2026-12-06T`) already formatted: one per day seen, at most a few. */
let dayPrefix = { day: NaN, text: '' };
const TWO = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const THREE = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/**
 * `new Date(ms).toISOString()` without the Date: a heartbeat canary's minute of samples is
 * 60 of these, and V8 formats an ISO date with snprintf.
 */
export function isoInstant(ms: number): string {
  const t = Math.round(ms);
  const day = Math.floor(t / 86_400_000);
  if (day !== dayPrefix.day) dayPrefix = { day, text: new Date(day * 86_400_000).toISOString().slice(0, 11) };
  let rest = t - day * 86_400_000;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const sec = Math.floor(rest / 1000);
  return `${dayPrefix.text}${TWO[h]}:${TWO[m]}:${TWO[sec]}.${THREE[rest - sec * 1000]}Z`;
}
