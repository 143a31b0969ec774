/**
 * Child processes for the benches that measure a process of their own (bench/agent.ts):
 * entry points bundled with esbuild as the agent ships (`npm run build:agent` flags), run
 * with plain `node` so no TypeScript loader sits in the measured process, a small
 * request/answer protocol over the IPC channel, memory from /proc, and ending by PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { cpuMs } from './measure';

/** Bundle `entries` (paths relative to the repository) into `outdir`; returns the output files by entry. */
export async function bundle(entries: readonly string[], outdir: string): Promise<Map<string, string>> {
  await build({
    entryPoints: entries.map((e) => path.resolve(e)),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // The agent's own build leaves these out as well: optional native addons, and the
    // protobuf runtime DDSketch requires only to serialize (the probe never does).
    external: ['bufferutil', 'utf-8-validate', 'protobufjs/minimal'],
    outdir,
    outExtension: { '.js': '.cjs' },
    logLevel: 'warning',
  });
  return new Map(entries.map((e) => [e, path.join(outdir, `${path.basename(e, '.ts')}.cjs`)]));
}

/** Soft and hard limits on open files of this process (children inherit them). */
export function openFileLimits(): { soft: number; hard: number } {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  const [soft, hard] = (line ?? '').replace('Max open files', '').trim().split(/\s+/);
  const n = (s: string | undefined) => (s === 'unlimited' ? Infinity : Number(s));
  return { soft: n(soft), hard: n(hard) };
}

export interface Child {
  pid: number;
  /** Send a request and wait for the answer with the same sequence number. */
  ask<T = Record<string, unknown>>(type: string, body?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  /** The first unsolicited message of this type (e.g. `ready`). */
  next<T = Record<string, unknown>>(type: string, timeoutMs: number): Promise<T>;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
  /** SIGTERM by PID, then SIGKILL after `graceMs` if it is still there. */
  kill(graceMs?: number): Promise<void>;
}

/**
 * Run a bundled entry with node, IPC on. When the soft limit on open files is below
 * `openFiles`, the child is started through `bash -c 'ulimit -n N; exec node ...'`;
 * a hard limit below it is an error that says so.
 */
export function startChild(file: string, args: string[], options: { openFiles?: number; nodeArgs?: string[]; name: string }): Child {
  const nodeArgs = [...(options.nodeArgs ?? []), file, ...args];
  const need = options.openFiles ?? 0;
  const { soft, hard } = openFileLimits();
  if (need > hard) throw new RangeError(`${options.name} needs ${need} open files but the hard limit (ulimit -Hn) is ${hard}: raise it or lower BENCH_CANARIES`);
  const proc: ChildProcess =
    need > soft
      ? spawn('bash', ['-c', `ulimit -n ${Math.min(hard, Math.max(need, 65_535))} && exec "$0" "$@"`, process.execPath, ...nodeArgs], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
      : spawn(process.execPath, nodeArgs, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  if (proc.pid === undefined) throw new Error(`${options.name}: could not start ${file}`);
  const pid = proc.pid;
  let seq = 0;
  const waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  const inbox: Record<string, unknown>[] = [];
  const watchers: { type: string; resolve(v: unknown): void }[] = [];
  let gone: Error | null = null;
  const exited = new Promise<void>((resolve) => {
    proc.once('exit', (code, signal) => {
      gone = new Error(`${options.name} (pid ${pid}) exited: code ${code}, signal ${signal}`);
      for (const w of waiting.values()) w.reject(gone);
      waiting.clear();
      resolve();
    });
  });
  proc.on('message', (raw) => {
    const msg = raw as { seq?: number; type?: string; error?: string };
    if (typeof msg.seq === 'number' && waiting.has(msg.seq)) {
      if (msg.error) waiting.get(msg.seq)!.reject(new Error(`${options.name}: ${msg.error}`));
      else waiting.get(msg.seq)!.resolve(msg);
      waiting.delete(msg.seq);
      return;
    }
    const w = watchers.findIndex((x) => x.type === msg.type);
    if (w >= 0) watchers.splice(w, 1)[0]!.resolve(msg);
    else inbox.push(msg as Record<string, unknown>);
  });
  const withTimeout = <T>(p: Promise<T>, ms: number, what: string) =>
    new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${options.name}: no ${what} within ${ms} ms`)), ms);
      p.then(
        (v) => (clearTimeout(t), resolve(v)),
        (e: Error) => (clearTimeout(t), reject(e)),
      );
    });
  return {
    pid,
    exited,
    ask<T>(type: string, body: Record<string, unknown> = {}, timeoutMs = 30_000) {
      if (gone) return Promise.reject(gone);
      const n = ++seq;
      const p = new Promise<T>((resolve, reject) => waiting.set(n, { resolve: resolve as (v: unknown) => void, reject }));
      proc.send({ ...body, type, seq: n });
      return withTimeout(p, timeoutMs, `answer to ${type}`);
    },
    next<T>(type: string, timeoutMs: number) {
      const i = inbox.findIndex((m) => m.type === type);
      if (i >= 0) return Promise.resolve(inbox.splice(i, 1)[0] as T);
      if (gone) return Promise.reject(gone);
      const p = new Promise<T>((resolve) => watchers.push({ type, resolve: resolve as (v: unknown) => void }));
      return withTimeout(Promise.race([p, exited.then(() => Promise.reject(gone))]), timeoutMs, `"${type}" message`);
    },
    async kill(graceMs = 5000) {
      if (gone) return;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        return;
      }
      const t = setTimeout(() => {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }, graceMs);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Resident set size of a process, KiB, from /proc/PID/status (VmRSS). */
export function rssKiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]);
}

/**
 * CPU of a process's main thread alone, ms (its JavaScript, and the syscalls it makes);
 * the rest of cpuMs(pid) is V8's GC helper threads and libuv's pool (the spool's fsync).
 */
export function mainThreadCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

export { cpuMs };
