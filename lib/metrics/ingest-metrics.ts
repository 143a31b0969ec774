/**
 * The ingest path's metric hooks, installed by the server (which owns the Prometheus
 * registry) and called from the route handler, which Next bundles separately: shared
 * through globalThis. Without a server (tests, CLI) the hooks do nothing.
 */
import type { IngestEvent } from '../contracts/ingest';

export type BatchResult = 'ok' | 'bad_request' | 'unauthorized' | 'too_large' | 'unsupported' | 'unavailable' | 'error';

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
