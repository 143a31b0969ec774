import { getDatabase } from '@/db/client';
import { storeBatch } from '@/db/queries/ingest';
import { authenticateProbe } from '@/db/queries/probes';
import { ingestMaxBytes } from '@/lib/config/server-env';
import { handleIngest } from '@/lib/ingest/handle-ingest';
import { rootLogger } from '@/lib/log';
import { toFeedItem } from '@/lib/realtime/feed';
import { livePublisher } from '@/lib/realtime/registry';

export const dynamic = 'force-dynamic';

export async function POST(request: Request): Promise<Response> {
  const { db } = getDatabase();
  return handleIngest(request, {
    authenticate: (token) => authenticateProbe(db, token),
    store: (probeId, events, now) => storeBatch(db, probeId, events, now),
    publish: (probe, applied) => livePublisher().publish(applied.map((e) => toFeedItem(probe, e))),
    now: () => new Date(),
    maxBodyBytes: ingestMaxBytes(),
    log: rootLogger().child({ module: 'ingest' }),
  });
}
