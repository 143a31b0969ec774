/**
 * `npm run bench:agent`: what one probe costs to hold 10,000 canaries (half idle, half a
 * heartbeat every second) against a local canary target: RSS per canary, CPU of one core
 * and heartbeats on time (measured at the target), beside a bare `ws` client holding as
 * many connections to the same target in the same run. bench/README.md says how to read
 * the table. `npm run bench:agent -- --soak` runs the soak instead (bench/agent-soak.ts).
 *
 * Four child processes, each bundled with esbuild as the agent ships and run with plain
 * node: two targets (bench/agent-target-proc.ts), the baseline (bench/agent-ws-proc.ts)
 * and the probe (bench/agent-probe-proc.ts, the real runner writing to the real spool in
 * a temp directory). Both clients hold their connections at once, each to its own target,
 * and are measured from /proc over the same window. Only 127.0.0.1 is used; every child
 * is ended by PID and the temp directory removed at the end, also on failure or Ctrl-C.
 *
 * Environment: BENCH_CANARIES (default 10000), BENCH_SETTLE_S (seconds held open before
 * the window, default 30), BENCH_WINDOW_S (the steady window, default 60: heartbeat
 * canaries ship their RTT samples once a minute, all within seconds of each other since
 * they opened together, so a shorter window catches that burst or misses it; the quietest
 * and busiest 20 s are printed as well), BENCH_CPU_PROF (a directory: both clients write
 * a V8 CPU profile of the window there; profiling inflates the CPU column),
 * BENCH_HEAP_SNAPSHOT (a directory: both clients write a heap snapshot there after the
 * window, for Chrome DevTools' Memory tab).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundle, cpuMs, mainThreadCpuMs, rssKiB, startChild, type Child } from './child-process';
import { checkLimits } from './agent-limits';
import type { OnTimeResult } from './agent-on-time';
import { runSoak } from './agent-soak';
import { formatTable, machineLine } from './measure';
import { cleanupAll, cleanups } from './cleanup';

const N = Number(process.env.BENCH_CANARIES ?? 10000);
const SETTLE_S = Number(process.env.BENCH_SETTLE_S ?? 30);
const WINDOW_S = Number(process.env.BENCH_WINDOW_S ?? 60);
/** Also reported: CPU over the quietest and busiest stretch of this many seconds. */
const SUB_WINDOW_S = 20;
const CPU_PROF = process.env.BENCH_CPU_PROF;
const HEAP_SNAPSHOT = process.env.BENCH_HEAP_SNAPSHOT;
/** All connections must be open within this, or the run is void. */
const OPEN_TIMEOUT_MS = 90_000;
/** Aims from the issue: memory and CPU within 1.2x of bare ws; heartbeats on time (below). */
const AIM_MEMORY_RATIO = 1.2;
const AIM_CPU_RATIO = 1.2;
/** On time: >= 99 % of the heartbeats due, or >= 0.99 x the share bare ws achieves in the same run. */
const AIM_ON_TIME_PCT = 99;
const AIM_ON_TIME_OF_WS = 0.99;
/** The heartbeat canaries' interval (both clients), and how late after its slot a ping is still on time. */
const HB_INTERVAL_MS = 1000;
const ON_TIME_MS = 100;
/** Files a client needs beyond its sockets: node itself, the spool, slack. */
const SPARE_FILES = 256;

interface Stats {
  open: number;
  connecting: number;
  backoff: number;
  /** Events the probe emitted (and spooled), by type; empty for bare ws. */
  events: Record<string, number>;
  /** The bare ws client's own counts: pongs, closed, errors. */
  counters?: Record<string, number>;
  appendFailures?: number;
  unexpected?: number;
  spoolDepth?: number;
}

interface Row {
  client: string;
  rampS: number;
  rssBeforeKiB: number;
  /** Mean of one sample a second over the window. */
  rssSteadyKiB: number;
  heapPerConnB: number;
  /** V8 heap growth after full collections, per connection per second of the window. */
  heapGrowthBps: number;
  cpuPct: number;
  /** Of which the main thread (JavaScript and its syscalls); the rest is GC helpers and libuv's pool. */
  mainThreadPct: number;
  /** CPU % over the quietest and the busiest SUB_WINDOW_S seconds of the window. */
  cpuSubMin: number;
  cpuSubMax: number;
  /** memoryUsage and V8 space sizes at the end of the window, bytes. */
  mem: Record<string, number>;
  targetCpuPct: number;
  /** Reads per second on the target's sockets over the window: the pings that arrived. */
  targetReadsPerS: number;
  /** Sessions that ended (or dials that failed) during the window: 0 means steady. */
  endings: number;
  /** Events the probe appended to its spool during the window (0 for bare ws). */
  spooled: number;
  /** Heartbeats on time over the window, judged at the target (bench/agent-on-time.ts). */
  onTime: OnTimeResult;
}

// ---------------------------------------------------------------- cleanup

// bench/cleanup.ts: cleanups, cleanupAll (run on Ctrl-C as well).

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sum = (o: Record<string, number> | undefined, keys: string[]) => keys.reduce((n, k) => n + (o?.[k] ?? 0), 0);
const total = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);

// ---------------------------------------------------------------- the clients, side by side

/**
 * Both clients run at once, each against a target process of its own, and are measured
 * over the same window: whatever else the machine does then (other tenants of the host,
 * its clock speed) weighs on both alike. Measured one after the other, the same target
 * spent up to 30 % more CPU on the same pings in one client's window than in the other's,
 * and the CPU ratio moved by as much from run to run.
 */
interface Client {
  name: string;
  child: Child;
  target: Child;
  endings(s: Stats): number;
  heap0: number;
  rssBeforeKiB: number;
  rampS: number;
  heap1: number;
  before: Stats;
  cpu: number[];
  rss: number[];
  main0: number;
  targetCpu0: number;
  reads0: number;
  /** Read at the end of the window, for every client before any is stopped. */
  atEnd?: { main1: number; targetCpu1: number; reads1: number; onTime: OnTimeResult; after: Stats };
}

async function startClient(name: string, file: string, args: string[], target: Child, endings: (s: Stats) => number): Promise<Client> {
  const child = startChild(file, args, { name, openFiles: N + SPARE_FILES, nodeArgs: ['--expose-gc'] });
  cleanups.push(() => child.kill());
  await child.next('ready', 30_000);
  // Before opening: modules loaded, heap collected, RSS settled.
  await sleep(1000);
  const heap0 = (await child.ask<{ heapUsed: number }>('heap')).heapUsed;
  await sleep(1000);
  const rssBeforeKiB = await meanRss(child.pid, 5, 200);
  return { name, child, target, endings, heap0, rssBeforeKiB, rampS: 0, heap1: 0, before: undefined as unknown as Stats, cpu: [], rss: [], main0: 0, targetCpu0: 0, reads0: 0 };
}

/** Open all N, one client at a time (their ramps would slow each other). */
async function openAll(c: Client): Promise<void> {
  await c.child.ask('open');
  const t0 = performance.now();
  for (;;) {
    const s = await c.child.ask<Stats>('stats');
    if (s.open === N) break;
    if (performance.now() - t0 > OPEN_TIMEOUT_MS) throw new Error(`${c.name}: only ${s.open} of ${N} open after ${OPEN_TIMEOUT_MS / 1000} s (connecting ${s.connecting}, backoff ${s.backoff}, ${JSON.stringify(s.events)})`);
    await sleep(200);
  }
  c.rampS = (performance.now() - t0) / 1000;
  const seen = await c.target.ask<{ open: number }>('stats');
  if (seen.open !== N) throw new Error(`${c.name}: the client holds ${N} open but its target sees ${seen.open}`);
}

/** The window, the same seconds for every client: full collections just outside it. */
async function measureWindow(clients: Client[]): Promise<{ w0: number; w1: number }> {
  for (const c of clients) {
    c.heap1 = (await c.child.ask<{ heapUsed: number }>('heap')).heapUsed;
    c.before = await c.child.ask<Stats>('stats');
    if (CPU_PROF) await c.child.ask('profile-start');
  }
  for (const c of clients) c.reads0 = (await c.target.ask<{ reads: number }>('stats')).reads;
  // The targets judge heartbeats over the same window: started and ended together.
  await Promise.all(clients.map((c) => c.target.ask('hb-start', { windowS: WINDOW_S })));
  const w0 = performance.now();
  for (const c of clients) {
    c.cpu = [cpuMs(c.child.pid)];
    c.main0 = mainThreadCpuMs(c.child.pid);
    c.targetCpu0 = cpuMs(c.target.pid);
  }
  for (let i = 0; i < WINDOW_S; i++) {
    await sleep(w0 + (i + 1) * 1000 - performance.now());
    for (const c of clients) {
      c.cpu.push(cpuMs(c.child.pid));
      c.rss.push(rssKiB(c.child.pid));
    }
  }
  const w1 = performance.now();
  for (const c of clients) c.atEnd = { main1: mainThreadCpuMs(c.child.pid), targetCpu1: cpuMs(c.target.pid), reads1: 0, onTime: undefined as unknown as OnTimeResult, after: undefined as unknown as Stats };
  const onTimes = await Promise.all(clients.map((c) => c.target.ask<OnTimeResult>('hb-end')));
  for (const [i, c] of clients.entries()) {
    c.atEnd!.onTime = onTimes[i]!;
    c.atEnd!.reads1 = (await c.target.ask<{ reads: number }>('stats')).reads;
    c.atEnd!.after = await c.child.ask<Stats>('stats');
  }
  return { w0, w1 };
}

async function finish(c: Client, w0: number, w1: number): Promise<{ row: Row; final: Stats }> {
  const wallMs = w1 - w0;
  const { main1, targetCpu1, reads1, onTime, after } = c.atEnd!;
  const cpuPct = ((c.cpu.at(-1)! - c.cpu[0]!) / wallMs) * 100;
  const mainThreadPct = ((main1 - c.main0) / wallMs) * 100;
  const targetCpuPct = ((targetCpu1 - c.targetCpu0) / wallMs) * 100;
  if (CPU_PROF) await c.child.ask('profile-stop', { file: path.resolve(CPU_PROF, `${c.name.replace(/\W+/g, '-')}-window.cpuprofile`) });
  const mem = await c.child.ask<Record<string, number>>('mem');
  const heap2 = (await c.child.ask<{ heapUsed: number }>('heap')).heapUsed;
  const heapSpanS = (performance.now() - w0) / 1000;
  if (HEAP_SNAPSHOT) await c.child.ask('snapshot', { file: path.resolve(HEAP_SNAPSHOT, `${c.name.replace(/\W+/g, '-')}.heapsnapshot`) }, 300_000);
  if (after.open !== N) throw new Error(`${c.name}: ${after.open} of ${N} open at the end of the window`);
  // Half the connections ping: the target must have judged exactly those, each ping in its row.
  if (onTime.heartbeatConns !== N / 2 || onTime.overflow !== 0) {
    throw new Error(`${c.name}: the target saw pings on ${onTime.heartbeatConns} connections (expected ${N / 2}), ${onTime.overflow} beyond one a second`);
  }

  // Stop politely: the probe reports every ending before it goes.
  const final = await c.child.ask<Stats>('stop', {}, 60_000);
  await c.child.kill();

  // CPU over every sub-window of SUB_WINDOW_S seconds: periodic work makes a short window
  // read high or low depending on where it falls.
  const sub = Math.min(SUB_WINDOW_S, WINDOW_S);
  const subPct: number[] = [];
  for (let i = 0; i + sub < c.cpu.length; i++) subPct.push(((c.cpu[i + sub]! - c.cpu[i]!) / (sub * 1000)) * 100);
  return {
    row: {
      client: c.name,
      rampS: c.rampS,
      rssBeforeKiB: c.rssBeforeKiB,
      rssSteadyKiB: c.rss.reduce((a, b) => a + b, 0) / c.rss.length,
      heapPerConnB: (c.heap1 - c.heap0) / N,
      heapGrowthBps: (heap2 - c.heap1) / N / heapSpanS,
      cpuPct,
      mainThreadPct,
      cpuSubMin: Math.min(...subPct),
      cpuSubMax: Math.max(...subPct),
      mem,
      targetCpuPct,
      targetReadsPerS: (reads1 - c.reads0) / (wallMs / 1000),
      endings: c.endings(after) - c.endings(c.before),
      spooled: total(after.events) - total(c.before.events),
      onTime,
    },
    final,
  };
}

async function meanRss(pid: number, samples: number, everyMs: number): Promise<number> {
  let total = 0;
  for (let i = 0; i < samples; i++) {
    total += rssKiB(pid);
    await sleep(everyMs);
  }
  return total / samples;
}

// ---------------------------------------------------------------- output

const perConnKiB = (r: Row) => (r.rssSteadyKiB - r.rssBeforeKiB) / N;
const onTimePct = (r: Row) => (r.onTime.due > 0 ? (r.onTime.onTime / r.onTime.due) * 100 : NaN);
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

function table(rows: Row[]): string {
  const [base, probe] = rows;
  const lines = rows.map((r) => [
    r.client,
    N.toLocaleString('en-US'),
    mib(r.rssBeforeKiB * 1024),
    mib(r.rssSteadyKiB * 1024),
    perConnKiB(r).toFixed(1),
    (r.heapPerConnB / 1024).toFixed(1),
    r.cpuPct.toFixed(1),
    r.mainThreadPct.toFixed(1),
    `${r.cpuSubMin.toFixed(1)}-${r.cpuSubMax.toFixed(1)}`,
    r.targetCpuPct.toFixed(1),
    Math.round(r.targetReadsPerS).toLocaleString('en-US'),
    String(r.endings),
    r.spooled.toLocaleString('en-US'),
    onTimePct(r).toFixed(1),
  ]);
  if (base && probe) {
    lines.push(['probe / bare ws', '', '', '', (perConnKiB(probe) / perConnKiB(base)).toFixed(2), (probe.heapPerConnB / base.heapPerConnB).toFixed(2), (probe.cpuPct / base.cpuPct).toFixed(2), (probe.mainThreadPct / base.mainThreadPct).toFixed(2), '', '', '', '', '', '']);
  }
  return formatTable(
    ['client', 'conns', 'RSS before MiB', 'RSS steady MiB', 'RSS KiB/conn', 'heap KiB/conn', 'CPU % core', 'main thread', `${SUB_WINDOW_S} s min-max`, 'target CPU %', 'target reads/s', 'endings', 'spooled', 'hb on time %'],
    lines,
  );
}

/** Where the RSS is at the end of the window (MiB): what grows per connection and what does not. */
function memoryTable(rows: Row[]): string {
  return formatTable(
    ['client', 'ramp s', 'RSS', 'heap used', 'new space', 'old space', 'code', 'outside heap', 'external', 'heap B/s/conn'],
    rows.map((r) => [
      r.client,
      r.rampS.toFixed(1),
      mib(r.mem.rss!),
      mib(r.mem.heapUsed!),
      mib(r.mem.newSpace!),
      mib(r.mem.oldSpace!),
      mib(r.mem.codeSpace!),
      mib(r.mem.rss! - r.mem.heapTotal!),
      mib(r.mem.external!),
      r.heapGrowthBps.toFixed(1),
    ]),
  );
}

const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

async function main(): Promise<void> {
  for (const [k, v] of Object.entries({ BENCH_CANARIES: N, BENCH_SETTLE_S: SETTLE_S, BENCH_WINDOW_S: WINDOW_S })) {
    if (!Number.isInteger(v) || v < (k === 'BENCH_SETTLE_S' ? 0 : 2)) throw new RangeError(`${k} must be an integer >= ${k === 'BENCH_SETTLE_S' ? 0 : 2}, got ${v}`);
  }
  if (N % 2 !== 0) throw new RangeError(`BENCH_CANARIES must be even (half idle, half heartbeat), got ${N}`);
  // Two targets and two clients hold N connections each, all at once.
  const limits = checkLimits(2 * N, N + SPARE_FILES, 4);
  process.stdout.write(
    `dropscope agent bench: ${N.toLocaleString('en-US')} connections per client (half idle, half a ping every 1 s), ` +
      `held ${SETTLE_S} s, then measured over ${WINDOW_S} s\n` +
      `${machineLine()}\n` +
      `${limits.summary}\n` +
      `load average at start: ${load()}\n`,
  );
  if (limits.problems.length > 0) throw new RangeError(`this machine cannot hold ${N} connections per client:\n  ${limits.problems.join('\n  ')}`);
  const started = performance.now();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dropscope-bench-agent-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const rows: Row[] = [];
  const notes: string[] = [];
  try {
    const files = await bundle(['bench/agent-target-proc.ts', 'bench/agent-ws-proc.ts', 'bench/agent-probe-proc.ts'], path.join(dir, 'bundle'));
    const startTarget = async (name: string) => {
      const target = startChild(files.get('bench/agent-target-proc.ts')!, [String(HB_INTERVAL_MS), String(ON_TIME_MS)], { name, openFiles: N + SPARE_FILES });
      cleanups.push(() => target.kill());
      const { port } = await target.next<{ port: number }>('ready', 30_000);
      return { target, url: `ws://127.0.0.1:${port}/canary` };
    };
    const forWs = await startTarget('target of bare ws');
    const forProbe = await startTarget('target of the probe');
    const spoolDir = path.join(dir, 'spool');
    const clients = [
      await startClient('bare ws', files.get('bench/agent-ws-proc.ts')!, [forWs.url, String(N)], forWs.target, (s) => sum(s.counters, ['closed', 'errors'])),
      await startClient('dropscope probe', files.get('bench/agent-probe-proc.ts')!, [forProbe.url, String(N), spoolDir], forProbe.target, (s) => sum(s.events, ['session.ended', 'attempt.failed'])),
    ];
    for (const c of clients) await openAll(c);
    await sleep(SETTLE_S * 1000);
    const { w0, w1 } = await measureWindow(clients);
    const bare = await finish(clients[0]!, w0, w1);
    const probe = await finish(clients[1]!, w0, w1);
    rows.push(bare.row, probe.row);
    notes.push(`bare ws: ${(bare.final.counters?.pongs ?? 0).toLocaleString('en-US')} pongs in all, ${bare.final.counters?.errors ?? 0} errors`);
    const ev = probe.final.events;
    // Every canary opened once and reported its ending once: the figures are of a steady probe.
    if (ev['session.opened'] !== N || ev['session.ended'] !== N || ev['attempt.failed'] || probe.final.appendFailures || probe.final.unexpected) {
      throw new Error(`probe: expected ${N} sessions opened and ended, none failed; got ${JSON.stringify(probe.final)}`);
    }
    notes.push(`probe: events spooled in all ${JSON.stringify(ev)}, append failures 0, spool depth ${probe.final.spoolDepth?.toLocaleString('en-US')}`);
  } finally {
    await cleanupAll();
  }

  const [base, probe] = rows as [Row, Row];
  // The verdicts use the figures as printed, so the line and the verdict never disagree.
  const M = Number((perConnKiB(probe) / perConnKiB(base)).toFixed(2));
  const C = Number((probe.cpuPct / base.cpuPct).toFixed(2));
  const P = Number(onTimePct(probe).toFixed(1));
  const W = Number(onTimePct(base).toFixed(1));
  const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
  process.stdout.write(
    `load average at end:   ${load()}; total ${((performance.now() - started) / 1000).toFixed(0)} s\n\n` +
      `${table(rows)}\n\n` +
      `${memoryTable(rows)}\n` +
      'RSS before: the client with modules loaded, nothing open. RSS steady: mean of one sample a second over the window.\n' +
      'RSS KiB/conn = (steady - before) / conns. heap KiB/conn: V8 heap after a full GC, before the window minus before opening.\n' +
      `CPU: user + system of the client (target: of the target) over the window, % of one core; main thread: its JavaScript and\n` +
      `syscalls (the rest is V8's GC threads and libuv's pool); min-max: CPU over the window's quietest and busiest ${SUB_WINDOW_S} s.\n` +
      "target reads/s: reads on the target's sockets, about one per ping that arrived (both clients should show ~conns/2).\n" +
      'endings: sessions ended or dials failed during the window (0 = steady). spooled: events the probe appended during it.\n' +
      `hb on time %: pings that reached the target within ${ON_TIME_MS} ms of their slot (phase + k x ${HB_INTERVAL_MS} ms, per connection)\n` +
      "over the pings due in the window; a missing ping is late. Judged by the target on the frames' arrival, not their payload.\n" +
      'Second table, MiB at the end of the window: V8 spaces as reserved; outside heap = RSS - heap reserved (sockets, Buffers, code\n' +
      'of node itself); heap B/s/conn: heap growth after full GCs over the window, per connection.\n' +
      `${rows.map(heartbeatNote).join('\n')}\n` +
      `${notes.join('\n')}\n` +
      `aim: memory within ${AIM_MEMORY_RATIO}x of bare ws: ${met(M <= AIM_MEMORY_RATIO)} (${M.toFixed(2)}x); ` +
      `CPU within ${AIM_CPU_RATIO}x of bare ws: ${met(C <= AIM_CPU_RATIO)} (${C.toFixed(2)}x); ` +
      `heartbeats on time >= ${AIM_ON_TIME_PCT} % or >= ${AIM_ON_TIME_OF_WS} x bare ws: ${met(P >= AIM_ON_TIME_PCT || P >= AIM_ON_TIME_OF_WS * W)} (${P.toFixed(1)} %, ws ${W.toFixed(1)} %)\n` +
      `agent: ${N} canaries; memory ${M.toFixed(2)}x ws; cpu ${C.toFixed(2)}x ws; heartbeats on time ${P.toFixed(1)}% (ws ${W.toFixed(1)}%)\n`,
  );
}

function heartbeatNote(r: Row): string {
  const h = r.onTime;
  const n = (x: number) => x.toLocaleString('en-US');
  return (
    `${r.client}: heartbeats due in the window ${n(h.due)} on ${n(h.heartbeatConns)} connections, on time ${n(h.onTime)}, arrived ${n(h.arrived)}; ` +
    `lateness after the slot p50 ${h.lateP50.toFixed(1)} ms, p99 ${h.lateP99.toFixed(1)} ms, max ${h.lateMax.toFixed(1)} ms`
  );
}

const soak = process.argv.slice(2).includes('--soak');
(soak ? runSoak() : main()).catch(async (err: unknown) => {
  // A RangeError is a setting or a limit of this machine: its message says which; a stack would only hide it.
  process.stderr.write(`bench failed: ${err instanceof RangeError ? err.message : ((err as Error).stack ?? String(err))}\n`);
  await cleanupAll();
  process.exitCode = 1;
});
