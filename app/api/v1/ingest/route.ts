import { handleIngest } from '@/lib/ingest/handle-ingest';
import { ingestMetrics } from '@/lib/metrics/ingest-metrics';
import { BATCH_RESULT, installedIngestDeps } from './deps';

export const dynamic = 'force-dynamic';

export async function POST(request: Request): Promise<Response> {
  const started = performance.now();
  const response = await handleIngest(request, installedIngestDeps());
  ingestMetrics().batch(BATCH_RESULT[response.status] ?? 'error', (performance.now() - started) / 1000);
  return response;
}
