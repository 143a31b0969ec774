/**
 * `npm run bench:scale`: what the server costs as the data grows, on PostgreSQL, every
 * report reading the sealed aggregates and the rows for the rest. bench/README.md says how
 * to read it.
 *
 * Data sets, each in a scratch database of its own (bench/scale-seed.ts, seeded inside
 * PostgreSQL by bench/dashboard-seed.ts, the endings aggregate sealed, vacuum analyze),
 * 7 days of a fleet of BENCH_SCALE_PROBES probes x 3 targets x 4 proxies x 3 profiles
 * (216 paths with 6): layers cutting at their N on some paths, background drops, heartbeat
 * canaries living 4 h on average, refusals and dial failures, live canaries:
 * - realistic, at each size of BENCH_SCALE_SESSIONS (default 1,000,000 then 10,000,000);
 * - the worst case for the histograms, at the smallest size: every session a drop, ages
 *   spread evenly so that every 100 ms bin up to 2 h is filled and no peak stands out
 *   (BENCH_SCALE_WORST=0 skips it).
 *
 * For each: the built server started on it (bench/scale-server.ts), timed to its first 200
 * on /api/v1/probes (signed in as its admin; the sign-in not counted; every request and
 * socket after it carries that session); every dashboard endpoint (bench/dashboard-endpoints.ts) cold, then
 * BENCH_REQUESTS timed (median, p95) within BENCH_ENDPOINT_BUDGET_S; then BENCH_SCALE_VIEWERS
 * live pages open over socket.io refetching as the browser does (bench/scale-viewers.ts)
 * while one probe posts batches of 500 events to /api/v1/ingest back to back
 * (bench/scale-ingest.ts); the server's RSS and peak RSS; last, with the server stopped,
 * COPY of the same number of rows into the same database: the ingest's floor.
 *
 * Prints one summary line per data set, the largest realistic one last:
 * `scale: S sessions; start T s; rss M MiB; slowest median X ms (ENDPOINT); viewers V p95 Y ms; ingest R x COPY`.
 *
 * Bounded: every request has a timeout (BENCH_REQUEST_TIMEOUT_S; an endpoint that times
 * out is reported as such and its statements cancelled), ingest stops after
 * BENCH_SCALE_INGEST_S. Only 127.0.0.1. The servers it starts (by PID), its scratch
 * databases and temp directories are removed at the end, also on failure or Ctrl-C; a
 * data set's database is dropped before the next is seeded. Needs `npm run build` first
 * and a superuser on BENCH_DATABASE_URL (the seed skips foreign-key triggers).
 *
 * Environment: BENCH_DATABASE_URL (postgres://postgres@127.0.0.1:5432/test),
 * BENCH_SCALE_SESSIONS (one size or a comma list), BENCH_SCALE_WORST (1), BENCH_SCALE_PROBES (6),
 * BENCH_SCALE_VIEWERS (50), BENCH_SCALE_INGEST_EVENTS (100000, a multiple of 500),
 * BENCH_SCALE_INGEST_S (60), BENCH_REQUESTS (10), BENCH_ENDPOINT_BUDGET_S (10),
 * BENCH_REQUEST_TIMEOUT_S (30), BENCH_SCALE_START_TIMEOUT_S (300).
 */
import { statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { addProbe } from '../db/queries/probes';
import { pathId } from '../lib/paths/path-id';
import { assertBuilt } from '../test/helpers/server';
import { cleanupAll, cleanups } from './cleanup';
import { dashboardEndpoints } from './dashboard-endpoints';
import { DEFAULT_FLEET, SMOOTH_MAX_AGE_MS, SPAN_MS } from './dashboard-seed';
import { formatTable, machineLine, quantile } from './measure';
import { copyFloor, ingest, ingestBodies, type IngestRun } from './scale-ingest';
import { seedDataSet, type DataSet, type Seeded } from './scale-seed';
import { cancelStatements, medianMs, memoryMiB, startTimed, timeEndpoints, type EndpointTiming } from './scale-server';
import { livePages, openViewers, type ViewerStats } from './scale-viewers';
import { BATCH_EVENTS } from './workload';

const env = process.env;
const PG_URL = env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SIZES = (env.BENCH_SCALE_SESSIONS ?? '1000000,10000000').split(',').map((s) => Number(s.trim()));
const WORST = env.BENCH_SCALE_WORST !== '0';
const PROBES = Number(env.BENCH_SCALE_PROBES ?? 6);
const VIEWERS = Number(env.BENCH_SCALE_VIEWERS ?? 50);
const INGEST_EVENTS = Number(env.BENCH_SCALE_INGEST_EVENTS ?? 100_000);
const INGEST_BUDGET_MS = Number(env.BENCH_SCALE_INGEST_S ?? 60) * 1000;
const REQUESTS = Number(env.BENCH_REQUESTS ?? 10);
const ENDPOINT_BUDGET_MS = Number(env.BENCH_ENDPOINT_BUDGET_S ?? 10) * 1000;
const REQUEST_TIMEOUT_MS = Number(env.BENCH_REQUEST_TIMEOUT_S ?? 30) * 1000;
const START_TIMEOUT_MS = Number(env.BENCH_SCALE_START_TIMEOUT_S ?? 300) * 1000;
const MIN_REQUESTS = 3;
/** Heartbeat canaries that no layer cuts live this long on average (4 h; the dashboard bench's 15 min). */
const HEARTBEAT_MEAN_MS = 4 * 3_600_000;
/**
 * After the last batch, viewers keep watching this long: the trailing refetch of the
 * slowest cadence slot among the live pages (10 s for 24 h views) answers the last pushes.
 */
const SETTLE_MS = 10_500;
const ROOT = path.resolve(__dirname, '..');

interface Result {
  set: DataSet;
  seeded: Omit<Seeded, 'database' | 'drop'>;
  listenS: number;
  startS: number;
  memory: { afterStart: number; afterEndpoints: number; afterViewers: number; peak: number };
  timings: EndpointTiming[];
  viewers: ViewerStats;
  /** Before the viewers connect: the same sender with nobody watching (a fifth of the events). */
  alone: IngestRun;
  ingest: IngestRun;
  copyRate: number;
}

const n = (x: number) => Math.round(x).toLocaleString('en-US');
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
const say = (s: string) => process.stdout.write(`${s}\n`);
const note = (s: string) => process.stderr.write(`  ${s}\n`);

async function runSet(set: DataSet, admin: postgres.Sql): Promise<Result> {
  say(`\n== ${set.label}: ${n(set.fleet.sessions)} sessions, ${set.fleet.probes * 36} paths (load average ${load()})`);
  const to = new Date();
  const seeded = await seedDataSet(PG_URL, set, to);
  const s = seeded.summary;
  say(
    `seeded ${seeded.name} in ${seeded.seedS.toFixed(0)} s (+ sealed ${seeded.sealS.toFixed(0)} s, vacuum analyze ${seeded.analyzeS.toFixed(0)} s; ${n(seeded.sizeMiB)} MiB): ` +
      `${n(s.sessions)} sessions (${n(s.ended)} ended, ${n(s.drops)} drops; ${n(s.live)} live; ${n(s.failed)} failed attempts), ` +
      `${n(s.targetViews)} target views, ${n(s.rttMinutes)} rtt_minutes rows, ${s.probes} probes`,
  );

  const started = await startTimed({ DATABASE_URL: seeded.url, DROPSCOPE_LIVE_INTERVAL_MS: '250' }, START_TIMEOUT_MS, REQUEST_TIMEOUT_MS);
  const { server } = started;
  const afterStart = memoryMiB(server.pid).rss;
  say(`server: listening after ${started.listenS.toFixed(1)} s, first 200 after ${started.startS.toFixed(1)} s (its sign-in, ${started.signInS.toFixed(2)} s, not counted); RSS ${n(afterStart)} MiB`);

  const endpoints = dashboardEndpoints({ analysisFrom: new Date(to.getTime() - SPAN_MS), busy: s.busiestPath });
  const timings = await timeEndpoints(
    started,
    endpoints,
    { requests: REQUESTS, minRequests: MIN_REQUESTS, budgetMs: ENDPOINT_BUDGET_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS },
    () => cancelStatements(admin, seeded.name),
    (t) => note(`${t.url}: first ${t.first.toFixed(0)} ms, median ${medianMs(t, REQUEST_TIMEOUT_MS).toFixed(0)} ms${t.timedOut ? ' (TIMEOUT)' : ''}`),
  );
  const afterEndpoints = memoryMiB(server.pid).rss;
  say(`load average after the endpoints: ${load()}`);

  const { token } = await addProbe(seeded.database.db, { name: 'scale-probe', labels: { bench: 'scale' } });
  const batches = INGEST_EVENTS / BATCH_EVENTS;
  const alone = await ingest(server, token, ingestBodies('scale-alone', Math.max(1, Math.round(batches / 5)), new Date()), INGEST_BUDGET_MS / 5, REQUEST_TIMEOUT_MS);
  const bodies = ingestBodies('scale', batches, new Date());
  const viewers = await openViewers(server.url, started.headers, livePages(pathId(s.busiestPath)), VIEWERS, REQUEST_TIMEOUT_MS);
  viewers.record();
  const run = await ingest(server, token, bodies, INGEST_BUDGET_MS, REQUEST_TIMEOUT_MS);
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const watched = await viewers.close();
  const mem = memoryMiB(server.pid);
  say(`load average after ingest with viewers: ${load()}`);
  await started.stop();

  const copyRate = await copyFloor(seeded.database, run.events / BATCH_EVENTS, new Date());
  const { database: _db, drop, ...kept } = seeded;
  await drop();
  return {
    set,
    seeded: kept,
    listenS: started.listenS,
    startS: started.startS,
    memory: { afterStart, afterEndpoints, afterViewers: mem.rss, peak: mem.peak },
    timings,
    viewers: watched,
    alone,
    ingest: run,
    copyRate,
  };
}

function slowest(r: Result): EndpointTiming {
  return r.timings.reduce((a, b) => (medianMs(b, REQUEST_TIMEOUT_MS) > medianMs(a, REQUEST_TIMEOUT_MS) ? b : a));
}

function report(r: Result): string {
  const ms = (t: EndpointTiming, v: number) => (t.timedOut ? `> ${(REQUEST_TIMEOUT_MS / 1000).toFixed(0)} s` : v.toFixed(0));
  const table = formatTable(
    ['endpoint', 'n', 'first ms', 'median ms', 'p95 ms', 'bytes'],
    r.timings.map((t) => [t.url, String(t.samples.length), t.first.toFixed(0), ms(t, quantile(t.samples, 0.5)), ms(t, quantile(t.samples, 0.95)), t.timedOut ? '-' : n(t.bytes)]),
  );
  const v = r.viewers;
  const pages = [...v.perPage].map(([url, k]) => `${url.split('?')[0]!.replace('/api/v1/', '')} ${k.requests} p95 ${k.p95.toFixed(0)}`).join(', ');
  const i = r.ingest;
  return [
    table,
    `memory: RSS ${n(r.memory.afterStart)} MiB after start, ${n(r.memory.afterEndpoints)} after the endpoints, ${n(r.memory.afterViewers)} after ingest with viewers; peak (VmHWM) ${n(r.memory.peak)} MiB`,
    `viewers: ${v.viewers} live pages, ${v.pushes} pushes, ${n(v.requests)} refetches (${pages}): p50 ${v.p50.toFixed(0)} ms, p95 ${v.p95.toFixed(0)} ms, max ${v.max.toFixed(0)} ms; ${v.errors.length} errors${v.errors.length ? ` (first: ${v.errors[0]})` : ''}`,
    `ingest: ${n(i.events)} events in ${i.seconds.toFixed(1)} s${i.cut ? ` (stopped by the ${INGEST_BUDGET_MS / 1000} s budget)` : ''} = ${n(i.rate)} ev/s, batch p50 ${i.p50.toFixed(0)} ms, p95 ${i.p95.toFixed(0)} ms; ` +
      `COPY of the same number of rows into the same database ${n(r.copyRate)} ev/s; ` +
      `before the viewers connected: ${n(r.alone.events)} events at ${n(r.alone.rate)} ev/s (batch p50 ${r.alone.p50.toFixed(0)} ms)`,
  ].join('\n');
}

function summary(r: Result): string {
  const slow = slowest(r);
  const what = r.set.fleet.ages === 'smooth' ? ' (smooth worst case)' : '';
  return (
    `scale: ${r.set.fleet.sessions} sessions${what}; start ${r.startS.toFixed(1)} s; rss ${r.memory.peak.toFixed(0)} MiB; ` +
    `slowest median ${medianMs(slow, REQUEST_TIMEOUT_MS).toFixed(0)} ms (${slow.url}); viewers ${r.viewers.viewers} p95 ${r.viewers.p95.toFixed(0)} ms; ` +
    `ingest ${(r.ingest.rate / r.copyRate).toFixed(2)} x COPY`
  );
}

function dataSets(): DataSet[] {
  const base = { ...DEFAULT_FLEET, probes: PROBES, heartbeatMeanMs: HEARTBEAT_MEAN_MS };
  const sizes = [...SIZES].sort((a, b) => a - b);
  const sets: DataSet[] = sizes.map((sessions) => ({ label: `realistic ${n(sessions)}`, fleet: { ...base, sessions } }));
  // Before the largest realistic one, so that a slow 10M seed comes last.
  if (WORST) sets.splice(Math.min(1, sets.length), 0, { label: `smooth worst case ${n(sizes[0]!)}`, fleet: { ...base, sessions: sizes[0]!, ages: 'smooth' } });
  return sets;
}

function validate(): void {
  for (const s of SIZES) if (!Number.isInteger(s) || s < 10_000) throw new RangeError(`BENCH_SCALE_SESSIONS: each size must be an integer >= 10000, got ${env.BENCH_SCALE_SESSIONS}`);
  const checks: [string, number, number][] = [
    ['BENCH_SCALE_PROBES', PROBES, 4],
    ['BENCH_SCALE_VIEWERS', VIEWERS, 1],
    ['BENCH_REQUESTS', REQUESTS, MIN_REQUESTS],
  ];
  for (const [name, v, min] of checks) if (!Number.isInteger(v) || v < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${env[name]}`);
  if (!Number.isInteger(INGEST_EVENTS / BATCH_EVENTS) || INGEST_EVENTS <= 0) throw new RangeError(`BENCH_SCALE_INGEST_EVENTS must be a positive multiple of ${BATCH_EVENTS}, got ${env.BENCH_SCALE_INGEST_EVENTS}`);
  const seconds: [string, number][] = [
    ['BENCH_SCALE_INGEST_S', INGEST_BUDGET_MS],
    ['BENCH_ENDPOINT_BUDGET_S', ENDPOINT_BUDGET_MS],
    ['BENCH_REQUEST_TIMEOUT_S', REQUEST_TIMEOUT_MS],
    ['BENCH_SCALE_START_TIMEOUT_S', START_TIMEOUT_MS],
  ];
  for (const [name, v] of seconds) if (!(v > 0)) throw new RangeError(`${name} must be a positive number of seconds, got ${env[name]}`);
}

async function main(): Promise<void> {
  validate();
  assertBuilt();
  const t0 = performance.now();
  const sets = dataSets();
  say(
    `dropscope scale bench: ${sets.map((s) => s.label).join('; ')}\n` +
      `${machineLine()}\n` +
      `build: .next/BUILD_ID of ${statSync(path.join(ROOT, '.next/BUILD_ID')).mtime.toISOString()}; database ${new URL(PG_URL).host}\n` +
      `per endpoint: 1 cold + up to ${REQUESTS} timed sequential GETs (fewer past ${ENDPOINT_BUDGET_MS / 1000} s, at least ${MIN_REQUESTS}); request timeout ${REQUEST_TIMEOUT_MS / 1000} s\n` +
      `ingest: ${n(INGEST_EVENTS)} events in batches of ${BATCH_EVENTS} from 1 probe, back to back (at most ${INGEST_BUDGET_MS / 1000} s), while ${VIEWERS} viewers watch; smooth ages up to ${SMOOTH_MAX_AGE_MS / 3_600_000} h\n` +
      `load average at start: ${load()}`,
  );
  const admin = postgres(PG_URL, { max: 1, onnotice: () => {} });
  cleanups.push(() => admin.end({ timeout: 5 }));
  const results: Result[] = [];
  for (const set of sets) {
    const r = await runSet(set, admin);
    results.push(r);
    say(report(r));
    say(summary(r));
  }
  const realistic = results.filter((r) => r.set.fleet.ages !== 'smooth');
  const largest = realistic.reduce((a, b) => (b.set.fleet.sessions > a.set.fleet.sessions ? b : a));
  say(`\ntotal ${((performance.now() - t0) / 1000).toFixed(0)} s; load average at end: ${load()}`);
  for (const r of results) if (r !== largest) say(summary(r));
  say(summary(largest));
}

main()
  .catch((err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  })
  .finally(() => cleanupAll());
