/**
 * The probe's own Prometheus metrics, on an opt-in listener (`metrics.listen` in the
 * config, e.g. 127.0.0.1:9464): canaries by state, drops by path and ending, round trips
 * by path (`dropscope_probe_rtt_seconds`, from the minutes the probe ships), spool depth,
 * evictions and health (writable, events held in memory, lost), reports sent and failed,
 * the token refused, poison events isolated, the server plan applied and its fetch failures.
 * Path labels are bounded.
 */
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Registry, collectDefaultMetrics, type Metric, type MetricValueWithName } from 'prom-client';
import type { IngestEvent } from '../lib/contracts/ingest';
import { RTT_BUCKET_COUNT } from '../lib/rtt/buckets';
import { BoundedLabel } from '../lib/metrics/bounded-labels';
import type { Reporter } from './reporter';
import type { Runner } from './runner';
import type { Spool } from './spool';

export interface ProbeMetrics {
  registry: Registry;
  /** Count what the canaries report (drops, attempts). */
  observe(event: IngestEvent): void;
  /** Start serving /metrics on host:port; resolves with the bound port. */
  listen(hostPort: string): Promise<number>;
  close(): Promise<void>;
}

/** What the metrics read of the server plan the probe follows. */
export interface PlanMetricsSource {
  /** When a server plan was last applied (epoch ms); null before the first. */
  appliedAt: number | null;
  /** Plan fetches that failed, since start. */
  fetchFailures: number;
}

export function createProbeMetrics(sources: { runner: () => Runner | undefined; spool: Spool; reporter: Reporter; plan?: () => PlanMetricsSource | undefined }): ProbeMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'dropscope_probe_' });
  const paths = new BoundedLabel(200);
  const drops = new Counter({ name: 'dropscope_probe_drops_total', help: 'Canary sessions that ended not by the probe, by path and ending.', labelNames: ['path', 'end_kind'], registers: [registry] });
  const rtt = new PathRttHistogram(registry);
  const attempts = new Counter({ name: 'dropscope_probe_attempts_total', help: 'Connection attempts by outcome.', labelNames: ['outcome'], registers: [registry] });
  new Gauge({
    name: 'dropscope_probe_canaries',
    help: 'Canaries by state.',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const c = sources.runner()?.counts() ?? { open: 0, connecting: 0, backoff: 0 };
      for (const [state, n] of Object.entries(c)) this.set({ state }, n);
    },
  });
  new Gauge({ name: 'dropscope_probe_spool_depth', help: 'Events waiting in the spool for the backend.', registers: [registry], collect() { this.set(sources.spool.depth()); } });
  new Gauge({ name: 'dropscope_probe_spool_evicted_events', help: 'Events dropped because the spool hit its size bound (since start).', registers: [registry], collect() { this.set(sources.spool.droppedEvents()); } });
  new Gauge({ name: 'dropscope_probe_reported_events', help: 'Events the backend acknowledged (since start).', registers: [registry], collect() { this.set(sources.reporter.stats().sent); } });
  new Gauge({ name: 'dropscope_probe_report_failures', help: 'Failed report requests, retried (since start).', registers: [registry], collect() { this.set(sources.reporter.stats().failures); } });
  new Gauge({ name: 'dropscope_probe_dead_lettered_events', help: 'Events the backend refused as invalid, kept in dead-letter.jsonl (since start).', registers: [registry], collect() { this.set(sources.reporter.stats().deadLettered); } });
  // A spool the disk refuses (full, read-only, removed) holds events in memory: said here.
  new Gauge({ name: 'dropscope_probe_spool_writable', help: '1 while the spool directory takes writes; 0 while events are held in memory instead (disk full, read-only, removed).', registers: [registry], collect() { this.set(sources.spool.health().writable ? 1 : 0); } });
  new Gauge({ name: 'dropscope_probe_spool_memory_events', help: 'Events held in memory because the spool directory refuses writes.', registers: [registry], collect() { this.set(sources.spool.health().memoryEvents); } });
  new Gauge({ name: 'dropscope_probe_spool_lost_events', help: 'Events lost because the spool directory was unusable: the memory buffer overflowed, or segments were removed (since start).', registers: [registry], collect() { this.set(sources.spool.health().lostEvents); } });
  new Gauge({ name: 'dropscope_probe_backend_unauthorized', help: '1 while the backend refuses the probe token (HTTP 401): sending is paused, events stay in the spool.', registers: [registry], collect() { this.set(sources.reporter.stats().unauthorized ? 1 : 0); } });
  new Gauge({ name: 'dropscope_probe_report_isolations', help: 'Times a batch refused the same way repeatedly was bisected to find the event causing it (since start).', registers: [registry], collect() { this.set(sources.reporter.stats().isolations); } });

  new Gauge({
    name: 'dropscope_probe_plan_applied_timestamp',
    help: 'When the probe last applied a plan from the server (seconds since the epoch); absent before the first.',
    registers: [registry],
    collect() {
      const at = sources.plan?.()?.appliedAt;
      if (at === null || at === undefined) this.reset();
      else this.set(at / 1000);
    },
  });
  // A counter (it only grows, and its name says _total): Prometheus' rate() and promtool's
  // lint expect the type to match. The follower keeps the count; a scrape copies it in.
  new Counter({
    name: 'dropscope_probe_plan_fetch_failures_total',
    help: 'Plan fetches from the server that failed and were retried (since start).',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(sources.plan?.()?.fetchFailures ?? 0);
    },
  });

  let server: Server | null = null;
  return {
    registry,
    observe(e) {
      if (e.type === 'session.ended' && e.endKind !== 'probe_closed') drops.inc({ path: paths.of(`${e.path.target.name}~${e.path.proxy.name}`), end_kind: e.endKind });
      else if (e.type === 'session.opened') attempts.inc({ outcome: 'opened' });
      else if (e.type === 'attempt.failed') attempts.inc({ outcome: e.outcome });
      else if (e.type === 'rtt.minute') rtt.add(paths.of(`${e.path.target.name}~${e.path.proxy.name}`), e.buckets, e.sumMs);
    },
    async listen(hostPort) {
      const i = hostPort.lastIndexOf(':');
      const host = hostPort.slice(0, i).replace(/^\[|\]$/g, '');
      const port = Number(hostPort.slice(i + 1));
      server = createServer((req, res) => {
        if (req.url !== '/metrics') return void res.writeHead(404).end();
        registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
          () => res.writeHead(500).end(),
        );
      });
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(port, host, resolve);
      });
      return (server.address() as { port: number }).port;
    },
    close: () => new Promise((resolve) => (server ? server.close(() => resolve()) : resolve())),
  };
}

/** Every fourth bound of lib/rtt/buckets.ts's scale from bucket 4 on: 0.5 ms × 2^k, to 32.768 s. */
const RTT_FIRST = 4;
const RTT_STEP = 4;
const rttLeSeconds = (b: number) => 0.0005 * 2 ** ((b - RTT_FIRST) / RTT_STEP);

/**
 * `dropscope_probe_rtt_seconds{path}`: the round trips of this probe's canaries as a
 * Prometheus histogram, fed with each `rtt.minute` the probe ships (counts already on the
 * log scale of lib/rtt/buckets.ts; prom-client's Histogram observes one value at a time).
 * The `le` bounds are the server's `dropscope_rtt_seconds` bounds, so every count lands in
 * its bucket exactly and the two can be compared. Updated once a minute per path, when the
 * minute is shipped.
 */
class PathRttHistogram {
  readonly name = 'dropscope_probe_rtt_seconds';
  readonly help = "Round trips (ping/pong, echo) of this probe's canaries by path, counted when each minute is shipped.";
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #paths = new Map<string, { counts: number[]; sumMs: number }>();

  constructor(registry: Registry) {
    // prom-client's registry reads a metric through name, help, type, get() and reset().
    registry.registerMetric(this as unknown as Metric);
  }

  add(path: string, buckets: readonly number[], sumMs: number): void {
    let p = this.#paths.get(path);
    if (!p) this.#paths.set(path, (p = { counts: new Array<number>(RTT_BUCKET_COUNT).fill(0), sumMs: 0 }));
    buckets.forEach((c, i) => (p.counts[i] = (p.counts[i] ?? 0) + c));
    p.sumMs += sumMs;
  }

  reset(): void {
    this.#paths.clear();
  }

  async get(): Promise<{ name: string; help: string; type: 'histogram'; values: MetricValueWithName<string>[]; aggregator: 'sum' }> {
    const values: MetricValueWithName<string>[] = [];
    for (const [path, p] of this.#paths) {
      let cumulative = 0;
      let i = 0;
      for (let b = RTT_FIRST; b < RTT_BUCKET_COUNT - 1; b += RTT_STEP) {
        for (; i <= b; i++) cumulative += p.counts[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { path, le: rttLeSeconds(b) }, value: cumulative });
      }
      for (; i < RTT_BUCKET_COUNT; i++) cumulative += p.counts[i]!;
      values.push({ metricName: `${this.name}_bucket`, labels: { path, le: '+Inf' }, value: cumulative });
      values.push({ metricName: `${this.name}_sum`, labels: { path }, value: p.sumMs / 1000 });
      values.push({ metricName: `${this.name}_count`, labels: { path }, value: cumulative });
    }
    return { name: this.name, help: this.help, type: 'histogram', values, aggregator: 'sum' };
  }
}
