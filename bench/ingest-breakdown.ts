/**
 * `npm run bench:ingest:breakdown`: where one ingest batch of 500 events spends its CPU,
 * stage by stage, on PostgreSQL. Companion to bench/ingest.ts, which gives the rates.
 *
 * In this process: the pure steps (JSON.parse, the zod contract, the session-row merge,
 * serializing the rows for the ingest statement). Through the built server, single sender,
 * requests that stop at successive stages, with the server's and PostgreSQL's CPU per
 * request read from /proc:
 *   401 tiny body           HTTP + Next routing + the token lookup
 *   400 last event invalid  + receiving and reading 270 KB, JSON.parse, the zod contract
 *   200 stored              + storeBatch (ledger, session and RTT upserts, heartbeat) and the live feed
 * The differences between rows are the stages' costs. Needs `npm run build` first.
 */
import { sessionRows } from '../db/queries/ingest';
import { ingestBatchSchema } from '../lib/contracts/ingest';
import { openScratchPostgres } from '../test/helpers/databases';
import { addProbeToken, assertBuilt, startServer } from '../test/helpers/server';
import { poster } from './http-post';
import { backendPids, cpuMeter, formatTable, machineLine, ownCpuMs } from './measure';
import { BATCH_EVENTS, makeBatches } from './workload';

const PG_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REQUESTS = 60;

/** CPU ms per call of `fn` in this process, after a warm-up round. */
function inProcess(n: number, fn: (i: number) => unknown): number {
  for (let i = 0; i < n; i++) fn(i);
  const c0 = ownCpuMs();
  for (let i = 0; i < n; i++) fn(i);
  return (ownCpuMs() - c0) / n;
}

async function main(): Promise<void> {
  assertBuilt();
  process.stdout.write(`dropscope ingest breakdown: CPU ms per batch of ${BATCH_EVENTS} events\n${machineLine()}\n\n`);

  const batches = makeBatches('bd', 3 * REQUESTS + 10);
  const bodies = batches.map((events) => JSON.stringify({ events }));
  const json = bodies.map((b) => JSON.parse(b) as unknown);
  const now = new Date();
  const rows = batches.map((b) => sessionRows(1, b, now));
  const local = [
    ['JSON.parse of the body', inProcess(REQUESTS, (i) => JSON.parse(bodies[i]!))],
    ['zod ingestBatchSchema.safeParse', inProcess(REQUESTS, (i) => ingestBatchSchema.safeParse(json[i]))],
    ['sessionRows (merge events into rows)', inProcess(REQUESTS, (i) => sessionRows(1, batches[i]!, now))],
    ['JSON.stringify of the session rows', inProcess(REQUESTS, (i) => JSON.stringify(rows[i]))],
  ] as const;
  process.stdout.write(`${formatTable(['in process', 'cpu ms'], local.map(([name, ms]) => [name, ms.toFixed(2)]))}\n\n`);

  const scratch = await openScratchPostgres(PG_URL);
  try {
    const server = await startServer({ env: { DATABASE_URL: scratch.url } });
    const client = poster(server.url, 1);
    try {
      const token = addProbeToken('breakdown', { DATABASE_URL: scratch.url });
      const badToken = `dsp_1_${'A'.repeat(43)}`;
      // The last event breaks the contract, so zod walks the whole batch before refusing it.
      const invalid = batches.map((events) => JSON.stringify({ events: [...events.slice(0, -1), { ...events.at(-1), durationMs: -1, type: 'session.ended' }] }));
      const post = async (body: string, bearer: string, expect: number) => {
        const { status, text } = await client.post('/api/v1/ingest', bearer, Buffer.from(body));
        if (status !== expect) throw new Error(`expected ${expect}, got ${status}: ${text.slice(0, 300)}`);
      };
      const stage = async (label: string, bodiesFor: string[], bearer: string, expect: number) => {
        for (const b of bodiesFor.slice(0, 10)) await post(b, bearer, expect); // warm-up
        const serverCpu = await cpuMeter(() => [server.pid]);
        const pgCpu = await cpuMeter(() => backendPids(scratch));
        const t0 = performance.now();
        for (const b of bodiesFor.slice(10, 10 + REQUESTS)) await post(b, bearer, expect);
        const wall = (performance.now() - t0) / REQUESTS;
        return [label, ((await serverCpu.stop()) / REQUESTS).toFixed(1), ((await pgCpu.stop()) / REQUESTS).toFixed(1), wall.toFixed(1)];
      };
      const staged = [
        await stage('401 tiny body', bodies.map(() => '{}'), badToken, 401),
        await stage('400 last event invalid', invalid.slice(0, REQUESTS + 10), token, 400),
        await stage('200 stored', bodies.slice(REQUESTS + 10), token, 200),
      ];
      process.stdout.write(`${formatTable(['through the server (1 sender)', 'server cpu ms', 'postgres cpu ms', 'wall ms'], staged)}\n`);
    } finally {
      client.close();
      await server.stop();
    }
  } finally {
    await scratch.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`breakdown failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
