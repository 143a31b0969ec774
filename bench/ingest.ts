/**
 * `npm run bench:ingest`: how many events per second the ingest API accepts, on
 * PostgreSQL and on PGlite, with one sender and with several concurrent senders, beside
 * a baseline of plain multi-row INSERTs of the same rows into the same database.
 * bench/README.md says how to read the table.
 *
 * Prints figures and asserts only correctness (every batch answered 200 with all events
 * accepted, the ledger holding every event afterwards). Needs `npm run build` first.
 * Only 127.0.0.1 is used. Every server, scratch database and temp directory it creates
 * is removed at the end, also on failure or Ctrl-C.
 *
 * Workloads (issue 14: the realistic batches and the worst cases, each against a COPY of
 * the same rows): `realistic` (bench/workload.ts, as a probe's reporter sends them),
 * `new-sessions` (every event opens a session of its own: 500 rows per batch, nothing to
 * merge), `split` (every session's open and end arrive in different batches: each row is
 * inserted by one batch and rewritten by the next, where COPY writes it once).
 *
 * Environment: BENCH_EVENTS (events per case, default 80000, a multiple of
 * 500 x BENCH_SENDERS), BENCH_SENDERS (default 4), BENCH_DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/test), BENCH_BACKENDS (default "postgres,pglite"),
 * BENCH_WORKLOADS (default "realistic,new-sessions,split"), BENCH_CPU_PROF (a directory:
 * the server writes a V8 CPU profile there on exit), BENCH_NODE_ARGS (node flags for the server).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { count, sql } from 'drizzle-orm';
import type { Database } from '../db/client';
import { openDatabase } from '../db/open';
import { sessionRows } from '../db/queries/ingest';
import { addProbe } from '../db/queries/probes';
import { canarySessions, ingestedEvents } from '../db/schema';
import type { IngestEvent } from '../lib/contracts/ingest';
import { openScratchPostgres } from '../test/helpers/databases';
import { addProbeToken, assertBuilt, startServer, type RunningServer } from '../test/helpers/server';
import { poster } from './http-post';
import { backendPids, cpuMeter, formatTable, machineLine, ownCpuMs, quantile } from './measure';
import { csvChunks, floorClient, PLAIN_INSERT_ROWS, plainInsert } from './plain-insert';
import { BATCH_EVENTS, makeBatches, newSessions, splitSessions } from './workload';
import { cleanupAll, cleanups } from './cleanup';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 80_000);
const SENDERS = Number(process.env.BENCH_SENDERS ?? 4);
const PG_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const BACKENDS = (process.env.BENCH_BACKENDS ?? 'postgres,pglite').split(',');
const CPU_PROF = process.env.BENCH_CPU_PROF;
/** Extra node flags for the server (space-separated), to try runtime settings such as the young generation's size. */
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
const WORKLOADS = (process.env.BENCH_WORKLOADS ?? 'realistic,new-sessions,split').split(',');
/** Batches sent before timing, so Next has loaded the route and V8 has compiled the hot path. */
const WARMUP_BATCHES = 6;
/** What the API should sustain into PostgreSQL on a 2-core machine. */
const AIM_EVENTS_PER_S = 20_000;
const versions: string[] = [];

interface Row {
  backend: string;
  workload: string;
  senders: number;
  events: number;
  apiRate: number;
  p50: number;
  p95: number;
  /** CPU ms per batch of 500: the server process; PostgreSQL's backends (null on PGlite, which runs inside the server); this bench, sending. */
  serverCpu: number;
  pgCpu: number | null;
  clientCpu: number;
  baseRate: number;
  /** COPY FROM STDIN of the same rows (PostgreSQL only). */
  copy: CopyFloor | null;
}

/** The COPY floor of a case: its rate and its CPU ms per batch-equivalent (500 events' rows). */
export interface CopyFloor {
  rate: number;
  pgCpu: number;
  clientCpu: number;
}

// ---------------------------------------------------------------- cleanup

// bench/cleanup.ts: cleanups, cleanupAll (run on Ctrl-C as well).

// ---------------------------------------------------------------- one backend

async function benchBackend(backend: 'postgres' | 'pglite'): Promise<Row[]> {
  const cases = WORKLOADS.map((workload) => {
    const make = WORKLOAD[workload]!;
    return {
      workload,
      single: [make(`${workload}-one`, EVENTS / BATCH_EVENTS)],
      several: Array.from({ length: SENDERS }, (_, k) => make(`${workload}-s${k}`, EVENTS / BATCH_EVENTS / SENDERS)),
    };
  });
  const warmup = [makeBatches('warm', WARMUP_BATCHES)];

  // The database, opened in this process for the baselines and the final check.
  let database: Database;
  let serverEnv: Record<string, string>;
  let reopen: () => Promise<Database>;
  if (backend === 'postgres') {
    const scratch = await openScratchPostgres(PG_URL);
    cleanups.push(() => scratch.close());
    // postgres.js answers an array of rows.
    const [v] = (await scratch.db.execute(sql`show server_version`)) as unknown as { server_version: string }[];
    versions.push(`PostgreSQL ${v?.server_version ?? '?'} at ${new URL(PG_URL).host} (scratch database, dropped after)`);
    database = scratch;
    serverEnv = { DATABASE_URL: scratch.url };
    reopen = async () => scratch;
  } else {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dropscope-bench-'));
    versions.push(`PGlite ${pgliteVersion()} (temp directory, removed after)`);
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    serverEnv = { DROPSCOPE_DATA_DIR: dir };
    reopen = () => openDatabase({ kind: 'pglite', dataDir: dir });
    const opened = await reopen();
    const close = onceOnly(() => opened.close());
    cleanups.push(close);
    database = { ...opened, close };
  }

  const baseProbes: number[] = [];
  for (let k = 0; k < SENDERS; k++) baseProbes.push((await addProbe(database.db, { name: `baseline-${k}`, labels: {} })).probe.id);
  /** The floors of one case, each into an empty canary_sessions, the table emptied again after. */
  const floorsOf = async (streams: IngestEvent[][][]) => {
    await database.db.execute(sql`truncate ${canarySessions}`);
    const baseRate = await baseline(database, streams, baseProbes);
    await database.db.execute(sql`truncate ${canarySessions}`);
    const copy = await copyFloor(database, streams, baseProbes);
    await database.db.execute(sql`truncate ${canarySessions}`);
    return { baseRate, copy };
  };
  type Floors = Awaited<ReturnType<typeof floorsOf>>;

  // PGlite allows one process per directory: its baselines run first, then the database is
  // handed over to the server. On PostgreSQL each case's floors run right before it, into
  // the same empty table the API case then starts from (session 11: the floors used to run
  // minutes before the API cases, in another load window, and only the floors started from
  // an empty table).
  const early: Floors[] = [];
  if (backend === 'pglite') {
    for (const c of cases) early.push(await floorsOf(c.single), await floorsOf(c.several));
    await database.close();
  }

  const server = await startServer({
    env: serverEnv,
    nodeArgs: [...NODE_ARGS, ...(CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF}`] : [])],
    dataDir: serverEnv.DROPSCOPE_DATA_DIR,
  });
  const stopServer = onceOnly(() => server.stop().then(() => undefined));
  cleanups.push(stopServer);
  const token = (name: string) => addProbeToken(name, serverEnv);
  const pgPids = backend === 'postgres' ? () => backendPids(database) : async () => [];

  await send(server, [token('warmup')], warmup, pgPids);
  const rows: Row[] = [];
  for (const c of cases) {
    for (const [streams, tokens] of [
      [c.single, [token(`${c.workload}-one`)] as string[]],
      [c.several, c.several.map((_, k) => token(`${c.workload}-${k}`))],
    ] as const) {
      const floors = backend === 'pglite' ? early.shift()! : await floorsOf(streams);
      const api = await send(server, tokens, streams, pgPids);
      rows.push({ backend, workload: c.workload, senders: streams.length, events: EVENTS, ...api, baseRate: floors.baseRate, copy: floors.copy });
    }
  }
  await stopServer();

  // Every event must be in the idempotency ledger, or the figures mean nothing.
  const checkDb = backend === 'pglite' ? await reopen() : database;
  try {
    const expected = (WARMUP_BATCHES + 2 * cases.length * (EVENTS / BATCH_EVENTS)) * BATCH_EVENTS;
    const [row] = await checkDb.db.select({ n: count() }).from(ingestedEvents);
    if (row?.n !== expected) throw new Error(`${backend}: the ledger holds ${row?.n} events, expected ${expected}`);
  } finally {
    if (backend === 'pglite') await checkDb.close();
  }
  return rows;
}

// ---------------------------------------------------------------- workloads (bench/workload.ts)

const WORKLOAD: Record<string, (sender: string, batches: number) => IngestEvent[][]> = {
  realistic: makeBatches,
  'new-sessions': newSessions,
  split: splitSessions,
};

/**
 * Plain multi-row INSERTs of the canary_sessions rows these events amount to, one
 * connection per sender, senders concurrently. Returns events/s (events represented by
 * the rows, so it compares with the API's rate).
 */
async function baseline(database: Database, streams: IngestEvent[][][], probeIds: number[]): Promise<number> {
  const now = new Date();
  const perSender = streams.map((batches, k) => sessionRows(probeIds[k]!, batches.flat(), now));
  const t0 = performance.now();
  await Promise.all(perSender.map((rows) => plainInsert(database, canarySessions, rows)));
  return eventCount(streams) / ((performance.now() - t0) / 1000);
}

/**
 * The same rows by COPY FROM STDIN, one connection per sender, senders concurrently (the
 * floor issue 14 measures the API against); null on PGlite, which cannot stream COPY.
 * The CSV is built before the clock starts, as the API's bodies are serialized before its
 * clock. CPU is per batch-equivalent: the PostgreSQL backends and this process, per 500
 * events' worth of rows.
 */
export async function copyFloor(database: Database, streams: IngestEvent[][][], probeIds: number[]): Promise<CopyFloor | null> {
  const now = new Date();
  const rows = streams.map((batches, k) => sessionRows(probeIds[k]!, batches.flat(), now));
  const client = await floorClient(database, streams.length, csvChunks(canarySessions, rows[0]!.slice(0, 10)));
  if (!client) return null;
  try {
    const data = rows.map((r) => csvChunks(canarySessions, r));
    const pgCpu = await cpuMeter(() => backendPids(database));
    const client0 = ownCpuMs();
    const t0 = performance.now();
    await Promise.all(data.map((d) => client.copy(d)));
    const seconds = (performance.now() - t0) / 1000;
    const clientCpu = ownCpuMs() - client0;
    const batches = eventCount(streams) / BATCH_EVENTS;
    return { rate: eventCount(streams) / seconds, pgCpu: (await pgCpu.stop()) / batches, clientCpu: clientCpu / batches };
  } finally {
    await client.end();
  }
}

/** {@link copyFloor}'s rate in events/s (bench/scale.ts). */
export async function copyBaseline(database: Database, streams: IngestEvent[][][], probeIds: number[]): Promise<number | null> {
  return (await copyFloor(database, streams, probeIds))?.rate ?? null;
}

/** Each sender POSTs its batches one after another; senders run concurrently. */
async function send(
  server: RunningServer,
  tokens: string[],
  streams: IngestEvent[][][],
  pgPids: () => Promise<number[]>,
): Promise<Omit<Row, 'backend' | 'workload' | 'senders' | 'events' | 'baseRate' | 'copy'>> {
  // Serialize and encode up front so the timed part is the server's work, not ours.
  const bodies = streams.map((batches) => batches.map((events) => Buffer.from(JSON.stringify({ events }))));
  const client = poster(server.url, tokens.length);
  const latencies: number[] = [];
  const serverCpu = await cpuMeter(() => [server.pid]);
  const pgCpu = await cpuMeter(pgPids);
  const clientCpu0 = ownCpuMs();
  const t0 = performance.now();
  try {
    await Promise.all(
      bodies.map(async (batches, k) => {
        for (const body of batches) {
          const t = performance.now();
          const { status, text } = await client.post('/api/v1/ingest', tokens[k]!, body);
          latencies.push(performance.now() - t);
          if (status !== 200) throw new Error(`ingest answered ${status}: ${text.slice(0, 500)}`);
          const { accepted, duplicates } = JSON.parse(text) as { accepted: number; duplicates: number };
          if (accepted !== BATCH_EVENTS || duplicates !== 0) throw new Error(`ingest accepted ${accepted}, duplicates ${duplicates}`);
        }
      }),
    );
  } finally {
    client.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  const clientCpu = ownCpuMs() - clientCpu0;
  const batches = latencies.length;
  latencies.sort((a, b) => a - b);
  return {
    apiRate: eventCount(streams) / seconds,
    p50: quantile(latencies, 0.5),
    p95: quantile(latencies, 0.95),
    serverCpu: (await serverCpu.stop()) / batches,
    pgCpu: (await pgPids()).length ? (await pgCpu.stop()) / batches : null,
    clientCpu: clientCpu / batches,
  };
}

// ---------------------------------------------------------------- helpers

export function eventCount(streams: IngestEvent[][][]): number {
  return streams.reduce((n, batches) => n + batches.length * BATCH_EVENTS, 0);
}

function pgliteVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(process.cwd(), 'node_modules/@electric-sql/pglite/package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

function onceOnly(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | undefined;
  return () => (p ??= fn());
}

// ---------------------------------------------------------------- output

function table(rows: Row[]): string {
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  const apiCpu = (r: Row) => r.serverCpu + (r.pgCpu ?? 0) + r.clientCpu;
  return formatTable(
    ['backend', 'workload', 'senders', 'events', 'API ev/s', 'p50 ms', 'p95 ms', 'cpu ms: server', 'postgres', 'client', 'baseline ev/s', 'API/baseline', 'COPY ev/s', 'API/COPY', 'COPY cpu: pg', 'client', 'API/COPY cpu'],
    rows.map((r) => [
      r.backend,
      r.workload,
      String(r.senders),
      n(r.events),
      n(r.apiRate),
      r.p50.toFixed(0),
      r.p95.toFixed(0),
      r.serverCpu.toFixed(1),
      r.pgCpu === null ? '-' : r.pgCpu.toFixed(1),
      r.clientCpu.toFixed(1),
      n(r.baseRate),
      (r.apiRate / r.baseRate).toFixed(2),
      r.copy === null ? '-' : n(r.copy.rate),
      r.copy === null ? '-' : (r.apiRate / r.copy.rate).toFixed(2),
      r.copy === null ? '-' : r.copy.pgCpu.toFixed(1),
      r.copy === null ? '-' : r.copy.clientCpu.toFixed(1),
      // COPY's CPU per batch over the API's: the rate ratio a machine whose cores are all busy would show.
      r.copy === null ? '-' : ((r.copy.pgCpu + r.copy.clientCpu) / apiCpu(r)).toFixed(2),
    ]),
  );
}

/** Issue 14's acceptance: the API at >= 0.5x a COPY of the same rows, in the same run. */
function ratios(rows: Row[]): string {
  const withCopy = rows.filter((r): r is Row & { copy: CopyFloor } => r.copy !== null);
  if (withCopy.length === 0) return '';
  const each = withCopy.map((r) => `${r.workload} ${r.senders} sender${r.senders > 1 ? 's' : ''} ${(r.apiRate / r.copy.rate).toFixed(2)}x`);
  const worst = Math.min(...withCopy.map((r) => r.apiRate / r.copy.rate));
  return `API/COPY (issue 14 asks >= 0.5x): ${each.join(', ')}; lowest ${worst.toFixed(2)}x\n`;
}

const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

async function main(): Promise<void> {
  if (!Number.isInteger(EVENTS / (BATCH_EVENTS * SENDERS)) || EVENTS <= 0) {
    throw new RangeError(`BENCH_EVENTS must be a positive multiple of ${BATCH_EVENTS} x BENCH_SENDERS (${BATCH_EVENTS * SENDERS}), got ${EVENTS}`);
  }
  for (const b of BACKENDS) if (b !== 'postgres' && b !== 'pglite') throw new RangeError(`BENCH_BACKENDS: unknown backend "${b}"; expected postgres and/or pglite`);
  assertBuilt();
  process.stdout.write(
    `dropscope ingest bench: ${EVENTS.toLocaleString('en-US')} events per case, batches of ${BATCH_EVENTS}, ${SENDERS} concurrent senders in the second case\n` +
      `${machineLine()}\n` +
      `baseline: plain multi-row INSERT of the same canary_sessions rows through the driver, ${PLAIN_INSERT_ROWS} rows per statement\n` +
      `load average at start: ${load()}\n`,
  );
  const rows: Row[] = [];
  const started = performance.now();
  try {
    for (const backend of BACKENDS as ('postgres' | 'pglite')[]) {
      rows.push(...(await benchBackend(backend)));
      await cleanupAll();
    }
  } finally {
    await cleanupAll();
  }
  const best = Math.max(0, ...rows.filter((r) => r.backend === 'postgres').map((r) => r.apiRate));
  process.stdout.write(
    `load average at end:   ${load()}; total ${((performance.now() - started) / 1000).toFixed(0)} s\n` +
      `databases: ${versions.join('; ')}\n\n` +
      `${table(rows)}\n` +
      'p50/p95: one batch round trip. cpu ms: per batch of 500 events, in the server process, the PostgreSQL\n' +
      'backends of its pool (PGlite runs inside the server) and this bench sending; COPY cpu: the same per\n' +
      "500 events' rows for the floor (PostgreSQL backends, this bench). bench/README.md explains.\n" +
      ratios(rows) +
      (rows.some((r) => r.backend === 'postgres')
        ? `aim: >= ${AIM_EVENTS_PER_S.toLocaleString('en-US')} events/s into PostgreSQL through the API: ${best >= AIM_EVENTS_PER_S ? 'met' : 'NOT met'} (best ${Math.round(best).toLocaleString('en-US')})\n`
        : ''),
  );
}

// Run as a script, not when another bench imports its baseline.
if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
}
