/**
 * `dropscope_rtt_seconds`: the round trips probes report, as a Prometheus histogram fed
 * with counts already bucketed. Probes ship a path's minute as counts on the log scale of
 * lib/rtt/buckets.ts (`rtt.minute`), not as samples, and prom-client's Histogram only
 * observes one value at a time. Its `le` bounds are the scale's powers of two (every
 * fourth bound: 0.5 ms to 32.768 s), so every count lands in its bucket exactly, and
 * `_sum` is the probes' own sum.
 */
import type { Metric, MetricValueWithName, Registry } from 'prom-client';
import { RTT_BUCKET_COUNT, rttBucketIndex } from '../lib/rtt/buckets';

const NAME = 'dropscope_rtt_seconds';
/** Every fourth bound of the scale from bucket 4 on: 0.5 ms × 2^k. */
const STEP = 4;
const FIRST = 4;
/** The bound of bucket FIRST + STEP × k in seconds, written exactly (not 0.25 × 2^(b/4)). */
const leSeconds = (b: number) => 0.0005 * 2 ** ((b - FIRST) / STEP);

export class RttHistogram {
  readonly name = NAME;
  readonly help = 'Ping/pong and echo round trips reported by probes.';
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  /** Counts per bucket of lib/rtt/buckets.ts; folded into `le` bounds when scraped. */
  readonly #counts = new Array<number>(RTT_BUCKET_COUNT).fill(0);
  #sumMs = 0;

  constructor(registry: Registry) {
    // prom-client's registry reads a metric through name, help, type, get() and reset();
    // its types name only its own classes.
    registry.registerMetric(this as unknown as Metric);
  }

  /** One minute's counts on the scale of lib/rtt/buckets.ts and their sum (ms). */
  addBuckets(buckets: readonly number[], sumMs: number): void {
    buckets.forEach((c, i) => (this.#counts[i] = (this.#counts[i] ?? 0) + c));
    this.#sumMs += sumMs;
  }

  /** One sample (ms). */
  observe(rttMs: number): void {
    const i = rttBucketIndex(rttMs);
    this.#counts[i] = (this.#counts[i] ?? 0) + 1;
    this.#sumMs += rttMs;
  }

  reset(): void {
    this.#counts.fill(0);
    this.#sumMs = 0;
  }

  /** What the registry reads at a scrape (the shape prom-client's own metrics return). */
  async get(): Promise<{ name: string; help: string; type: 'histogram'; values: MetricValueWithName<string>[]; aggregator: 'sum' }> {
    const values: MetricValueWithName<string>[] = [];
    let cumulative = 0;
    let i = 0;
    for (let b = FIRST; b < RTT_BUCKET_COUNT - 1; b += STEP) {
      for (; i <= b; i++) cumulative += this.#counts[i]!;
      values.push({ metricName: `${NAME}_bucket`, labels: { le: leSeconds(b) }, value: cumulative });
    }
    for (; i < RTT_BUCKET_COUNT; i++) cumulative += this.#counts[i]!;
    values.push({ metricName: `${NAME}_bucket`, labels: { le: '+Inf' }, value: cumulative });
    values.push({ metricName: `${NAME}_sum`, labels: {}, value: this.#sumMs / 1000 });
    values.push({ metricName: `${NAME}_count`, labels: {}, value: cumulative });
    return { name: NAME, help: this.help, type: 'histogram', values, aggregator: 'sum' };
  }
}
