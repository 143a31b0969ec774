/**
 * The ingest path's metric hooks, installed by the server (which owns the Prometheus
 * registry) and called from the route handler, which Next bundles separately: shared
 * through globalThis. Without a server (tests, CLI) the hooks do nothing.
 */
import type { IngestEvent } from '../contracts/ingest';

/**
 * dropscope_ingest_batches_total{result}: what each answer means to whoever is paged.
 * `forbidden` (a token writing what it may not), `conflict` (another probe's session),
 * `rate_limited` and `timeout` (a body that did not arrive) are apart from `bad_request` and
 * `unavailable`, which say the probe sent garbage or the database is away.
 */
export type BatchResult = 'ok' | 'bad_request' | 'unauthorized' | 'forbidden' | 'conflict' | 'rate_limited' | 'timeout' | 'too_large' | 'unsupported' | 'unavailable' | 'error';

export interface IngestMetrics {
  batch(result: BatchResult, seconds?: number): void;
  applied(applied: readonly IngestEvent[], duplicates: number): void;
}

const KEY = Symbol.for('dropscope.ingest-metrics');
type Holder = { [KEY]?: IngestMetrics };
const NONE: IngestMetrics = { batch: () => {}, applied: () => {} };

export function installIngestMetrics(m: IngestMetrics | undefined): void {
  (globalThis as Holder)[KEY] = m;
}

export function ingestMetrics(): IngestMetrics {
  return (globalThis as Holder)[KEY] ?? NONE;
}
