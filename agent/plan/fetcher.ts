/**
 * Fetches the probe's plan from the server: `GET /api/v1/probe/plan` every `pollMs` (±10 %
 * jitter, so a fleet restarted at once does not poll in step), with the last ETag in
 * `If-None-Match` so an unchanged plan costs a 304.
 *
 * Answers and what we do:
 *   200            parse with serverPlanSchema: `onPlan`, or `onInvalid` with the issues
 *                  (a body that is not JSON too); either way its ETag is remembered
 *   304            nothing changed
 *   401            the token is refused (the reporter says so loudly too): one warning, then
 *                  one request per `unauthorizedRetryMs` (5 min) until it is accepted again
 *   403            this token may not fetch plans (a target token): one error line, stop
 *   404, 400, 405  a server without plans (older than the probe): one info line, ask again
 *                  every `absentPollMs` (5 min)
 *   429, 503       wait at least Retry-After
 *   anything else, network errors, no answer within 10 s: try again at the next poll
 * The token is sent as a bearer token and never logged.
 */
import type { Logger } from '../../lib/log';
import { PLAN_PATH, serverPlanSchema, type ServerPlan } from '../../lib/contracts/plan';
import type { ConfigProblem } from '../config';
import type { Timers } from '../report/types';

export interface PlanFetcherOptions {
  /** Base URL of the backend; PLAN_PATH is appended. */
  backendUrl: string;
  /** Sent as a bearer token, never logged. */
  token: string;
  pollMs: number;
  log: Logger;
  /** The ETag of the plan the probe already has (from its cache), sent in If-None-Match. */
  etag?: string | null;
  /** A plan that parsed. `wire` is the body as received (what the cache keeps). Awaited before the next poll. */
  onPlan(plan: ServerPlan, etag: string | null, wire: unknown): Promise<void> | void;
  /** A plan that did not parse, with its issues; the probe keeps what it runs. */
  onInvalid(issues: ConfigProblem[], version: string, etag: string | null): Promise<void> | void;
  /** After each answer that shows the server serves plans (200 handled, or 304). */
  onServed?(): void;
  /** Default 10 s. */
  requestTimeoutMs?: number;
  /** While the token is refused (401), one request this often. Default 5 min. */
  unauthorizedRetryMs?: number;
  /** While the server serves no plans (404), one request this often. Default 5 min. */
  absentPollMs?: number;
  fetch?: typeof globalThis.fetch;
  timers?: Timers;
  random?: () => number;
}

export type PollOutcome = 'plan' | 'invalid' | 'unchanged' | 'unauthorized' | 'forbidden' | 'absent' | 'retry' | 'failed' | 'stopped';

export interface PlanFetcherStats {
  /** The server answered with a plan or a 304 at least once: it serves plans. */
  served: boolean;
  /** Polls that failed (network, timeout, unexpected answers), since start. */
  failures: number;
  /** The last poll's outcome. */
  last: PollOutcome | null;
}

export interface PlanFetcher {
  /** One request now (or the one in flight), handled; the schedule goes on from there. */
  poll(): Promise<PollOutcome>;
  /** No more requests; aborts the one in flight and waits for its handling. Idempotent. */
  stop(): Promise<void>;
  stats(): PlanFetcherStats;
}

export const DEFAULT_UNAUTHORIZED_RETRY_MS = 5 * 60_000;
export const DEFAULT_ABSENT_POLL_MS = 5 * 60_000;

/** @throws TypeError when `backendUrl` is not an http(s) URL or `token` is empty (a caller's mistake). */
export function startPlanFetcher(options: PlanFetcherOptions): PlanFetcher {
  const endpoint = planUrl(options.backendUrl);
  if (typeof options.token !== 'string' || options.token.length === 0) throw new TypeError('token must be a non-empty string');
  const { log, pollMs } = options;
  const doFetch = options.fetch ?? globalThis.fetch;
  const timers: Timers = options.timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms).unref(), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
  const random = options.random ?? Math.random;
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  const unauthorizedRetryMs = options.unauthorizedRetryMs ?? DEFAULT_UNAUTHORIZED_RETRY_MS;
  const absentPollMs = options.absentPollMs ?? DEFAULT_ABSENT_POLL_MS;

  let etag = options.etag ?? null;
  let stopped = false;
  let timer: unknown = null;
  let inFlight: Promise<PollOutcome> | null = null;
  let abortInFlight: (() => void) | null = null;
  const stats: PlanFetcherStats = { served: false, failures: 0, last: null };
  /** What was said once and need not be said again while it lasts. */
  let said: 'unauthorized' | 'absent' | 'failing' | null = null;

  const jittered = (ms: number) => Math.round(ms * (0.9 + 0.2 * random()));

  const schedule = (ms: number) => {
    if (stopped) return;
    if (timer !== null) timers.clearTimeout(timer);
    timer = timers.setTimeout(() => {
      timer = null;
      void fetcher.poll();
    }, ms);
  };

  const once = async (): Promise<{ outcome: PollOutcome; nextMs: number }> => {
    const request = new AbortController();
    abortInFlight = () => request.abort();
    const deadline = setTimeout(() => request.abort(), requestTimeoutMs);
    let res: Response;
    let body: string;
    try {
      const headers: Record<string, string> = { authorization: `Bearer ${options.token}`, accept: 'application/json' };
      if (etag) headers['if-none-match'] = etag;
      res = await doFetch(endpoint.href, { method: 'GET', headers, signal: request.signal });
      body = await res.text();
    } catch (err) {
      if (stopped) return { outcome: 'stopped', nextMs: 0 };
      stats.failures++;
      const reason = request.signal.aborted ? `no answer within ${requestTimeoutMs} ms` : String((err as Error).message ?? err);
      if (said !== 'failing') log.warn({ reason, url: endpoint.href }, 'could not fetch the plan from the backend: keeping the current plan, trying again at the next poll');
      said = 'failing';
      return { outcome: 'failed', nextMs: jittered(pollMs) };
    } finally {
      clearTimeout(deadline);
      abortInFlight = null;
    }

    const status = res.status;
    if (status === 200 || status === 304) {
      stats.served = true;
      if (said === 'unauthorized') log.info('backend accepts the probe token for its plan again');
      else if (said === 'absent') log.info({ url: endpoint.href }, 'backend serves plans now');
      else if (said === 'failing') log.info('plan fetched again');
      said = null;
    }
    if (status === 304) return { outcome: 'unchanged', nextMs: jittered(pollMs) };
    if (status === 200) {
      const answerTag = res.headers.get('etag');
      let wire: unknown;
      try {
        wire = JSON.parse(body);
      } catch {
        etag = answerTag;
        await options.onInvalid([{ path: '', message: 'the plan is not JSON' }], versionOf(undefined, answerTag), answerTag);
        return { outcome: 'invalid', nextMs: jittered(pollMs) };
      }
      const parsed = serverPlanSchema.safeParse(wire);
      if (!parsed.success) {
        etag = answerTag;
        const issues = parsed.error.issues.slice(0, 50).map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
        log.error({ issues: issues.slice(0, 5), version: versionOf(wire, answerTag) }, 'the backend sent a plan this probe cannot read: keeping the current plan');
        await options.onInvalid(issues, versionOf(wire, answerTag), answerTag);
        return { outcome: 'invalid', nextMs: jittered(pollMs) };
      }
      try {
        await options.onPlan(parsed.data, answerTag, wire);
      } catch (err) {
        // Not remembered: the same plan is fetched and tried again at the next poll.
        stats.failures++;
        log.error({ err, version: parsed.data.version }, 'applying the plan failed: trying again at the next poll');
        return { outcome: 'failed', nextMs: jittered(pollMs) };
      }
      etag = answerTag;
      return { outcome: 'plan', nextMs: jittered(pollMs) };
    }
    if (status === 401) {
      if (said !== 'unauthorized') {
        log.warn({ retryMs: unauthorizedRetryMs }, 'backend refused the probe token for its plan (HTTP 401): keeping the current plan, asking again every few minutes');
      }
      said = 'unauthorized';
      return { outcome: 'unauthorized', nextMs: unauthorizedRetryMs };
    }
    if (status === 403) {
      log.error({ url: endpoint.href }, 'backend refuses this token a plan (HTTP 403; a target token?): not fetching plans');
      return { outcome: 'forbidden', nextMs: -1 };
    }
    if (status === 404 || status === 400 || status === 405) {
      if (said !== 'absent') log.info({ url: endpoint.href, status, retryMs: absentPollMs }, 'backend serves no plans (an older server?): running the local paths, asking again every few minutes');
      said = 'absent';
      return { outcome: 'absent', nextMs: jittered(absentPollMs) };
    }
    stats.failures++;
    const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(res.headers.get('retry-after')) : undefined;
    if (said !== 'failing') log.warn({ status, retryAfterMs }, 'backend did not answer with a plan: keeping the current plan, trying again later');
    said = 'failing';
    return { outcome: 'retry', nextMs: Math.max(retryAfterMs ?? 0, jittered(pollMs)) };
  };

  const fetcher: PlanFetcher = {
    poll() {
      if (stopped) return Promise.resolve('stopped');
      if (inFlight) return inFlight;
      if (timer !== null) timers.clearTimeout(timer);
      timer = null;
      inFlight = once().then(({ outcome, nextMs }) => {
        inFlight = null;
        stats.last = outcome;
        if (nextMs >= 0) schedule(nextMs);
        else stopped = true;
        if (outcome === 'plan' || outcome === 'invalid' || outcome === 'unchanged') options.onServed?.();
        return outcome;
      });
      return inFlight;
    },
    async stop() {
      stopped = true;
      if (timer !== null) timers.clearTimeout(timer);
      timer = null;
      abortInFlight?.();
      await inFlight;
    },
    stats: () => ({ ...stats }),
  };
  schedule(0);
  return fetcher;
}

/** The plan's version for a report: its own field when it has one, else the ETag. */
function versionOf(wire: unknown, etag: string | null): string {
  const v = (wire as { version?: unknown } | null | undefined)?.version;
  if (typeof v === 'string' && v.length > 0) return v.slice(0, 64);
  return (etag ?? 'unknown').replace(/^W\//, '').replace(/"/g, '').slice(0, 64) || 'unknown';
}

/** Retry-After in seconds (the HTTP-date form is rare from APIs and ignored). */
function parseRetryAfter(value: string | null): number | undefined {
  if (value === null || !/^\s*\d+\s*$/.test(value)) return undefined;
  return Math.min(Number(value), 3600) * 1000;
}

function planUrl(backendUrl: string): URL {
  let url: URL;
  try {
    url = new URL(backendUrl);
  } catch {
    throw new TypeError(`backendUrl is not a URL: ${JSON.stringify(backendUrl)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`backendUrl must be http(s): ${JSON.stringify(backendUrl)}`);
  return new URL(url.pathname.replace(/\/+$/, '') + PLAN_PATH, url);
}
