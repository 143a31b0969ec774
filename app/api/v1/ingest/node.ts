/**
 * `POST /api/v1/ingest` for server.ts to serve on node:http before Next (as it serves
 * /metrics): the route's handler, dependencies and metrics, without Next's request adapter
 * and web streams (issue 14; bench/README.md has the figures). route.ts stays for a server
 * that does not do this (and answers the same).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { serveIngest } from '@/lib/ingest/serve-node';
import { ingestMetrics } from '@/lib/metrics/ingest-metrics';
import { BATCH_RESULT, installedIngestDeps } from './deps';

/** The path served here; anything else (a trailing slash included) stays with Next. */
export const INGEST_PATH = '/api/v1/ingest';

/** Whether server.ts should hand `req` to serveIngestRequest. */
export function isIngestRequest(req: IncomingMessage): boolean {
  if (req.method !== 'POST' || !req.url) return false;
  const q = req.url.indexOf('?');
  return (q < 0 ? req.url : req.url.slice(0, q)) === INGEST_PATH;
}

/** Answers `req`; rejects only on an unexpected failure the caller logs (answered 500 if still possible). */
export async function serveIngestRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = performance.now();
  const status = await serveIngest(req, res, installedIngestDeps());
  ingestMetrics().batch(BATCH_RESULT[status] ?? 'error', (performance.now() - started) / 1000);
}
