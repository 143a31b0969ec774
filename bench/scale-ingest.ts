/**
 * The scale bench's writes (bench/scale.ts): one probe posting realistic batches
 * (bench/workload.ts) to /api/v1/ingest back to back while viewers watch, and the floor it
 * is measured against: COPY of the same number of rows into the same database
 * (bench/ingest.ts copyBaseline), removed again afterwards.
 */
import { eq } from 'drizzle-orm';
import type { Database } from '../db/client';
import { addProbe } from '../db/queries/probes';
import { probes } from '../db/schema';
import type { RunningServer } from '../test/helpers/server';
import { poster } from './http-post';
import { copyBaseline } from './ingest';
import { quantile } from './measure';
import { BATCH_EVENTS, makeBatches } from './workload';

/** Batches per call of makeBatches: its sessions carry over from batch to batch within a chunk. */
const CHUNK_BATCHES = 20;

/**
 * `batches` bodies from sender `sender`, serialized up front (the client's JSON work is not
 * timed), one batch a minute ending before `now`: a probe catching up on the last hours.
 */
export function ingestBodies(sender: string, batches: number, now: Date): Buffer[] {
  const bodies: Buffer[] = [];
  const start = now.getTime() - (batches + 1) * 60_000;
  for (let b = 0; b < batches; b += CHUNK_BATCHES) {
    const chunk = makeBatches(`${sender}-${b}`, Math.min(CHUNK_BATCHES, batches - b), new Date(start + b * 60_000));
    for (const events of chunk) bodies.push(Buffer.from(JSON.stringify({ events })));
  }
  return bodies;
}

export interface IngestRun {
  events: number;
  seconds: number;
  rate: number;
  /** One batch's round trip, ms. */
  p50: number;
  p95: number;
  /** Stopped by the time budget before every batch was sent. */
  cut: boolean;
}

/**
 * POST the bodies one after another as probe `token`, stopping early after `budgetMs`.
 * @throws unless every batch is answered 200 with all its events accepted.
 */
export async function ingest(server: RunningServer, token: string, bodies: Buffer[], budgetMs: number, requestTimeoutMs: number): Promise<IngestRun> {
  const client = poster(server.url, 1);
  const latencies: number[] = [];
  const t0 = performance.now();
  try {
    for (const body of bodies) {
      if (performance.now() - t0 > budgetMs) break;
      const t = performance.now();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const answer = await Promise.race([
        client.post('/api/v1/ingest', token, body),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`ingest: no answer within ${requestTimeoutMs / 1000} s`)), requestTimeoutMs))),
      ]).finally(() => clearTimeout(timer));
      latencies.push(performance.now() - t);
      if (answer.status !== 200) throw new Error(`ingest answered ${answer.status}: ${answer.text.slice(0, 500)}`);
      const { accepted } = JSON.parse(answer.text) as { accepted: number };
      if (accepted !== BATCH_EVENTS) throw new Error(`ingest accepted ${accepted} of ${BATCH_EVENTS} events`);
    }
  } finally {
    client.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  const events = latencies.length * BATCH_EVENTS;
  latencies.sort((a, b) => a - b);
  return { events, seconds, rate: events / seconds, p50: quantile(latencies, 0.5), p95: quantile(latencies, 0.95), cut: latencies.length < bodies.length };
}

/**
 * events/s of COPY FROM STDIN of the canary_sessions rows that `batches` batches of the
 * workload amount to (other ids than the API's, same shape), under a probe of its own,
 * into `database` as it is; the rows and the probe are deleted afterwards.
 */
export async function copyFloor(database: Database, batches: number, now: Date): Promise<number> {
  const { probe } = await addProbe(database.db, { name: `scale-copy-${now.getTime()}`, labels: {} });
  const streams = [makeBatches('scale-copy', batches, new Date(now.getTime() - (batches + 1) * 60_000))];
  try {
    const rate = await copyBaseline(database, streams, [probe.id]);
    if (rate === null) throw new Error('COPY baseline needs PostgreSQL');
    return rate;
  } finally {
    // Its sessions go with it (on delete cascade).
    await database.db.delete(probes).where(eq(probes.id, probe.id));
  }
}
