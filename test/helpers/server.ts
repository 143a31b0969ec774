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
  /** The test admin's session cookie (`name=value`), signed in once and kept. */
  adminCookie(): Promise<string>;
  /** fetch `path` on this server as the test admin (session cookie and our own Origin). */
  api(path: string, init?: RequestInit): Promise<Response>;
}

/** The admin every test server creates at start (DROPSCOPE_ADMIN_EMAIL / _PASSWORD). */
export const TEST_ADMIN = { email: 'admin@dropscope.test', password: 'test-admin-password' } as const;

/** Sign in at `url` with a password; the session cookie as `name=value`. */
export async function signIn(url: string, who: { email: string; password: string }): Promise<string> {
  const res = await fetch(`${url}/api/auth/sign-in/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: url },
    body: JSON.stringify(who),
  });
  if (!res.ok) throw new Error(`sign-in as ${who.email} failed: HTTP ${res.status} ${await res.text()}`);
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => c.startsWith('dropscope.session_token='));
  if (!cookie) throw new Error('sign-in set no session cookie');
  return cookie;
}

const ROOT = path.resolve(__dirname, '../..');

/**
 * DROPSCOPE_SECRET_KEY of every test server on PostgreSQL (required there), the same for
 * all so that servers sharing a database can read each other's webhook secrets. Never a
 * real key: it is in the repository.
 */
export const TEST_SECRET_KEY = '+MdvHyi3UNIZjI8/hhlky1OC/0juNEVqe+2qHuZmeOw=';

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
      // The same fixed instants are older than ingest's default window of plausible
      // instants (the raw retention), and the benches send far past one probe's rate limit.
      DROPSCOPE_ADMIN_EMAIL: TEST_ADMIN.email,
      DROPSCOPE_ADMIN_PASSWORD: TEST_ADMIN.password,
      DROPSCOPE_INGEST_MAX_AGE: '3650d',
      DROPSCOPE_INGEST_RATE: '10000000',
      // On PGlite the server makes its own key in the data directory; a test that wants
      // none on PostgreSQL passes DROPSCOPE_SECRET_KEY: ''.
      ...(options.env?.DATABASE_URL ? { DROPSCOPE_SECRET_KEY: TEST_SECRET_KEY } : {}),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));

  const port = await new Promise<number>((resolve, reject) => {
    // A server that does not come up is stopped here: nothing else holds its pid.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within ${options.timeoutMs ?? 60_000} ms:\n${out}`));
    }, options.timeoutMs ?? 60_000);
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
  const url = `http://${host}:${port}`;
  let cookie: Promise<string> | undefined;
  const adminCookie = () => (cookie ??= signIn(url, TEST_ADMIN));
  return {
    adminCookie,
    api: async (p, init = {}) => {
      const headers = new Headers(init.headers);
      headers.set('cookie', await adminCookie());
      headers.set('origin', url);
      return fetch(`${url}${p}`, { ...init, headers });
    },
    url,
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

/** Start a server that must not start: its StartError (exit code and output); throws if it started. */
export async function startFailure(options: Parameters<typeof startServer>[0]): Promise<StartError> {
  const err = await startServer(options).then(
    async (s) => {
      await s.dispose();
      throw new Error('the server started');
    },
    (e: unknown) => e,
  );
  if (!(err instanceof StartError)) throw err;
  return err;
}

/** SIGTERM by PID, SIGKILL after 10 s; resolves with the exit code. */
export function stopChild(child: ChildProcess): Promise<number | null> {
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

/**
 * Headers that make a client the test admin on `server`: its session cookie and our own
 * Origin (the gate refuses cookie writes and sockets from any other). For socket.io-client
 * in Node: `io(server.url, { extraHeaders: await adminHeaders(server) })`.
 */
export async function adminHeaders(server: Pick<RunningServer, 'url' | 'adminCookie'>): Promise<Record<string, string>> {
  return { cookie: await server.adminCookie(), origin: server.url };
}

/**
 * A new API token (`dsa_...`) made by the test admin, to send as `Authorization: Bearer`:
 * how Prometheus scrapes /metrics and how automation calls the API (no cookie, no Origin).
 */
export async function createApiToken(server: Pick<RunningServer, 'api'>, role: 'viewer' | 'editor' | 'admin' = 'viewer', name = `test ${role}`): Promise<string> {
  const res = await server.api('/api/v1/tokens', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, role }) });
  if (res.status !== 201) throw new Error(`creating an API token failed: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}
