/** Wires the framework-free ingest handler to the database and the live feed. */
import { getDatabase, type Db } from '@/db/client';
import { storeBatch } from '@/db/queries/ingest';
import { isDatabaseUnavailable } from '@/db/unavailable';
import { authenticateProbe } from '@/db/queries/probes';
import type { IngestDeps } from '@/lib/ingest/handle-ingest';
import { ingestMaxBytes } from '@/lib/config/server-env';
import { moduleLogger, rootLogger, type Logger } from '@/lib/log';
import { ingestMetrics, type BatchResult } from '@/lib/metrics/ingest-metrics';
import { toFeedItem } from '@/lib/realtime/feed';
import { livePublisher, type LivePublisher } from '@/lib/realtime/registry';

export function ingestDeps(db: Db, options: { publisher: LivePublisher; maxBodyBytes: number; log: Logger; now?: () => Date }): IngestDeps {
  return {
    authenticate: (token) => authenticateProbe(db, token),
    store: async (probeId, events, now) => {
      const stored = await storeBatch(db, probeId, events, now);
      ingestMetrics().applied(stored.applied, stored.duplicates);
      return stored;
    },
    publish: (probe, applied) => options.publisher.publish(applied.map((e) => toFeedItem(probe, e))),
    now: options.now ?? (() => new Date()),
    maxBodyBytes: options.maxBodyBytes,
    log: options.log,
    unavailable: isDatabaseUnavailable,
  };
}

/** The dependencies of a request served by this process: its database and live feed. */
export function installedIngestDeps(): IngestDeps {
  const database = getDatabase();
  return ingestDeps(database.db, {
    publisher: livePublisher(),
    maxBodyBytes: ingestMaxBytes(),
    log: moduleLogger(rootLogger(), 'ingest'),
  });
}

/** The status an answer is counted under in the ingest metrics. */
export const BATCH_RESULT: Record<number, BatchResult> = { 200: 'ok', 400: 'bad_request', 401: 'unauthorized', 413: 'too_large', 415: 'unsupported', 503: 'unavailable' };
