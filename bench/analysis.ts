/**
 * `npm run bench:analysis`: how long the drop analysis (db/queries/analysis.ts
 * `analyzeScope`) takes over 1,000,000 ended sessions of one day in PostgreSQL, beside
 * the plainest queries over the same scope: a count and a 100 ms histogram of durations.
 * Then each of the analysis's statements alone, and its plan when the whole is over the
 * aim. bench/README.md says how to read it.
 *
 * Prints figures and the signatures found, which must be the planted ones for the figures
 * to mean anything. Only the database on BENCH_DATABASE_URL is used: a scratch database
 * is created there and dropped at the end, also on failure or Ctrl-C.
 *
 * Environment: BENCH_SESSIONS (ended sessions, default 1000000), BENCH_RUNS (default 5),
 * BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), BENCH_EXPLAIN=1
 * (print every statement's plan, not only when over the aim).
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres, { type Sql } from 'postgres';
import type { Db } from '../db/client';
import { openDatabase } from '../db/open';
import { analyzeScope, type AnalysisScope } from '../db/queries/analysis';
import { analysisReport } from '../db/queries/analysis-report';
import { egressStats, ladderRungs, refusalGroups, rttBeforeDrops, silentGroups } from '../db/queries/findings';
import { addProbe } from '../db/queries/probes';
import * as schema from '../db/schema';
import { BUILTIN_LAYERS } from '../lib/analysis/catalogue';
import type { Signature } from '../lib/analysis/types';
import { PLANTED, PROBES, seed } from './analysis-seed';
import { formatTable, machineLine, quantile } from './measure';
import { cleanupAll, cleanups } from './cleanup';
import { sealAll } from './seal';

const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const PG_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const EXPLAIN_ALL = process.env.BENCH_EXPLAIN === '1';
const AIM_MS = 1000;
const FROM = new Date('2026-11-20T00:00:00Z');
const TO = new Date(FROM.getTime() + 86_400_000);

// ---------------------------------------------------------------- cleanup

// bench/cleanup.ts: cleanups, cleanupAll (run on Ctrl-C as well).

// ---------------------------------------------------------------- timing

interface Timed {
  name: string;
  ms: number[];
}

async function time(name: string, runs: number, fn: () => Promise<unknown>): Promise<Timed> {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return { name, ms };
}

const median = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.5);
const p95 = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.95);

/** The statements `run` sends, captured by a drizzle logger on a second connection. */
async function captureStatements(url: string, run: (db: Db) => Promise<unknown>): Promise<{ query: string; params: unknown[] }[]> {
  const captured: { query: string; params: unknown[] }[] = [];
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const db = drizzle(client, { schema, casing: 'snake_case', logger: { logQuery: (query, params) => captured.push({ query, params }) } }) as unknown as Db;
    await run(db);
  } finally {
    await client.end({ timeout: 5 });
  }
  // A transaction's own `set transaction ...` is logged too: keep the queries.
  return captured.filter((c) => /^\s*(select|with)\b/i.test(c.query));
}

/** The `set local ...` analyzeScope's transaction starts with: its statements alone run under them too. */
async function captureSettings(url: string): Promise<string[]> {
  const settings: string[] = [];
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const db = drizzle(client, { schema, casing: 'snake_case', logger: { logQuery: (query) => void (/^\s*set local\b/i.test(query) && settings.push(query)) } }) as unknown as Db;
    await analyzeScope(db, { from: FROM, to: TO }, { now: TO, layers: BUILTIN_LAYERS });
  } finally {
    await client.end({ timeout: 5 });
  }
  return settings;
}

interface Statement {
  name: string;
  query: string;
  params: never[];
  /** Run alone, once per run of the loop. */
  ms: number[];
  rows: number;
  planMs: number;
  execMs: number;
  plan: string;
  /** `set local ...` statements its caller's transaction applied first. */
  settings: string[];
}

const statement = (name: string, c: { query: string; params: unknown[] }, settings: string[] = []): Statement => ({
  name,
  query: c.query,
  params: c.params as never[],
  ms: [],
  rows: 0,
  planMs: NaN,
  execMs: NaN,
  plan: '',
  settings,
});

/** Name the captured statements of analyzeScope after what they do in db/queries/analysis.ts. */
function nameStatements(captured: { query: string; params: unknown[] }[], settings: string[]): Statement[] {
  let histograms = 0;
  return captured.map((c) => {
    // The idle members' LIMIT scan keeps drops whose IDLE (least of the two silences) is known.
    const members = () => `window members (${/least\([^)]*\) end\) is not null/.test(c.query) ? 'idle' : 'age'})`;
    const name = c.query.includes('cross join lateral')
      ? members()
      : c.query.includes('count(*) filter')
        ? 'window exposures'
        : !c.query.includes('"canary_sessions"')
          ? 'probes (names, labels)'
          : ++histograms === 1
            ? 'histogram of age'
            : 'histogram of idle';
    return statement(name, c, settings);
  });
}

/** The findings of db/queries/findings.ts, in analysisReport's order. */
const FINDINGS: { name: string; run: (db: Db, scope: AnalysisScope) => Promise<unknown> }[] = [
  { name: 'refusalGroups', run: refusalGroups },
  { name: 'silentGroups', run: silentGroups },
  { name: 'ladderRungs', run: ladderRungs },
  { name: 'egressStats', run: egressStats },
  { name: 'rttBeforeDrops', run: rttBeforeDrops },
];

/** Run `query` in a transaction that first applies `st.settings`, as its caller's transaction did. */
async function underSettings<T>(sql: Sql, st: Statement, query: string): Promise<T[]> {
  if (st.settings.length === 0) return (await sql.unsafe(query, st.params)) as unknown as T[];
  return (await sql.begin(async (tx) => {
    for (const setting of st.settings) await tx.unsafe(setting);
    return tx.unsafe(query, st.params);
  })) as unknown as T[];
}

async function runAlone(sql: Sql, st: Statement): Promise<void> {
  const t = performance.now();
  const rows = await underSettings(sql, st, st.query);
  st.ms.push(performance.now() - t);
  st.rows = rows.length;
}

async function explain(sql: Sql, st: Statement): Promise<void> {
  const lines = (await underSettings<{ 'QUERY PLAN': string }>(sql, st, `explain (analyze, buffers) ${st.query}`)).map((r) => r['QUERY PLAN']);
  st.plan = lines.join('\n');
  st.planMs = Number(/Planning Time: ([\d.]+)/.exec(st.plan)?.[1]);
  st.execMs = Number(/Execution Time: ([\d.]+)/.exec(st.plan)?.[1]);
}

// ---------------------------------------------------------------- output

const fmt = (ms: number) => ms.toFixed(0);

function timingTable(rows: Timed[], baseline: Timed): string {
  return formatTable(
    ['query', ...rows[0]!.ms.map((_, i) => `run ${i + 1} ms`), 'median ms', 'p95 ms', 'x histogram'],
    rows.map((r) => [r.name, ...r.ms.map(fmt), fmt(median(r.ms)), fmt(p95(r.ms)), (median(r.ms) / median(baseline.ms)).toFixed(1)]),
  );
}

function signatureTable(signatures: Signature[]): string {
  return formatTable(
    ['N s', 'dimension', 'kind', 'drops', 'share', 'where', 'endings', 'top candidate', 'planted'],
    signatures.map((s) => {
      const plant = PLANTED.find((p) => Math.abs(p.nS - s.nSeconds) <= 1);
      const ok = plant && plant.kind === s.kind && plant.scope === s.location.scope && plant.value === s.location.value;
      return [
        s.nSeconds.toFixed(1),
        s.dimension,
        s.kind,
        s.count.toLocaleString('en-US'),
        s.share.toFixed(3),
        `${s.location.scope}${s.location.value ? `=${s.location.value}` : ''}`,
        Object.entries(s.endings)
          .map(([k, v]) => `${k} ${v}`)
          .join(', '),
        s.candidates[0]?.layerId ?? '-',
        plant ? (ok ? 'yes, as planted' : `NO: planted ${plant.kind} at ${plant.scope}=${plant.value}`) : 'not planted',
      ];
    }),
  );
}

function statementTable(list: Statement[]): string {
  return formatTable(
    ['statement', ...list[0]!.ms.map((_, i) => `run ${i + 1} ms`), 'median ms', 'rows', 'EXPLAIN ANALYZE ms'],
    list.map((e) => [e.name, ...e.ms.map(fmt), fmt(median(e.ms)), e.rows.toLocaleString('en-US'), fmt(e.execMs)]),
  );
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  if (!Number.isInteger(SESSIONS) || SESSIONS < 1000) throw new RangeError(`BENCH_SESSIONS must be an integer >= 1000, got ${SESSIONS}`);
  if (!Number.isInteger(RUNS) || RUNS < 1) throw new RangeError(`BENCH_RUNS must be a positive integer, got ${RUNS}`);
  const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
  process.stdout.write(
    `dropscope analysis bench: ${SESSIONS.toLocaleString('en-US')} ended sessions over 24 h, analysis of that day, ${RUNS} runs\n` +
      `${machineLine()}\n` +
      `load average at start: ${load()}\n`,
  );
  const started = performance.now();

  const name = `dropscope_bench_${randomBytes(6).toString('hex')}`;
  const admin = postgres(PG_URL, { max: 1, onnotice: () => {} });
  cleanups.push(() => admin.end({ timeout: 5 }));
  await admin.unsafe(`create database ${name}`);
  cleanups.push(() => admin.unsafe(`drop database if exists ${name} with (force)`).then(() => undefined));
  const scratch = new URL(PG_URL);
  scratch.pathname = `/${name}`;
  const database = await openDatabase({ kind: 'postgres', url: scratch.toString() });
  cleanups.push(() => database.close());
  const sql = (database.db as unknown as { $client: Sql }).$client;
  const [{ server_version: version, shared_buffers: buffers, work_mem: workMem }] = (await sql.unsafe(
    `select current_setting('server_version') as server_version, current_setting('shared_buffers') as shared_buffers, current_setting('work_mem') as work_mem`,
  )) as unknown as [{ server_version: string; shared_buffers: string; work_mem: string }];

  // ---- seed
  let t = performance.now();
  const probeIds: number[] = [];
  for (const p of PROBES) probeIds.push((await addProbe(database.db, p)).probe.id);
  const counts = await seed(sql, probeIds, FROM, SESSIONS);
  const seedS = (performance.now() - t) / 1000;
  t = performance.now();
  // The servers' sealer would have sealed the day's hours by the time anyone asks.
  const sealed = await sealAll(database.db, new Date(TO.getTime() + 3_600_000));
  const sealS = (performance.now() - t) / 1000;
  t = performance.now();
  // As autovacuum would have done by the time anyone asks: statistics and the visibility map.
  await sql.unsafe('vacuum analyze canary_sessions');
  await sql.unsafe('vacuum analyze target_session_views');
  await sql.unsafe('vacuum analyze ending_packs');
  const vacuumS = (performance.now() - t) / 1000;
  const [size] = await sql.unsafe<{ table: string; indexes: string }[]>(
    `select pg_size_pretty(pg_table_size('canary_sessions')) as table, pg_size_pretty(pg_indexes_size('canary_sessions')) as indexes`,
  );
  const mix = await sql.unsafe<{ end_kind: string; n: string }[]>(
    `select coalesce(end_kind::text, '(none)') as end_kind, count(*) as n from canary_sessions group by 1 order by 2 desc`,
  );
  if (counts.ended !== SESSIONS) throw new Error(`seeded ${counts.ended} ended sessions, expected ${SESSIONS}`);

  // ---- time: the statements analyzeScope sends (captured on a run that also warms the cache),
  // then run by run the baselines, the analysis, and its statements alone, so that changes
  // in the machine's load hit all of them alike.
  const statements = nameStatements(
    await captureStatements(scratch.toString(), (db) => analyzeScope(db, { from: FROM, to: TO }, { now: TO, layers: BUILTIN_LAYERS })),
    await captureSettings(scratch.toString()),
  );
  const findings: Statement[] = [];
  for (const f of FINDINGS) {
    // A finding may send more than one statement (egressStats orders only the pairs that
    // change address, in a second one; refusalGroups reads attempts and refusals apart).
    const sent = await captureStatements(scratch.toString(), (db) => f.run(db, { from: FROM, to: TO }));
    if (sent.length === 0) throw new Error(`${f.name} sent no statement`);
    sent.forEach((c, i) => findings.push(statement(sent.length === 1 ? f.name : `${f.name} (${i + 1} of ${sent.length})`, c)));
  }
  const report: Timed = { name: 'analysisReport (analyzeScope + findings)', ms: [] };
  const scope = `ended_at >= '${FROM.toISOString()}' and ended_at < '${TO.toISOString()}' and end_kind is not null and end_kind <> 'probe_closed'`;
  const count: Timed = { name: 'count(*) of the drops in scope', ms: [] };
  const histogram: Timed = { name: 'floor(duration_ms / 100), count(*) group by 1', ms: [] };
  const analysis: Timed = { name: 'analyzeScope (its statements + JS)', ms: [] };
  const rest: number[] = [];
  let result: Awaited<ReturnType<typeof analyzeScope>> | undefined;
  let drops = 0;
  let bins = 0;
  for (let i = 0; i < RUNS; i++) {
    count.ms.push(...(await time('', 1, async () => (drops = Number((await sql.unsafe<{ n: string }[]>(`select count(*) as n from canary_sessions where ${scope}`))[0]!.n)))).ms);
    histogram.ms.push(...(await time('', 1, async () => (bins = (await sql.unsafe(`select floor(duration_ms / 100) as bin, count(*) from canary_sessions where ${scope} group by 1`)).length))).ms);
    analysis.ms.push(...(await time('', 1, async () => (result = await analyzeScope(database.db, { from: FROM, to: TO }, { now: TO, layers: BUILTIN_LAYERS })))).ms);
    for (const st of statements) await runAlone(sql, st);
    rest.push(analysis.ms[i]! - statements.reduce((n, st) => n + st.ms[i]!, 0));
    report.ms.push(...(await time('', 1, () => analysisReport(database.db, { from: FROM, to: TO }, { now: TO, layers: BUILTIN_LAYERS }))).ms);
    for (const st of findings) await runAlone(sql, st);
  }
  if (result!.totalDrops !== drops) throw new Error(`the analysis counted ${result!.totalDrops} drops, count(*) ${drops}`);
  for (const st of [...statements, ...findings]) await explain(sql, st);
  const over = median(analysis.ms) > AIM_MS;

  const found = PLANTED.filter((p) => result!.signatures.some((s) => Math.abs(p.nS - s.nSeconds) <= 1 && s.kind === p.kind && s.location.scope === p.scope && s.location.value === p.value));
  process.stdout.write(
    `load average at end:   ${load()}; total ${((performance.now() - started) / 1000).toFixed(0)} s\n` +
      `database: PostgreSQL ${version} at ${scratch.host} (scratch database ${name}, dropped after), shared_buffers ${buffers}, work_mem ${workMem}\n` +
      `seeded in ${seedS.toFixed(1)} s (insert ... select generate_series), ${sealed} (hour, probe) pairs of the endings aggregate sealed in ${sealS.toFixed(1)} s, vacuum analyze ${vacuumS.toFixed(1)} s: ` +
      `${counts.ended.toLocaleString('en-US')} ended sessions, ${counts.live.toLocaleString('en-US')} still open, ${counts.failed.toLocaleString('en-US')} failed attempts, ` +
      `${counts.targetViews.toLocaleString('en-US')} target views; canary_sessions ${size!.table} + indexes ${size!.indexes}\n` +
      `ends: ${mix.map((m) => `${m.end_kind} ${Number(m.n).toLocaleString('en-US')}`).join(', ')}\n` +
      `scope: ${FROM.toISOString()} to ${TO.toISOString()}, ${drops.toLocaleString('en-US')} drops, ${bins.toLocaleString('en-US')} histogram bins\n\n` +
      `${timingTable([analysis, report, count, histogram], histogram)}\n\n` +
      `signatures found: ${result!.signatures.length} (planted ${PLANTED.length}, found as planted ${found.length})\n` +
      `${signatureTable(result!.signatures)}\n\n` +
      `the analysis's statements, each alone in the same runs (postgres.js, rows parsed), then once under EXPLAIN ANALYZE:\n` +
      `${statementTable(statements)}\n` +
      `analyzeScope minus its statements alone, median over the runs (the transaction, drizzle's row mapping, lib/analysis): ${fmt(median(rest))} ms\n\n` +
      `the findings' statements (db/queries/findings.ts, what analysisReport adds for /api/v1/analysis), each alone in the same runs, then once under EXPLAIN ANALYZE:\n` +
      `${statementTable(findings)}\n` +
      `aim: the analysis of one day of ${SESSIONS.toLocaleString('en-US')} sessions under ${AIM_MS} ms: ${over ? 'NOT met' : 'met'} (median ${fmt(median(analysis.ms))} ms)` +
      `${SESSIONS === 1_000_000 ? '' : ' (the aim is for 1,000,000)'}\n`,
  );
  if (over || EXPLAIN_ALL) {
    // Over the aim: the plans of the two slowest (all of them with BENCH_EXPLAIN=1).
    for (const st of [...statements, ...findings].sort((a, b) => b.execMs - a.execMs).slice(0, EXPLAIN_ALL ? statements.length + findings.length : 2)) {
      process.stdout.write(`\n---- ${st.name}: EXPLAIN (ANALYZE, BUFFERS)\n${st.plan}\n`);
    }
  }
}

main()
  .catch((err: unknown) => {
    const query = (err as { query?: string }).query;
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n${query ? `query: ${query}\n` : ''}`);
    process.exitCode = 1;
  })
  .finally(() => cleanupAll());
