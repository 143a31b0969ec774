/** Wires the framework-free ingest handler to the database and the live feed. */
import { getDatabase, type Db } from '@/db/client';
import { refusedData, storeBatch } from '@/db/queries/ingest';
import { isDatabaseUnavailable } from '@/db/unavailable';
import { authenticateProbe } from '@/db/queries/probes';
import { DEFAULT_INGEST_LIMITS, type IngestLimits } from '@/lib/contracts/ingest';
import type { IngestDeps } from '@/lib/ingest/handle-ingest';
import { processRateLimiter, type IngestRateLimiter } from '@/lib/ingest/rate-limit';
import { ingestMaxBytes, ingestSettings } from '@/lib/config/server-env';
import { moduleLogger, rootLogger, type Logger } from '@/lib/log';
import { ingestMetrics, type BatchResult } from '@/lib/metrics/ingest-metrics';
import { toFeedItem } from '@/lib/realtime/feed';
import { livePublisher, type LivePublisher } from '@/lib/realtime/registry';

export interface IngestDepsOptions {
  publisher: LivePublisher;
  maxBodyBytes: number;
  log: Logger;
  /** The server's clock (default the wall clock): plausibility and the rate limit are measured on it. */
  now?: () => Date;
  /** Plausibility limits (default DEFAULT_INGEST_LIMITS). */
  limits?: Partial<IngestLimits>;
  /** Default none. */
  rateLimiter?: IngestRateLimiter | null;
  /** Default 10 s. */
  bodyTimeoutMs?: number;
}

export function ingestDeps(db: Db, options: IngestDepsOptions): IngestDeps {
  const limits: IngestLimits = { ...DEFAULT_INGEST_LIMITS, ...options.limits };
  return {
    authenticate: (token) => authenticateProbe(db, token),
    store: async (probe, events, now) => {
      const stored = await storeBatch(db, probe.id, events, now, { reporter: { kind: probe.kind, name: probe.name }, limits });
      ingestMetrics().applied(stored.applied, stored.duplicates);
      return stored;
    },
    publish: (probe, applied) => options.publisher.publish(applied.map((e) => toFeedItem(probe, e))),
    now: options.now ?? (() => new Date()),
    maxBodyBytes: options.maxBodyBytes,
    bodyTimeoutMs: options.bodyTimeoutMs ?? 10_000,
    limits,
    rateLimiter: options.rateLimiter ?? null,
    log: options.log,
    unavailable: isDatabaseUnavailable,
    refused: refusedData,
  };
}

/** The dependencies of a request served by this process: its database, live feed, settings and rate limiter. */
export function installedIngestDeps(): IngestDeps {
  const database = getDatabase();
  const settings = ingestSettings();
  return ingestDeps(database.db, {
    publisher: livePublisher(),
    maxBodyBytes: ingestMaxBytes(),
    log: moduleLogger(rootLogger(), 'ingest'),
    limits: settings.limits,
    rateLimiter: processRateLimiter(settings.rate),
    bodyTimeoutMs: settings.bodyTimeoutMs,
  });
}

/**
 * The status an answer is counted under in the ingest metrics. The metrics have no label
 * of their own yet for a refused reporter, a slow body or the rate limit: 403 counts as
 * unauthorized, 408 and 409 as bad requests, 429 as unavailable (the probe waits and resends).
 */
export const BATCH_RESULT: Record<number, BatchResult> = {
  200: 'ok',
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  408: 'timeout',
  409: 'conflict',
  413: 'too_large',
  415: 'unsupported',
  429: 'rate_limited',
  503: 'unavailable',
};
