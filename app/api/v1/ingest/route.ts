import { getDatabase } from '@/db/client';
import { ingestMaxBytes } from '@/lib/config/server-env';
import { handleIngest } from '@/lib/ingest/handle-ingest';
import { moduleLogger, rootLogger } from '@/lib/log';
import { ingestMetrics, type BatchResult } from '@/lib/metrics/ingest-metrics';
import { livePublisher } from '@/lib/realtime/registry';
import { ingestDeps } from './deps';

export const dynamic = 'force-dynamic';

const RESULT: Record<number, BatchResult> = { 200: 'ok', 400: 'bad_request', 401: 'unauthorized', 413: 'too_large', 415: 'unsupported', 503: 'unavailable' };

export async function POST(request: Request): Promise<Response> {
  const started = performance.now();
  const database = getDatabase();
  const response = await handleIngest(
    request,
    ingestDeps(database.db, {
      recent: database.recent,
      publisher: livePublisher(),
      maxBodyBytes: ingestMaxBytes(),
      log: moduleLogger(rootLogger(), 'ingest'),
    }),
  );
  ingestMetrics().batch(RESULT[response.status] ?? 'error', (performance.now() - started) / 1000);
  return response;
}
