/**
 * The scale bench's server side (bench/scale.ts): the built server started on a data set
 * and timed to its first HTTP 200, its memory read from /proc, and every dashboard
 * endpoint (bench/dashboard-endpoints.ts) timed cold and warm, each within a budget. Every
 * request is a signed-in viewer's: the admin the server creates at start (test/helpers/server.ts)
 * signs in once, and each request sends that session cookie.
 */
import { readFileSync } from 'node:fs';
import type postgres from 'postgres';
import { signIn, startServer, TEST_ADMIN, type RunningServer } from '../test/helpers/server';
import { cleanups } from './cleanup';
import type { Endpoint } from './dashboard-endpoints';
import { quantile } from './measure';

export interface Started {
  server: RunningServer;
  /** The admin's session cookie and our own Origin, for every request and socket of the bench. */
  headers: Record<string, string>;
  /** From spawning to the "dropscope listening" line, s. */
  listenS: number;
  /**
   * From spawning to the first 200 on FIRST_200_PATH, s, without the sign-in before it
   * (`signInS`): a browser's session outlasts a restart, so a viewer has none to make.
   */
  startS: number;
  /** The one sign-in after listening (a password hash), s. */
  signInS: number;
  /** Stop it (also registered as a cleanup; runs once). */
  stop(): Promise<void>;
}

/** What "the server answers" means for the start time. */
export const FIRST_200_PATH = '/api/v1/probes';

/**
 * Start the built server with `env`, sign in, and wait for its first 200 on FIRST_200_PATH.
 * @throws when it has not answered 200 within `timeoutMs` (the server is stopped).
 */
export async function startTimed(env: Record<string, string>, timeoutMs: number, requestTimeoutMs: number): Promise<Started> {
  const t0 = performance.now();
  const server = await startServer({ env, timeoutMs });
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= server.dispose());
  cleanups.push(stop);
  const listenS = (performance.now() - t0) / 1000;
  let headers: Record<string, string>;
  const s0 = performance.now();
  try {
    headers = { cookie: await signIn(server.url, TEST_ADMIN), origin: server.url };
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${server.output().slice(-2000)}`);
  }
  const signInS = (performance.now() - s0) / 1000;
  let last = '';
  while (performance.now() - t0 < timeoutMs) {
    try {
      const res = await fetch(server.url + FIRST_200_PATH, { headers, signal: AbortSignal.timeout(requestTimeoutMs) });
      await res.arrayBuffer();
      if (res.status === 200) return { server, headers, listenS, startS: (performance.now() - t0) / 1000 - signInS, signInS, stop };
      last = `answered ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await stop();
  throw new Error(`server gave no 200 on ${FIRST_200_PATH} within ${timeoutMs / 1000} s (last: ${last})\n${server.output().slice(-2000)}`);
}

/** A process's resident memory now and its peak, MiB (VmRSS, VmHWM of /proc/PID/status). */
export function memoryMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(/^\S+:\s+(\d+) kB$/m.exec(status.split('\n').find((l) => l.startsWith(`${field}:`)) ?? '')?.[1] ?? NaN);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

export interface EndpointTiming {
  url: string;
  /** The first request of the run for this endpoint, ms: nothing of it kept yet. */
  first: number;
  /** The timed requests after it, ms, ascending. */
  samples: number[];
  bytes: number;
  /** A request ran past the request timeout: the endpoint's figures are at least that. */
  timedOut: boolean;
}

export interface EndpointBudget {
  requests: number;
  minRequests: number;
  budgetMs: number;
  requestTimeoutMs: number;
}

class RequestTimeout extends Error {}

/** One GET with `headers`, its time to the last byte in ms; throws unless 200 with the endpoint's content. */
async function timedGet(server: RunningServer, headers: Record<string, string>, e: Endpoint, timeoutMs: number): Promise<{ ms: number; bytes: number }> {
  const t = performance.now();
  let status: number;
  let body: string;
  try {
    const res = await fetch(server.url + e.url, { headers, signal: AbortSignal.timeout(timeoutMs) });
    status = res.status;
    body = await res.text();
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') throw new RequestTimeout(`GET ${e.url}: no answer within ${timeoutMs / 1000} s`);
    throw new Error(`GET ${e.url} failed: ${(err as Error).message}\n${server.output().slice(-2000)}`);
  }
  const ms = performance.now() - t;
  if (status !== 200) throw new Error(`GET ${e.url} answered ${status}: ${body.slice(0, 500)}\n${server.output().slice(-2000)}`);
  if (e.kind === 'json') JSON.parse(body);
  else if (e.marker && !body.includes(e.marker)) throw new Error(`GET ${e.url} answered 200 without ${e.marker}`);
  return { ms, bytes: Buffer.byteLength(body) };
}

/**
 * Time each endpoint in turn: one cold request, then up to `requests` timed ones, fewer
 * once `budgetMs` is spent (never fewer than `minRequests`). A request past the timeout
 * ends that endpoint; what it left running in PostgreSQL is cancelled first.
 */
export async function timeEndpoints(
  { server, headers }: Pick<Started, 'server' | 'headers'>,
  endpoints: Endpoint[],
  budget: EndpointBudget,
  cancel: () => Promise<void>,
  progress: (t: EndpointTiming) => void,
): Promise<EndpointTiming[]> {
  const out: EndpointTiming[] = [];
  for (const e of endpoints) {
    const started = performance.now();
    const t: EndpointTiming = { url: e.url, first: NaN, samples: [], bytes: 0, timedOut: false };
    try {
      const cold = await timedGet(server, headers, e, budget.requestTimeoutMs);
      t.first = cold.ms;
      t.bytes = cold.bytes;
      while (t.samples.length < budget.requests && (t.samples.length < budget.minRequests || performance.now() - started < budget.budgetMs)) {
        const warm = await timedGet(server, headers, e, budget.requestTimeoutMs);
        t.samples.push(warm.ms);
        t.bytes = warm.bytes;
      }
    } catch (err) {
      if (!(err instanceof RequestTimeout)) throw err;
      t.timedOut = true;
      await cancel();
    }
    t.samples.sort((a, b) => a - b);
    out.push(t);
    progress(t);
  }
  return out;
}

/** A timed-out endpoint counts as the timeout itself (its real figure is higher). */
export function medianMs(t: EndpointTiming, timeoutMs: number): number {
  return t.timedOut ? timeoutMs : quantile(t.samples, 0.5);
}

/**
 * Cancel what still runs in database `name` after an abandoned request (the server does
 * not cancel a statement when its client goes away), until nothing does.
 * @throws when statements are still running 5 s later.
 */
export async function cancelStatements(admin: postgres.Sql, name: string): Promise<void> {
  const deadline = performance.now() + 5_000;
  while (performance.now() < deadline) {
    const cancelled = await admin.unsafe(
      `select pg_cancel_backend(pid) from pg_stat_activity where datname = $1 and state = 'active' and pid <> pg_backend_pid()`,
      [name],
    );
    if (cancelled.length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`statements in ${name} still running 5 s after being cancelled`);
}
