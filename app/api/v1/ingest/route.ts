import { getDatabase } from '@/db/client';
import { ingestMaxBytes } from '@/lib/config/server-env';
import { handleIngest } from '@/lib/ingest/handle-ingest';
import { rootLogger } from '@/lib/log';
import { livePublisher } from '@/lib/realtime/registry';
import { ingestDeps } from './deps';

export const dynamic = 'force-dynamic';

export async function POST(request: Request): Promise<Response> {
  return handleIngest(
    request,
    ingestDeps(getDatabase().db, {
      publisher: livePublisher(),
      maxBodyBytes: ingestMaxBytes(),
      log: rootLogger().child({ module: 'ingest' }),
    }),
  );
}
