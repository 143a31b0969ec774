/**
 * The RTT summary of one session (its `session.ended` event's `rtt`): count, min, median
 * and max from a DDSketch (relative error 5 %, at most 512 bins: fixed size however long
 * the session lives, and mergeable), not from a reservoir of samples; min and max are kept
 * exactly. 5 %, not 2 %: loopback RTTs spread over 150x and took 125 bins of 2 % (1 KiB per
 * heartbeat canary, the largest cost of holding 10,000), 52 of 5 %; a median within 5 %
 * says as much to an SRE. The samples themselves go into the probe's per-minute sums
 * (agent/rtt-minutes.ts).
 */
// By file, not by the package's index or a directory: the server's bundle is ESM (which
// imports no directories), and the store, grown 16 bins at a time, is not re-exported.
import { LogCollapsingLowestDenseDDSketch } from '@datadog/sketches-js/dist/ddsketch/DDSketch.js';
import { CollapsingLowestDenseStore } from '@datadog/sketches-js/dist/ddsketch/store/CollapsingLowestDenseStore.js';

/** The sketch's guarantee: a quantile it reports is within this relative error of the true one. */
export const RTT_RELATIVE_ACCURACY = 0.05;
/** Bins kept at most: with 5 % accuracy, 1 µs to 10^19 s (nothing ever collapses). */
export const RTT_SKETCH_BINS = 512;

export interface RttSummary {
  count: number;
  minMs: number;
  medianMs: number;
  maxMs: number;
}

/** An RTT as events carry it: milliseconds rounded to the microsecond, never negative. */
export function rttMsOf(rttMs: number): number {
  return Math.max(0, Math.round(rttMs * 1000) / 1000);
}

export class SessionRtt {
  readonly #sketch = newSketch();

  /** A sample, already rounded by {@link rttMsOf}. */
  add(rttMs: number): void {
    this.#sketch.accept(rttMs);
  }

  summary(): RttSummary | undefined {
    const s = this.#sketch;
    if (s.count === 0) return undefined;
    // The sketch's median is a bin's representative: keep it inside what was seen.
    const median = Math.min(s.max, Math.max(s.min, s.getValueAtQuantile(0.5)));
    return { count: s.count, minMs: s.min, medianMs: rttMsOf(median), maxMs: s.max };
  }

  /** Bins the sketch holds (for tests: the memory bound). */
  sketchBins(): number {
    const store = (this.#sketch as unknown as { store?: { bins: unknown[] } }).store;
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
