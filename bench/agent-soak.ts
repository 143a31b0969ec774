/**
 * `npm run bench:agent -- --soak`: does one probe's memory stay flat while its canaries
 * churn? One probe process (the real runner, spool and reporter, bench/agent-soak-probe-proc.ts)
 * holds ~100 canaries through reconnect-heavy paths served by bench/agent-soak-target-proc.ts:
 * a refused port, an HTTP 503 answer to the upgrade, sessions cut after 1 s (TCP reset, FIN
 * and a 1001 close frame in turn), a black hole that never answers the upgrade, a target that
 * goes silent after the upgrade (heartbeats end by pong timeout), and a few steady canaries.
 * Its spool is shipped to an ingest sink in the target process that acks every batch.
 *
 * Every BENCH_SOAK_SAMPLE_S the probe's V8 heap is read after a full GC and its RSS from
 * /proc right after; the first BENCH_SOAK_WARMUP_S are warm-up. The last line compares the
 * end of the run with the end of the warm-up:
 *   soak: 1800 s; rss start X MiB end Y MiB (+Z%); heap start A MiB end B MiB (+C%); within 5 %: yes|no
 *
 * Environment: BENCH_SOAK_S (the whole run, warm-up included, default 1800),
 * BENCH_SOAK_WARMUP_S (default 300), BENCH_SOAK_SAMPLE_S (default 30), BENCH_HEAP_SNAPSHOT (a
 * directory: heap snapshots of the probe at the start and the end of the steady part, to
 * compare in Chrome DevTools' Memory tab). Only 127.0.0.1 is
 * used; both children are ended by PID and the temp directory is removed at the end, also
 * on failure or Ctrl-C.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundle, cpuMs, rssKiB, startChild } from './child-process';
import { cleanupAll, cleanups } from './cleanup';
import { machineLine } from './measure';

const SOAK_S = Number(process.env.BENCH_SOAK_S ?? 1800);
const WARMUP_S = Number(process.env.BENCH_SOAK_WARMUP_S ?? 300);
const SAMPLE_S = Number(process.env.BENCH_SOAK_SAMPLE_S ?? 30);
const HEAP_SNAPSHOT = process.env.BENCH_HEAP_SNAPSHOT;
/** Acceptance (issue): RSS at the end within this much of RSS after the warm-up. */
const RSS_WITHIN_PCT = 5;

interface PathPlan {
  name: string;
  url: string;
  idle: number;
  heartbeat: number;
  /** What the path does to a canary, for the header. */
  does: string;
  /** The attempt.failed error codes or session.ended kinds it must produce, or the run did not soak what it claims. */
  expects: string[];
}

interface ProbeStats {
  open: number;
  connecting: number;
  backoff: number;
  events: Record<string, number>;
  failed: Record<string, number>;
  ended: Record<string, number>;
  appendFailures: number;
  unexpected: number;
  spoolDepth: number;
  spoolBytes: number;
  reporter: { sent: number; failures: number; deadLettered: number; lastError?: string } | null;
}

interface Sample {
  t: number;
  rssKiB: number;
  heapUsed: number;
  /** process.memoryUsage() and V8's spaces (bench/child-ipc.ts memoryBreakdown), bytes. */
  mem: Record<string, number>;
  cpuMs: number;
  stats: ProbeStats;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
const mib = (kib: number) => (kib / 1024).toFixed(1);
const n = (x: number) => x.toLocaleString('en-US');
/** Change in %, one decimal, as printed (the verdict uses the printed figure). */
const changePct = (from: number, to: number) => Number((((to - from) / from) * 100).toFixed(1));
const signed = (p: number) => `${p >= 0 ? '+' : ''}${p.toFixed(1)}%`;
const attempts = (s: ProbeStats) => (s.events['session.opened'] ?? 0) + (s.events['attempt.failed'] ?? 0);
const events = (s: ProbeStats) => Object.values(s.events).reduce((a, b) => a + b, 0);

function plan(ports: { port: number; blackHolePort: number; refusedPort: number }): PathPlan[] {
  const at = (port: number, p: string) => `ws://127.0.0.1:${port}${p}`;
  return [
    { name: 'refused', url: at(ports.refusedPort, '/canary'), idle: 8, heartbeat: 8, does: 'nothing listens (ECONNREFUSED)', expects: ['ECONNREFUSED'] },
    { name: 'http-503', url: at(ports.port, '/503'), idle: 8, heartbeat: 8, does: 'HTTP 503 to the upgrade', expects: ['HTTP_503'] },
    { name: 'cut-1s', url: at(ports.port, '/cut'), idle: 15, heartbeat: 15, does: 'open, cut after 1 s by RST, FIN, 1001 in turn', expects: ['tcp_reset', 'tcp_fin', 'close_frame'] },
    { name: 'black-hole', url: at(ports.blackHolePort, '/canary'), idle: 8, heartbeat: 8, does: 'TCP accepted, upgrade never answered (dial timeout)', expects: ['ETIMEDOUT'] },
    { name: 'silent', url: at(ports.port, '/silent'), idle: 0, heartbeat: 12, does: 'open, then no byte back (pong timeout)', expects: ['pong_timeout'] },
    { name: 'steady', url: at(ports.port, '/canary'), idle: 5, heartbeat: 5, does: 'the real canary target', expects: [] },
  ];
}

export async function runSoak(): Promise<void> {
  for (const [k, v] of Object.entries({ BENCH_SOAK_S: SOAK_S, BENCH_SOAK_WARMUP_S: WARMUP_S, BENCH_SOAK_SAMPLE_S: SAMPLE_S })) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${k} must be an integer >= 1, got ${v}`);
  }
  if (WARMUP_S % SAMPLE_S !== 0 || SOAK_S % SAMPLE_S !== 0 || SOAK_S < WARMUP_S + SAMPLE_S) {
    throw new RangeError(`BENCH_SOAK_S (${SOAK_S}) and BENCH_SOAK_WARMUP_S (${WARMUP_S}) must be multiples of BENCH_SOAK_SAMPLE_S (${SAMPLE_S}), with at least one sample after the warm-up`);
  }
  const started = performance.now();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dropscope-bench-soak-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  try {
    const files = await bundle(['bench/agent-soak-target-proc.ts', 'bench/agent-soak-probe-proc.ts'], path.join(dir, 'bundle'));
    const target = startChild(files.get('bench/agent-soak-target-proc.ts')!, [], { name: 'soak target' });
    cleanups.push(() => target.kill());
    const ports = await target.next<{ port: number; blackHolePort: number; refusedPort: number }>('ready', 30_000);
    const paths = plan(ports);
    const canaries = paths.reduce((a, p) => a + p.idle + p.heartbeat, 0);

    process.stdout.write(
      `dropscope agent soak: ${canaries} canaries on ${paths.length} paths for ${SOAK_S} s (warm-up ${WARMUP_S} s), sampled every ${SAMPLE_S} s; ` +
        'dial timeout 3 s, reconnect backoff 200 ms to 2 s, heartbeats 1 s (pong timeout 2 s)\n' +
        `${machineLine()}\n` +
        paths.map((p) => `  ${p.name.padEnd(10)} ${String(p.idle).padStart(2)} idle ${String(p.heartbeat).padStart(2)} heartbeat  ${p.does}\n`).join('') +
        `load average at start: ${load()}\n\n`,
    );

    const probe = startChild(
      files.get('bench/agent-soak-probe-proc.ts')!,
      [JSON.stringify({ backendUrl: `http://127.0.0.1:${ports.port}`, paths: paths.map(({ name, url, idle, heartbeat }) => ({ name, url, idle, heartbeat })) }), path.join(dir, 'spool')],
      { name: 'soak probe', nodeArgs: ['--expose-gc'] },
    );
    cleanups.push(() => probe.kill());
    await probe.next('ready', 30_000);

    const samples: Sample[] = [];
    const take = async (t: number) => {
      // Heap after a full collection, then RSS right after it: garbage does not count.
      const heapUsed = (await probe.ask<{ heapUsed: number }>('heap')).heapUsed;
      let rss = 0;
      for (let i = 0; i < 3; i++) {
        rss += rssKiB(probe.pid);
        await sleep(100);
      }
      const mem = await probe.ask<Record<string, number>>('mem');
      const s: Sample = { t, rssKiB: rss / 3, heapUsed, mem, cpuMs: cpuMs(probe.pid), stats: await probe.ask<ProbeStats>('stats') };
      samples.push(s);
      if (HEAP_SNAPSHOT && (t === WARMUP_S || t === SOAK_S)) await probe.ask('snapshot', { file: path.resolve(HEAP_SNAPSHOT, `soak-probe-${t}s.heapsnapshot`) }, 300_000);
      return s;
    };
    const head = ['t s', 'RSS MiB', 'heap MiB', 'heap total', 'external', 'attempts/s', 'events/s', 'acked/s', 'spool depth', 'open', 'connecting', 'backoff', 'cpu %'];
    const row = (s: Sample, prev: Sample | undefined) => {
      const dt = prev ? s.t - prev.t : NaN;
      const rate = (f: (x: Sample) => number) => (prev ? ((f(s) - f(prev)) / dt).toFixed(1) : '-');
      return [
        `${s.t}${s.t === WARMUP_S ? ' (start)' : s.t === SOAK_S ? ' (end)' : ''}`,
        mib(s.rssKiB),
        mib(s.heapUsed / 1024),
        mib(s.mem.heapTotal! / 1024),
        mib(s.mem.external! / 1024),
        rate((x) => attempts(x.stats)),
        rate((x) => events(x.stats)),
        rate((x) => x.stats.reporter?.sent ?? 0),
        n(s.stats.spoolDepth),
        String(s.stats.open),
        String(s.stats.connecting),
        String(s.stats.backoff),
        prev ? (((s.cpuMs - prev.cpuMs) / (dt * 1000)) * 100).toFixed(1) : '-',
      ];
    };
    // The table is printed as it grows (30 minutes is long to wait in silence), so its
    // widths are fixed up front.
    const widths = head.map((h, i) => Math.max(h.length, i === 0 ? `${SOAK_S} (start)`.length : 7));
    const line = (c: string[]) => c.map((x, i) => (i === 0 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join('  ').trimEnd();
    process.stdout.write(`${line(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);

    process.stdout.write(`${line(row(await take(0), undefined))}\n`);
    await probe.ask('open');
    const t0 = performance.now();
    for (let t = SAMPLE_S; t <= SOAK_S; t += SAMPLE_S) {
      await sleep(t0 + t * 1000 - performance.now());
      const s = await take(t);
      process.stdout.write(`${line(row(s, samples.at(-2)))}\n`);
    }
    const final = await probe.ask<ProbeStats>('stop', {}, 60_000);
    const sink = await target.ask<Record<string, number>>('stats');
    await probe.kill();

    const start = samples.find((s) => s.t === WARMUP_S)!;
    const end = samples.at(-1)!;
    const steady = samples.filter((s) => s.t >= WARMUP_S);
    const span = end.t - start.t;
    const delta = (f: (x: ProbeStats) => number) => f(end.stats) - f(start.stats);
    const perS = (f: (x: ProbeStats) => number) => (delta(f) / span).toFixed(1);
    const rssRange = `${mib(Math.min(...steady.map((s) => s.rssKiB)))}-${mib(Math.max(...steady.map((s) => s.rssKiB)))}`;
    const heapRange = `${mib(Math.min(...steady.map((s) => s.heapUsed)) / 1024)}-${mib(Math.max(...steady.map((s) => s.heapUsed)) / 1024)}`;

    // What each path produced over the steady part: the churn is real, and of the kind claimed.
    const perPath = paths.map((p) => {
      const kinds = new Map<string, number>();
      for (const [key, f] of [
        ['failed', (x: ProbeStats) => x.failed],
        ['ended', (x: ProbeStats) => x.ended],
      ] as const) {
        for (const [k, v] of Object.entries(f(end.stats))) {
          const [name, kind] = k.split(' ') as [string, string];
          if (name !== p.name) continue;
          const d = v - (f(start.stats)[k] ?? 0);
          if (d > 0) kinds.set(`${key === 'failed' ? 'failed' : 'ended'} ${kind}`, d);
        }
      }
      const missing = p.expects.filter((e) => ![...kinds.keys()].some((k) => k.endsWith(` ${e}`)));
      const text = [...kinds].map(([k, v]) => `${k} ${n(v)} (${(v / span).toFixed(1)}/s)`).join(', ') || 'no endings, no failures';
      return { line: `  ${p.name.padEnd(10)} ${text}`, missing: missing.map((m) => `${p.name}: no ${m}`) };
    });

    const rep = final.reporter;
    process.stdout.write(
      `\nload average at end:   ${load()}; total ${((performance.now() - started) / 1000).toFixed(0)} s\n` +
        'Each row: the probe after a full GC (heap used; RSS from /proc right after it, MiB; V8 heap reserved and memory outside\n' +
        "it that V8 knows of (Buffers, zlib), MiB) and its rates since the row before: attempts (sessions opened + attempts failed),\n" +
        'events appended to the spool, events acked by the sink; cpu % of one core.\n' +
        `over the steady part (${start.t}-${end.t} s), per path:\n${perPath.map((p) => p.line).join('\n')}\n` +
        `steady part: attempts ${perS(attempts)}/s, events ${perS(events)}/s, acked ${perS((x) => x.reporter?.sent ?? 0)}/s; ` +
        `rss ${rssRange} MiB, heap ${heapRange} MiB over its ${steady.length} samples\n` +
        `at the stop: spool depth ${n(final.spoolDepth)} (${n(final.spoolBytes)} bytes on disk), reporter sent ${n(rep?.sent ?? 0)}, ` +
        `failed requests ${rep?.failures ?? 0}, dead-lettered ${rep?.deadLettered ?? 0}; sink got ${n(sink.ingestEvents ?? 0)} events in ${n(sink.ingestRequests ?? 0)} requests; ` +
        `append failures ${final.appendFailures}, unexpected errors ${final.unexpected}\n`,
    );

    const problems = [
      ...perPath.flatMap((p) => p.missing),
      ...(final.appendFailures ? [`${final.appendFailures} spool append failures`] : []),
      ...(final.unexpected ? [`${final.unexpected} unexpected canary errors`] : []),
      ...((sink.ingestErrors ?? 0) > 0 ? [`the sink refused ${sink.ingestErrors} bodies`] : []),
      ...((rep?.deadLettered ?? 0) > 0 ? [`${rep?.deadLettered} events dead-lettered`] : []),
      ...(delta((x) => x.reporter?.sent ?? 0) <= 0 ? ['the reporter shipped nothing during the steady part'] : []),
    ];
    if (problems.length > 0) throw new Error(`the soak did not run as designed:\n  ${problems.join('\n  ')}`);

    const rssPct = changePct(start.rssKiB, end.rssKiB);
    // V8 keeps much of what writing a snapshot allocated: every sample after the first snapshot reads high.
    if (HEAP_SNAPSHOT) process.stdout.write(`heap snapshots in ${HEAP_SNAPSHOT}; writing the first raised RSS for the rest of the run: this run's RSS change means nothing\n`);
    process.stdout.write(
      `soak: ${SOAK_S} s; rss start ${mib(start.rssKiB)} MiB end ${mib(end.rssKiB)} MiB (${signed(rssPct)}); ` +
        `heap start ${mib(start.heapUsed / 1024)} MiB end ${mib(end.heapUsed / 1024)} MiB (${signed(changePct(start.heapUsed, end.heapUsed))}); ` +
        `within ${RSS_WITHIN_PCT} %: ${Math.abs(rssPct) <= RSS_WITHIN_PCT ? 'yes' : 'no'}\n`,
    );
  } finally {
    await cleanupAll();
  }
}
