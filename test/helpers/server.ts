/**
 * Boot the real, built server (`node dist/server.mjs`) on a free port in a child process
 * and stop it by its PID. `npm test` builds first; run `npm run build` before running a
 * single test file by hand.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface RunningServer {
  url: string;
  port: number;
  dataDir: string;
  pid: number;
  /** Everything the server printed so far. */
  output(): string;
  /** SIGTERM, wait for exit (SIGKILL after 10 s). Keeps the data directory. */
  stop(): Promise<number | null>;
  /** stop() and remove the data directory if this helper created it. */
  dispose(): Promise<void>;
}

const ROOT = path.resolve(__dirname, '../..');

/** A minimal environment for child processes: nothing of the test runner's leaks in. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', NODE_ENV: 'production', ...extra };
}

export function assertBuilt(): void {
  if (!existsSync(path.join(ROOT, '.next/BUILD_ID')) || !existsSync(path.join(ROOT, 'dist/server.mjs'))) {
    throw new Error('no build: run `npm run build` first (npm test does it for you)');
  }
}

export async function startServer(
  options: { env?: Record<string, string>; dataDir?: string; timeoutMs?: number; /** e.g. --cpu-prof, which NODE_OPTIONS refuses */ nodeArgs?: string[] } = {},
): Promise<RunningServer> {
  assertBuilt();
  const host = options.env?.HOST ?? '127.0.0.1';
  const ownDir = !options.dataDir;
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'dropscope-test-'));
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), 'dist/server.mjs'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      PORT: '0',
      HOST: '127.0.0.1',
      DROPSCOPE_DATA_DIR: dataDir,
      DROPSCOPE_LIVE_INTERVAL_MS: '100',
      DROPSCOPE_DEMO: 'off',
      // Tests post sessions at fixed instants (test/helpers/events.ts: November 2026), which
      // the default 30 days of raw retention would drop at a restart's first pass.
      DROPSCOPE_RETENTION_RAW: '3650d',
      DROPSCOPE_RETENTION_AGGREGATES: '3650d',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within ${options.timeoutMs ?? 60_000} ms:\n${out}`)), options.timeoutMs ?? 60_000);
    const onData = () => {
      const m = /"port":(\d+),[^\n]*"msg":"dropscope listening"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new StartError(code, out));
    });
  });

  const stop = () => stopChild(child);
  return {
    url: `http://${host}:${port}`,
    port,
    dataDir,
    pid: child.pid!,
    output: () => out,
    stop,
    dispose: async () => {
      await stop();
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export class StartError extends Error {
  constructor(
    readonly exitCode: number | null,
    readonly output: string,
  ) {
    super(`server exited with ${exitCode} before listening:\n${output}`);
  }
}

function stopChild(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', (code) => {
      clearTimeout(kill);
      resolve(code);
    });
    child.kill('SIGTERM');
  });
}

/** Run the admin CLI (built) against a data directory; returns its output. */
export function runCli(args: string[], env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['dist/dropscope.mjs', ...args], {
    cwd: ROOT,
    env: childEnv(env),
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Add a probe through the CLI and return its token. */
export function addProbeToken(name: string, env: Record<string, string>, labels: string[] = []): string {
  const r = runCli(['probe', 'add', name, ...labels.flatMap((l) => ['--label', l])], env);
  const token = /^(dsp_\S+)$/m.exec(r.stdout)?.[1];
  if (r.status !== 0 || !token) throw new Error(`probe add failed (${r.status}): ${r.stdout}${r.stderr}`);
  return token;
}
