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
// By file, not by the package's index or a directory: the server's bundle is ESM (which
// imports no directories), and the store, grown 16 bins at a time, is not re-exported.
import { LogCollapsingLowestDenseDDSketch } from '@datadog/sketches-js/dist/ddsketch/DDSketch.js';
import { CollapsingLowestDenseStore } from '@datadog/sketches-js/dist/ddsketch/store/CollapsingLowestDenseStore.js';
import type { PathDescriptor, RttSamples } from '../lib/contracts/ingest';
import { JSON_LINE, type WithJsonLine } from './json-line';

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
  /**
   * Wall-clock ms and RTT ms of the samples not yet shipped, in pairs: the first #used
   * numbers. Kept across batches, so a minute of samples is not a new array that lives a
   * minute, reaches the old generation and leaves garbage there for a full collection.
   */
  #pairs: number[] = [];
  #used = 0;
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

  /** A sample taken at wall-clock `atMs` (epoch ms); `monotonicNow` paces the shipping. */
  add(atMs: number, rttMs: number, monotonicNow: number): void {
    const ms = Math.max(0, Math.round(rttMs * 1000) / 1000);
    const pairs = this.#pairs;
    if (this.#used === 0) this.#firstAt = monotonicNow;
    if (this.#used < pairs.length) {
      pairs[this.#used] = atMs;
      pairs[this.#used + 1] = ms;
    } else pairs.push(atMs, ms);
    this.#used += 2;
    (this.#sketch ??= newSketch()).accept(ms);
    if (this.#used >= 2 * this.options.maxSamples || monotonicNow - this.#firstAt >= this.#batchAgeMs) this.flush();
  }

  flush(): void {
    if (this.#used === 0) return;
    const event = samplesEvent(randomUUID(), this.sessionId, this.path, this.#pairs, this.#used);
    this.#used = 0;
    this.#batchAgeMs = this.options.maxAgeMs;
    this.emit(event);
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

/**
 * The `rtt.samples` event of these (at, rttMs) pairs, carrying its JSON line written from
 * cached pieces (agent/json-line.ts); its `samples` objects are made only if read.
 * `pairs` is the buffer's own, reused: everything is read from it before this returns.
 */
function samplesEvent(id: string, sessionId: string, path: PathDescriptor, pairs: readonly number[], used: number): RttSamples & WithJsonLine {
  const parts: string[] = ['{"type":"rtt.samples","id":', JSON.stringify(id), ',"sessionId":', JSON.stringify(sessionId), ',"path":', pathJson(path), ',"samples":['];
  for (let i = 0; i < used; i += 2) {
    parts.push(i === 0 ? '{"at":"' : ',{"at":"');
    isoParts(parts, pairs[i]!);
    parts.push('","rttMs":', String(pairs[i + 1]!), '}');
  }
  parts.push(']}');
  const line = parts.join('');
  let samples: RttSamples['samples'] | undefined;
  return {
    type: 'rtt.samples',
    id,
    sessionId,
    path,
    // Read back from the line (the pairs are reused for the next batch): by construction
    // what the backend will read.
    get samples() {
      samples ??= (JSON.parse(line) as RttSamples).samples;
      return samples;
    },
    [JSON_LINE]: line,
  };
}

/** Path descriptors are interned (agent/canary.ts): their JSON is made once each. */
const pathJsons = new WeakMap<PathDescriptor, string>();
function pathJson(path: PathDescriptor): string {
  let json = pathJsons.get(path);
  if (json === undefined) pathJsons.set(path, (json = JSON.stringify(path)));
  return json;
}

/** Day prefixes (`2026-12-06T`) already formatted: one per day seen, at most a few. */
let dayPrefix = { day: NaN, text: '' };
const TWO = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const THREE = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/** Push the pieces of `new Date(ms).toISOString()` onto `parts`: cached strings only. */
function isoParts(parts: string[], ms: number): void {
  const t = Math.round(ms);
  const day = Math.floor(t / 86_400_000);
  if (day !== dayPrefix.day) dayPrefix = { day, text: new Date(day * 86_400_000).toISOString().slice(0, 11) };
  let rest = t - day * 86_400_000;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const sec = Math.floor(rest / 1000);
  parts.push(dayPrefix.text, TWO[h]!, ':', TWO[m]!, ':', TWO[sec]!, '.', THREE[rest - sec * 1000]!, 'Z');
}

/** `new Date(ms).toISOString()` without the Date (V8 formats an ISO date with snprintf). */
export function isoInstant(ms: number): string {
  const parts: string[] = [];
  isoParts(parts, ms);
  return parts.join('');
}
