/**
 * Ships the spool to the backend: peek a batch, POST it gzipped, ack it on 200. Events leave the
 * spool only when the backend has stored them (or, refused for good, once they are safely in
 * the dead-letter file), so an outage of hours, a revoked token or a restart loses nothing;
 * replays are fine because the backend dedupes by event id.
 *
 * Answers and what we do:
 *   200          ack the batch
 *   network, 429, 503 with Retry-After, a 200 that is not an ingest answer
 *                keep the events, back off (full jitter, capped; at least Retry-After) and retry
 *   5xx, anything unexpected
 *                the same; but a batch refused the same way 3 times in a row is bisected to
 *                find one event the backend cannot store, which is dead-lettered with the
 *                backend's answer once the backend has accepted other events (else it is an
 *                outage and nothing is dead-lettered): agent/report/poison.ts
 *   401          the token is unknown or revoked: sending pauses, retried every
 *                `unauthorizedRetryMs` (5 min), one error line (and one an hour while it lasts)
 *   413          halve the batch (count and bytes) and retry at once; a single event that is
 *                still too large goes to the dead-letter file
 *   400, 409     move the events named by `issues[].path` (`events.N...`) to the dead-letter
 *                file and resend the rest; without usable paths, bisect down to the culprit.
 *                409: the events write a session that another probe holds (or a target view
 *                that is not ours), which no retry can change
 *   403          the same when it names events (a target token posting what it may not: an
 *                event type other than its views, or views under another name); a 403 that
 *                names none (a proxy on the way) is retried with the backoff
 *   415          the backend takes no gzip: resend uncompressed
 *
 * The parts, one job each, under agent/report/: answer.ts (classify an answer), transport.ts
 * (one request), batch-size.ts (how much per request), dead-letter.ts (the file), poison.ts
 * (isolating an event the backend refuses), unauthorized.ts (the 401 pause), sleep.ts and
 * loop.ts (what each answer does, and when the next request goes).
 */
import type { Logger } from '../lib/log';
import { moduleLogger } from '../lib/log';
import { nextDelay, type BackoffOptions } from './backoff';
import { BatchSizer, positiveInt } from './report/batch-size';
import { DeadLetterFile } from './report/dead-letter';
import { startLoop } from './report/loop';
import { PoisonIsolation } from './report/poison';
import { createTransport } from './report/transport';
import type { Reporter, Timers } from './report/types';
import { UnauthorizedPause } from './report/unauthorized';
import type { Spool } from './spool';

export { DEAD_LETTER_FILE } from './report/dead-letter';
export { INGEST_PATH } from './report/transport';
export type { Reporter, ReporterStats, Timers } from './report/types';

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
  /** How long an idle reporter woken by an append waits for more events before sending. Default 250 ms; 0 sends at once. */
  lingerMs?: number;
  /** The dead-letter file is rotated (one old generation kept) past this size. Default 16 MiB. */
  deadLetterMaxBytes?: number;
  /** While the backend refuses the token (401), one request this often. Default 5 min. */
  unauthorizedRetryMs?: number;
  fetch?: typeof globalThis.fetch;
  timers?: Timers;
  /** Wall clock, for `lastSuccessAt`, `unauthorizedSince`, the 401 reminders and dead-letter records. */
  now?: () => Date;
  random?: () => number;
}

/**
 * Start shipping `spool` to the backend.
 * @throws TypeError / RangeError on a bad option (a caller's mistake).
 */
export function startReporter(options: ReporterOptions): Reporter {
  const { spool, backoff } = options;
  const stopper = new AbortController();
  const transport = createTransport({
    backendUrl: options.backendUrl,
    token: options.token,
    requestTimeoutMs: positiveInt('requestTimeoutMs', options.requestTimeoutMs ?? 15_000),
    fetch: options.fetch ?? globalThis.fetch,
    stop: stopper.signal,
  });
  const sizer = new BatchSizer(options.batchSize ?? 500, options.maxBodyBytes ?? 900_000);
  const idlePollMs = positiveInt('idlePollMs', options.idlePollMs ?? 5_000);
  const lingerMs = options.lingerMs ?? 250;
  if (!Number.isInteger(lingerMs) || lingerMs < 0) throw new RangeError(`lingerMs must be a non-negative integer, got ${lingerMs}`);
  const deadLetterMaxBytes = positiveInt('deadLetterMaxBytes', options.deadLetterMaxBytes ?? 16 * 1024 * 1024);
  const unauthorizedRetryMs = positiveInt('unauthorizedRetryMs', options.unauthorizedRetryMs ?? 5 * 60_000);
  nextDelay(0, backoff); // validates the bounds now rather than at the first failure
  const timers: Timers = options.timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
  const now = options.now ?? (() => new Date());
  const log = moduleLogger(options.log, 'reporter');

  return startLoop({
    spool,
    transport,
    sizer,
    deadLetters: new DeadLetterFile({ dir: spool.dir, maxBytes: deadLetterMaxBytes, log, now }),
    poison: new PoisonIsolation(),
    pause: new UnauthorizedPause({ log, now, retryMs: unauthorizedRetryMs }),
    backoff,
    idlePollMs,
    lingerMs,
    timers,
    now,
    random: options.random ?? Math.random,
    log,
    stopper,
  });
}
