/**
 * Ships the spool to the backend: peek a batch, POST it gzipped, ack it on 200. Events leave the
 * spool only when the backend has stored them (or, refused by the schema, once they are safely
 * in the dead-letter file), so an outage of hours, a revoked token or a restart loses nothing;
 * replays are fine because the backend dedupes by event id.
 *
 * Answers and what we do:
 *   200          ack the batch
 *   network, 5xx, 401, 429, anything unexpected
 *                keep the events, back off (full jitter, capped) and retry
 *   413          halve the batch (count and bytes) and retry at once; a single event that is
 *                still too large goes to the dead-letter file
 *   400, 409     move the events named by `issues[].path` (`events.N...`) to the dead-letter
 *                file and resend the rest; without usable paths, bisect down to the culprit.
 *                409: the events write a session that another probe holds (or a target view
 *                that is not ours), which no retry can change
 *   403          the same when it names events (a target token posting what it may not: an
 *                event type other than its views, or views under another name); a 403 that
 *                names none (a proxy on the way) is retried like a 401
 *   415          the backend takes no gzip: resend uncompressed
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { z } from 'zod';
import type { IngestEvent } from '../lib/contracts/ingest';
import type { Logger } from '../lib/log';
import { nextDelay, type BackoffOptions } from './backoff';
import type { Spool } from './spool';
import { moduleLogger } from '../lib/log';

const gzip = promisify(gzipCallback);

export const DEAD_LETTER_FILE = 'dead-letter.jsonl';
export const INGEST_PATH = '/api/v1/ingest';

/** The timer seam: tests and simulations can drive time themselves. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface ReporterOptions {
  spool: Pick<Spool, 'dir' | 'peek' | 'ack' | 'depth' | 'onAppend'>;
  /** Base URL of the backend (`https://dropscope.example.com`); the ingest path is appended. */
  backendUrl: string;
  /** The probe token; sent as a bearer token, never logged. */
  token: string;
  backoff: BackoffOptions;
  log: Logger;
  /** Most events per request. Default 500. */
  batchSize?: number;
  /** Most uncompressed body bytes per request (the backend limits the decoded body). Default 900 000. */
  maxBodyBytes?: number;
  /** Default 15 s. */
  requestTimeoutMs?: number;
  /** How often an idle reporter looks at the spool without an append to wake it. Default 5 s. */
  idlePollMs?: number;
  /** The dead-letter file is rotated (one old generation kept) past this size. Default 16 MiB. */
  deadLetterMaxBytes?: number;
  fetch?: typeof globalThis.fetch;
  timers?: Timers;
  /** Wall clock, for `lastSuccessAt` and dead-letter records. */
  now?: () => Date;
  random?: () => number;
}

export interface ReporterStats {
  /** Events the backend acknowledged (stored or already had). */
  sent: number;
  /** Requests that failed and will be retried. */
  failures: number;
  /** Events moved to the dead-letter file. */
  deadLettered: number;
  lastError?: string;
  lastSuccessAt?: Date;
}

export interface Reporter {
  /** Send everything now; resolves once the spool is empty or a request failed (see `stats()`). */
  flush(): Promise<void>;
  /** End the loop, aborting an in-flight request; the unsent events stay in the spool. Idempotent. */
  stop(): Promise<void>;
  stats(): ReporterStats;
}

const acceptedSchema = z.object({ accepted: z.number().int().nonnegative(), duplicates: z.number().int().nonnegative() });
const problemSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});
type Problem = z.infer<typeof problemSchema>['error'];

type Answer =
  | { kind: 'ok'; accepted: number; duplicates: number }
  | { kind: 'retry'; reason: string; retryAfterMs?: number; status?: number }
  | { kind: 'too-large'; reason: string }
  | { kind: 'bad-encoding'; reason: string }
  | { kind: 'rejected'; problem: Problem | undefined; reason: string; status: number }
  | { kind: 'stopped' };

/** What one step achieved: `sent` and `again` loop at once, `failed` backs off, `idle` waits. */
type Step = 'sent' | 'again' | 'failed' | 'idle';

/** Room for `{"events":[` and `]}` around the lines. */
const ENVELOPE_BYTES = 64;
/** Immediate retries (splits, dead-letters) in a row before a backoff, so no path can spin. */
const MAX_IMMEDIATE = 64;

/**
 * Start shipping `spool` to the backend.
 * @throws TypeError / RangeError on a bad option (a caller's mistake).
 */
export function startReporter(options: ReporterOptions): Reporter {
  const { spool, token, backoff } = options;
  const endpoint = ingestUrl(options.backendUrl);
  if (typeof token !== 'string' || token.length === 0) throw new TypeError('token must be a non-empty string');
  const batchSize = positiveInt('batchSize', options.batchSize ?? 500);
  const maxBodyBytes = positiveInt('maxBodyBytes', options.maxBodyBytes ?? 900_000);
  const requestTimeoutMs = positiveInt('requestTimeoutMs', options.requestTimeoutMs ?? 15_000);
  const idlePollMs = positiveInt('idlePollMs', options.idlePollMs ?? 5_000);
  const deadLetterMaxBytes = positiveInt('deadLetterMaxBytes', options.deadLetterMaxBytes ?? 16 * 1024 * 1024);
  nextDelay(0, backoff); // validates the bounds now rather than at the first failure
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const timers: Timers = options.timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
  const now = options.now ?? (() => new Date());
  const random = options.random ?? Math.random;
  const log = moduleLogger(options.log, 'reporter');
  const deadLetterFile = path.join(spool.dir, DEAD_LETTER_FILE);

  const stats: ReporterStats = { sent: 0, failures: 0, deadLettered: 0 };
  const stopper = new AbortController();
  let stopping = false;
  let gzipBodies = true;
  // Learned from 413s: a property of the path to the backend (a proxy's body limit), kept for the run.
  let countLimit = batchSize;
  let byteLimit = maxBodyBytes;
  // A 400 without usable paths: bisect with smaller batches until the culprit is alone.
  let splitLimit = Infinity;
  let attempt = 0;
  let failingSince: Date | undefined;
  /** Events already in the dead-letter file but not yet acked (they sit in the spool's prefix). */
  const deadLettered = new Set<string>();
  /** Set by each append, so an append racing the idle check is not missed. */
  let appended = false;
  /** Sleepers to cut short; `byAppend` marks the idle wait (an append must not defeat a backoff). */
  const sleepers = new Set<{ byAppend: boolean; finish: () => void }>();
  let flushWaiters: (() => void)[] = [];

  const wake = (reason: 'append' | 'flush' | 'stop') => {
    for (const s of [...sleepers]) if (reason !== 'append' || s.byAppend) s.finish();
  };
  const unsubscribe = spool.onAppend(() => {
    appended = true;
    wake('append');
  });

  function settleFlushes(): void {
    const waiters = flushWaiters;
    flushWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Sleep `ms`; stop() and flush() cut it short, and so does an append when `byAppend`. */
  function wait(ms: number, byAppend: boolean): Promise<void> {
    if (stopping || (byAppend && appended)) return Promise.resolve();
    return new Promise((resolve) => {
      const sleeper = {
        byAppend,
        finish: () => {
          timers.clearTimeout(handle);
          sleepers.delete(sleeper);
          resolve();
        },
      };
      const handle = timers.setTimeout(sleeper.finish, ms);
      sleepers.add(sleeper);
    });
  }

  async function post(events: IngestEvent[], json: string): Promise<Answer> {
    const body = gzipBodies ? await gzip(json) : Buffer.from(json, 'utf8');
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    if (gzipBodies) headers['content-encoding'] = 'gzip';
    let status: number;
    let text: string;
    let retryAfter: string | null;
    try {
      const signal = AbortSignal.any([stopper.signal, AbortSignal.timeout(requestTimeoutMs)]);
      const res = await fetchImpl(endpoint.href, { method: 'POST', headers, body: new Uint8Array(body), signal });
      status = res.status;
      retryAfter = res.headers.get('retry-after');
      text = await res.text();
    } catch (err) {
      if (stopping) return { kind: 'stopped' };
      return { kind: 'retry', reason: describeFetchError(err, requestTimeoutMs) };
    }
    const problem = parseProblem(text);
    const what = `HTTP ${status}${problem ? ` ${problem.code}: ${problem.message}` : ''}`;
    if (status === 200) {
      const ok = parseJson(text, acceptedSchema);
      // A 200 that is not an ingest answer (a captive portal, a misrouted proxy) stored nothing.
      if (!ok) return { kind: 'retry', reason: 'HTTP 200 without an ingest answer ({accepted, duplicates}): is something else answering at the backend URL?', status };
      if (ok.accepted + ok.duplicates !== events.length) log.warn({ ...ok, events: events.length }, 'backend counted a different number of events than sent');
      return { kind: 'ok', ...ok };
    }
    if (status === 413) return { kind: 'too-large', reason: what };
    if (status === 415) return { kind: 'bad-encoding', reason: what };
    // Permanent refusals: the same events would be refused again however often they are sent.
    if (status === 400 || status === 409) return { kind: 'rejected', problem, reason: what, status };
    if (status === 403 && culpritsOf(problem, events, status).length > 0) return { kind: 'rejected', problem, reason: what, status };
    const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(retryAfter) : undefined;
    const hint =
      status === 401
        ? ' (the probe token is unknown or revoked: check the probe config or `dropscope probe list`)'
        : status === 403
          ? ' (refused without naming an event: something between here and the backend?)'
          : '';
    return { kind: 'retry', reason: what + hint, status, ...(retryAfterMs !== undefined && { retryAfterMs }) };
  }

  async function deadLetter(items: { event: IngestEvent; reason: string }[]): Promise<void> {
    const at = now().toISOString();
    const data = items.map(({ event, reason }) => JSON.stringify({ at, reason, event }) + '\n').join('');
    await appendDurably(deadLetterFile, data, deadLetterMaxBytes);
    for (const { event } of items) deadLettered.add(event.id);
    stats.deadLettered += items.length;
    log.error(
      { file: deadLetterFile, events: items.map(({ event, reason }) => ({ id: event.id, type: event.type, reason })) },
      `backend refused ${items.length} event(s): moved them to the dead-letter file, sending the rest`,
    );
  }

  let retryAfterMs: number | undefined;

  async function step(): Promise<Step> {
    appended = false;
    const limit = Math.max(1, Math.min(countLimit, splitLimit));
    const { events: peeked, cursor } = await spool.peek(limit, { maxBytes: Math.max(1, byteLimit - ENVELOPE_BYTES) });
    if (peeked.length === 0) return 'idle';
    const events = peeked.filter((e) => !deadLettered.has(e.id));
    const forget = () => {
      for (const e of peeked) deadLettered.delete(e.id);
    };
    if (events.length === 0) {
      await spool.ack(cursor);
      forget();
      return 'sent';
    }

    const json = JSON.stringify({ events });
    const answer = await post(events, json);
    switch (answer.kind) {
      case 'stopped':
        return 'failed';
      case 'ok':
        await spool.ack(cursor);
        forget();
        stats.sent += events.length;
        stats.lastSuccessAt = now();
        splitLimit = Infinity;
        if (attempt > 0) {
          log.info({ failedAttempts: attempt, downForMs: failingSince ? now().getTime() - failingSince.getTime() : undefined }, 'backend reachable again');
        }
        attempt = 0;
        failingSince = undefined;
        log.debug({ events: events.length, accepted: answer.accepted, duplicates: answer.duplicates }, 'batch delivered');
        return 'sent';
      case 'too-large':
        if (events.length === 1) {
          await deadLetter([{ event: events[0]!, reason: `${answer.reason} (alone in its request)` }]);
          return 'again';
        }
        countLimit = Math.max(1, Math.floor(events.length / 2));
        byteLimit = Math.max(1, Math.floor(Buffer.byteLength(json) / 2));
        log.warn({ events: events.length, bytes: Buffer.byteLength(json), countLimit, byteLimit }, 'backend refused the body as too large: halving the batch');
        return 'again';
      case 'bad-encoding':
        if (!gzipBodies) return fail(answer.reason);
        gzipBodies = false;
        log.warn({ reason: answer.reason }, 'backend refused the gzip body: sending uncompressed');
        return 'again';
      case 'rejected': {
        const culprits = culpritsOf(answer.problem, events, answer.status);
        if (culprits.length > 0) {
          await deadLetter(culprits);
          return 'again';
        }
        if (events.length === 1) {
          await deadLetter([{ event: events[0]!, reason: answer.reason }]);
          return 'again';
        }
        splitLimit = Math.max(1, Math.floor(events.length / 2));
        log.warn({ events: events.length, reason: answer.reason }, 'backend refused the batch without naming events: bisecting');
        return 'again';
      }
      case 'retry':
        retryAfterMs = answer.retryAfterMs;
        return fail(answer.reason, answer.status === 401 ? 'error' : 'warn');
    }
  }

  function fail(reason: string, level: 'warn' | 'error' = 'warn'): Step {
    stats.failures++;
    stats.lastError = reason;
    failingSince ??= now();
    log[level]({ attempt, pending: spool.depth(), reason }, 'sending to the backend failed: events kept, retrying');
    return 'failed';
  }

  const loop = (async () => {
    let immediate = 0;
    while (!stopping) {
      let result: Step;
      retryAfterMs = undefined;
      try {
        result = await step();
      } catch (err) {
        // Spool or dead-letter I/O: the events stay where they are; never let this kill the probe.
        log.error({ err }, 'reporter step failed');
        result = fail(err instanceof Error ? err.message : String(err));
      }
      if (stopping) break;
      if (result === 'again' && ++immediate < MAX_IMMEDIATE) continue;
      immediate = 0;
      if (result === 'sent') {
        if (spool.depth() === 0) settleFlushes();
        continue;
      }
      if (result === 'idle') {
        settleFlushes();
        await wait(idlePollMs, true);
        continue;
      }
      // 'failed' (or too many immediate retries): a flush waits no longer.
      if (result === 'failed') settleFlushes();
      const jitter = nextDelay(attempt, backoff, random);
      attempt++;
      await wait(Math.max(jitter, Math.min(retryAfterMs ?? 0, backoff.capMs)), false);
    }
    unsubscribe();
    settleFlushes();
  })();

  let stopped: Promise<void> | undefined;
  return {
    flush() {
      if (stopping || spool.depth() === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        flushWaiters.push(resolve);
        wake('flush');
      });
    },
    stop() {
      stopped ??= (async () => {
        stopping = true;
        stopper.abort();
        wake('stop');
        await loop;
        log.info({ ...stats, pending: spool.depth() }, 'reporter stopped');
      })();
      return stopped;
    },
    stats: () => ({ ...stats }),
  };
}

/** The events a refusal names by `events.N...`, with the messages for each. */
function culpritsOf(problem: Problem | undefined, events: IngestEvent[], status: number): { event: IngestEvent; reason: string }[] {
  const reasons = new Map<number, string[]>();
  for (const issue of problem?.issues ?? []) {
    const m = /^events\.(\d+)(?:\.|$)/.exec(issue.path);
    const n = m ? Number(m[1]) : NaN;
    if (!(n < events.length)) continue;
    reasons.set(n, [...(reasons.get(n) ?? []), `${issue.path.slice(`events.${n}`.length + 1) || '(event)'}: ${issue.message}`]);
  }
  return [...reasons].map(([n, messages]) => ({ event: events[n]!, reason: `HTTP ${status}${problem?.code ? ` ${problem.code}` : ''}: ${messages.join('; ')}` }));
}

async function appendDurably(file: string, data: string, maxBytes: number): Promise<void> {
  const size = await fs.stat(file).then((s) => s.size, () => 0);
  // Bounded like the spool: a backend that refuses everything must not fill the disk.
  if (size > 0 && size + Buffer.byteLength(data) > maxBytes) await fs.rename(file, `${file}.1`);
  const fh = await fs.open(file, 'a');
  try {
    await fh.writeFile(data);
    await fh.datasync();
  } finally {
    await fh.close();
  }
}

function ingestUrl(backendUrl: string): URL {
  let url: URL;
  try {
    url = new URL(backendUrl);
  } catch {
    throw new TypeError(`backendUrl is not a URL: ${JSON.stringify(backendUrl)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`backendUrl must be http(s), got ${url.protocol}`);
  url.pathname = url.pathname.replace(/\/+$/, '') + INGEST_PATH;
  return url;
}

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

function parseJson<T>(text: string, schema: z.ZodType<T>): T | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function parseProblem(text: string): Problem | undefined {
  return parseJson(text, problemSchema)?.error;
}

/** Retry-After in seconds (the HTTP-date form is rare from APIs and ignored). */
function parseRetryAfter(value: string | null): number | undefined {
  if (!value || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim()) * 1000;
}

/** fetch() hides the useful part (ECONNREFUSED, ENOTFOUND ...) in `cause`. */
function describeFetchError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && err.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause as { code?: string; message?: string } | undefined;
  return cause ? `${err.message}: ${cause.code ?? cause.message}` : err.message;
}
