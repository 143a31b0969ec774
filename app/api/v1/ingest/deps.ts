/** Wires the framework-free ingest handler to the database and the live feed. */
import type { Db } from '@/db/client';
import type { RecentStore } from '@/lib/recent/store';
import { storeBatch } from '@/db/queries/ingest';
import { isDatabaseUnavailable } from '@/db/unavailable';
import { authenticateProbe } from '@/db/queries/probes';
import type { IngestDeps } from '@/lib/ingest/handle-ingest';
import type { Logger } from '@/lib/log';
import { ingestMetrics } from '@/lib/metrics/ingest-metrics';
import { toFeedItem } from '@/lib/realtime/feed';
import type { LivePublisher } from '@/lib/realtime/registry';

export function ingestDeps(db: Db, options: { publisher: LivePublisher; maxBodyBytes: number; log: Logger; now?: () => Date; recent?: RecentStore }): IngestDeps {
  return {
    authenticate: (token) => authenticateProbe(db, token),
    store: async (probeId, events, now) => {
      const stored = await storeBatch(db, probeId, events, now, options.recent);
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
