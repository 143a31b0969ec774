/**
 * Prometheus metrics of the backend, served at /metrics. Counters are fed by the ingest
 * path (shared with Next's bundle through globalThis, like the database); gauges that
 * describe the stored state (live sessions per path) are read from the database at scrape
 * time. Path labels are bounded (lib/metrics/bounded-labels.ts).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Database } from '../db/client';
import { canarySessions, probes } from '../db/schema';
import { installIngestMetrics } from '../lib/metrics/ingest-metrics';
import { RttHistogram } from './rtt-histogram';
import { BoundedLabel, closeCodeLabel } from '../lib/metrics/bounded-labels';
import type { Logger } from '../lib/log';

const MAX_PATHS = 500;
const MAX_PROBES = 500;

/**
 * One read shared by the gauges of one scrape: prom-client starts every metric's collect()
 * in the same tick, so the first starts the query and the others join it; the next scrape
 * reads again. No clock, no stale cache.
 */
export function sharedRead<T>(read: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | null = null;
  return () => (inFlight ??= read().finally(() => (inFlight = null)));
}

export function createServerMetrics(database: Database, log: Logger): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'dropscope_' });
  const paths = new BoundedLabel(MAX_PATHS);

  const batches = new Counter({ name: 'dropscope_ingest_batches_total', help: 'Ingest requests by result.', labelNames: ['result'], registers: [registry] });
  const events = new Counter({ name: 'dropscope_ingest_events_total', help: 'Ingest events by type and result (accepted, duplicate).', labelNames: ['type', 'result'], registers: [registry] });
  const duration = new Histogram({ name: 'dropscope_ingest_duration_seconds', help: 'Time to validate and store one ingest batch.', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [registry] });
  const drops = new Counter({ name: 'dropscope_drops_total', help: 'Sessions that ended not by their probe, by path, ending and close code.', labelNames: ['path', 'end_kind', 'close_code'], registers: [registry] });
  const upgrades = new Counter({ name: 'dropscope_upgrade_results_total', help: 'Connection attempts by result: 101, the refusing HTTP status class, proxy refusal, dial failure.', labelNames: ['result'], registers: [registry] });
  const rtt = new RttHistogram(registry);

  installIngestMetrics({
    batch: (result, seconds) => {
      batches.inc({ result });
      if (seconds !== undefined) duration.observe(seconds);
    },
    applied: (applied, duplicates) => {
      for (const e of applied) {
        events.inc({ type: e.type, result: 'accepted' });
        if (e.type === 'session.ended' && e.endKind !== 'probe_closed') {
          drops.inc({ path: paths.of(`${e.path.target.name}~${e.path.proxy.name}`), end_kind: e.endKind, close_code: closeCodeLabel(e.closeCode) });
        } else if (e.type === 'session.opened') {
          upgrades.inc({ result: '101' });
        } else if (e.type === 'attempt.failed') {
          upgrades.inc({ result: e.outcome === 'upgrade_refused' ? `${Math.floor((e.httpStatus ?? 0) / 100)}xx` : e.outcome });
        } else if (e.type === 'rtt.minute') {
          rtt.addBuckets(e.buckets, e.sumMs);
        } else if (e.type === 'rtt.samples') {
          for (const s of e.samples) rtt.observe(s.rttMs);
        }
      }
      if (duplicates > 0) events.inc({ type: 'any', result: 'duplicate' }, duplicates);
    },
  });

  new Gauge({
    name: 'dropscope_sessions_live',
    help: 'Canary sessions open right now, by path (target~proxy).',
    labelNames: ['path'],
    registers: [registry],
    async collect() {
      this.reset();
      try {
        const rows = await database.db
          .select({ target: canarySessions.targetName, proxy: canarySessions.proxyName, n: sql<number>`count(*)`.mapWith(Number) })
          .from(canarySessions)
          .where(and(eq(canarySessions.outcome, 'opened'), isNull(canarySessions.endedAt)))
          .groupBy(canarySessions.targetName, canarySessions.proxyName);
        for (const r of rows) this.inc({ path: paths.of(`${r.target}~${r.proxy}`) }, r.n);
      } catch (err) {
        log.error({ err }, 'reading live sessions for /metrics failed');
      }
    },
  });

  registerProbeHeartbeatGauges(registry, database, log);

  // Whether the gauges read from the database are current: while it cannot be reached
  // /metrics still answers (process metrics, counters), and this says the rest is stale.
  new Gauge({
    name: 'dropscope_database_up',
    help: '1 when the database answered this scrape, 0 when it could not be reached (the database gauges are then stale).',
    registers: [registry],
    async collect() {
      try {
        await database.db.execute(sql`select 1`);
        this.set(1);
      } catch (err) {
        this.set(0);
        log.warn({ err }, 'the database did not answer the /metrics scrape');
      }
    },
  });
  return registry;
}

/**
 * What each probe said in its latest heartbeat (the `probes` row the ingest merge keeps), by
 * probe name: spool depth, canaries by state, last seen. A Grafana user sees every probe's
 * backlog from the server's scrape alone, without reaching each probe's own listener
 * (which is opt-in and often behind NAT). Revoked probes and standalone targets are left
 * out. Names are `dropscope_probes_*`, apart from the probe's own `dropscope_probe_*`.
 */
function registerProbeHeartbeatGauges(registry: Registry, database: Database, log: Logger): void {
  const names = new BoundedLabel(MAX_PROBES);
  const read = sharedRead(async () => {
    try {
      return await database.db
        .select({ name: probes.name, lastSeenAt: probes.lastSeenAt, spoolDepth: probes.spoolDepth, open: probes.canariesOpen, connecting: probes.canariesConnecting, backoff: probes.canariesBackoff })
        .from(probes)
        .where(and(eq(probes.kind, 'probe'), isNull(probes.revokedAt)));
    } catch (err) {
      log.error({ err }, 'reading probe heartbeats for /metrics failed');
      return null;
    }
  });
  new Gauge({
    name: 'dropscope_probes_last_seen_timestamp_seconds',
    help: 'When each probe last reported (seconds since the epoch), by probe name; absent for a probe never seen.',
    labelNames: ['probe'],
    registers: [registry],
    async collect() {
      const rows = await read();
      if (!rows) return;
      this.reset();
      // Past the bound, "other" carries the latest of the probes it stands for.
      const latest = new Map<string, number>();
      for (const r of rows) {
        if (!r.lastSeenAt) continue;
        const probe = names.of(r.name);
        latest.set(probe, Math.max(latest.get(probe) ?? 0, r.lastSeenAt.getTime() / 1000));
      }
      for (const [probe, at] of latest) this.set({ probe }, at);
    },
  });
  new Gauge({
    name: 'dropscope_probes_spool_depth',
    help: "Events waiting in each probe's spool, as its latest heartbeat said, by probe name.",
    labelNames: ['probe'],
    registers: [registry],
    async collect() {
      const rows = await read();
      if (!rows) return;
      this.reset();
      for (const r of rows) if (r.spoolDepth !== null) this.inc({ probe: names.of(r.name) }, r.spoolDepth);
    },
  });
  new Gauge({
    name: 'dropscope_probes_canaries',
    help: "Each probe's canaries by state (open, connecting, backoff), as its latest heartbeat said, by probe name.",
    labelNames: ['probe', 'state'],
    registers: [registry],
    async collect() {
      const rows = await read();
      if (!rows) return;
      this.reset();
      for (const r of rows) {
        const probe = names.of(r.name);
        for (const [state, n] of [['open', r.open], ['connecting', r.connecting], ['backoff', r.backoff]] as const) if (n !== null) this.inc({ probe, state }, n);
      }
    },
  });
}
