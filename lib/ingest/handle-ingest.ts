/**
 * `POST /api/v1/ingest`, independent of Next: takes a Web Request, returns a Response.
 * Storage, authentication, the clock and the live feed are injected so this can be tested
 * on its own and the route file stays a one-liner.
 *
 * Answers (every refusal stores nothing; the batch is stored whole or not at all):
 *   200 stored (or all duplicates)
 *   400 malformed JSON, a schema violation, an implausible value (an instant outside
 *       [now − max age − skew, now + skew], an end before its start, a duration over the
 *       maximum or over its session's span, RTT samples outside their session), or data the
 *       database refused: `issues` names each bad field (`events.3.endedAt`)
 *   401 missing, unknown or revoked token
 *   403 a target token posting anything but its own views (lib/ingest/access.ts), naming each event
 *   408 the body did not arrive within the body timeout (the connection is closed)
 *   409 a session (or a target view) that another probe holds, naming each event
 *   413 body too large; 415 unsupported content-encoding
 *   429 over the probe's rate limit (lib/ingest/rate-limit.ts), with Retry-After
 *   503 with Retry-After while the database cannot be reached (the probe waits and resends)
 *   500 any other storage failure (the probe retries); never for bad data
 */
import {
  implausibleInstants,
  ingestBatchSchema,
  ingestBatchSchemaFor,
  DEFAULT_INGEST_LIMITS,
  type IngestEvent,
  type IngestLimits,
  type IngestResult,
} from '../contracts/ingest';
import { BodyError, readBody } from '../http/read-body';
import { describeIssues, fieldIssues, problem, unavailable, type FieldIssue } from '../http/problem';
import type { Logger } from '../log';
import { forbiddenEvents, type Reporter } from './access';
import { IngestRateLimiter } from './rate-limit';

/** The code of the store's error for a probe deleted meanwhile (db/queries/ingest.ts ProbeGoneError). */
const PROBE_GONE = 'INGEST_ERR_PROBE_GONE';
/** db/queries/ingest.ts SessionConflictError: sessions (ids) and target views (session ids) of another reporter. */
const CONFLICT = 'INGEST_ERR_CONFLICT';
/** db/queries/ingest.ts RttOutsideSessionError: samples outside their stored session's span. */
const RTT_OUTSIDE = 'INGEST_ERR_RTT_OUTSIDE_SESSION';

/** What the database refused of a batch's data (db/queries/ingest.ts refusedData). */
export interface RefusedData {
  sqlstate: string;
  message: string;
  column: string | undefined;
}

export interface IngestDeps {
  authenticate(token: string): Promise<Reporter | null>;
  store(reporter: Reporter, events: IngestEvent[], now: Date): Promise<IngestResult & { applied: IngestEvent[] }>;
  publish(probe: string, applied: IngestEvent[]): void;
  now(): Date;
  maxBodyBytes: number;
  /** How long a body may take to arrive once its reading began. */
  bodyTimeoutMs: number;
  /** Plausibility limits (the schema under them is built once per set of limits). */
  limits: IngestLimits;
  /** The per-probe rate limit; null for none. */
  rateLimiter: IngestRateLimiter | null;
  log: Logger;
  /** Whether a storage error means the database cannot be reached right now (db/unavailable.ts). */
  unavailable(err: unknown): boolean;
  /** What the database refused for its data, if that is what `err` is (db/queries/ingest.ts refusedData). */
  refused(err: unknown): RefusedData | null;
}

/**
 * What the handler needs of a request, whichever server received it: a header, and the
 * body read under a byte limit and a time limit (throwing BodyError or BodyTimeoutError).
 * The web one (`handleIngest`) serves Next's route; lib/ingest/serve-node.ts serves
 * node:http directly (issue 14).
 */
export interface IngestRequest {
  header(name: string): string | null;
  readBody(maxBytes: number, timeoutMs: number): Promise<string>;
}

/** The body did not fully arrive in time. */
export class BodyTimeoutError extends Error {
  readonly code = 'BODY_TIMEOUT';
  constructor(readonly timeoutMs: number) {
    super(`the body did not arrive within ${timeoutMs} ms`);
    this.name = 'BodyTimeoutError';
  }
}

/** `POST /api/v1/ingest` for a web Request (Next's route handler, tests). */
export function handleIngest(request: Request, deps: IngestDeps): Promise<Response> {
  return answerIngest(
    {
      header: (name) => request.headers.get(name),
      readBody: (max, timeoutMs) => withDeadline(readBody(request, max), timeoutMs),
    },
    deps,
  );
}

export async function answerIngest(request: IngestRequest, deps: IngestDeps): Promise<Response> {
  const auth = request.header('authorization') ?? '';
  const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
  if (!m?.[1]) {
    return problem(401, 'INGEST_ERR_UNAUTHORIZED', 'missing bearer token: send "Authorization: Bearer <probe token>"', {
      headers: { 'www-authenticate': 'Bearer realm="dropscope-ingest"' },
    });
  }
  let probe: Reporter | null;
  try {
    probe = await deps.authenticate(m[1]);
  } catch (err) {
    if (!deps.unavailable(err)) throw err;
    deps.log.warn({ err }, 'ingest: the database cannot be reached to authenticate');
    return unavailable('INGEST_ERR_UNAVAILABLE', 'nothing was kept');
  }
  if (!probe) {
    return problem(401, 'INGEST_ERR_UNAUTHORIZED', 'unknown or revoked probe token', {
      headers: { 'www-authenticate': 'Bearer realm="dropscope-ingest", error="invalid_token"' },
    });
  }

  // Over its limit already: refused before its body costs any reading or parsing.
  const early = deps.rateLimiter?.peek(probe.id, deps.now().getTime());
  if (early && !early.ok) return tooMany(deps.rateLimiter!, early.retryAfterMs, null);

  let text: string;
  try {
    text = await request.readBody(deps.maxBodyBytes, deps.bodyTimeoutMs);
  } catch (err) {
    if (err instanceof BodyTimeoutError) {
      deps.log.warn({ probe: probe.name, timeoutMs: err.timeoutMs }, 'ingest: a body arrived too slowly; connection closed');
      return problem(408, 'INGEST_ERR_BODY_TIMEOUT', `${err.message}; nothing was kept`, { headers: { connection: 'close' } });
    }
    if (!(err instanceof BodyError)) throw err;
    const status = err.code === 'BODY_TOO_LARGE' ? 413 : err.code === 'BODY_UNSUPPORTED_ENCODING' ? 415 : 400;
    return problem(status, `INGEST_ERR_${err.code.slice('BODY_'.length)}`, err.message);
  }

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return problem(400, 'INGEST_ERR_JSON', `body is not valid JSON: ${(err as Error).message}`);
  }
  // Charged before the schema, by the events the batch claims to carry: a flood of bad
  // batches is limited as surely as one of good ones.
  if (deps.rateLimiter) {
    const claimed = (json as { events?: unknown } | null)?.events;
    const events = Array.isArray(claimed) ? claimed.length : 1;
    const taken = deps.rateLimiter.take(probe.id, events, deps.now().getTime());
    if (!taken.ok) return tooMany(deps.rateLimiter, taken.retryAfterMs, events);
  }
  const parsed = schemaFor(deps.limits).safeParse(json);
  if (!parsed.success) {
    const issues = fieldIssues(parsed.error);
    return problem(400, 'INGEST_ERR_SCHEMA', `batch rejected, nothing stored: ${describeIssues(issues)}`, { issues });
  }
  const events = parsed.data.events;
  const now = deps.now();
  const implausible = implausibleInstants(events, now.getTime(), deps.limits);
  if (implausible.length > 0) {
    return problem(400, 'INGEST_ERR_IMPLAUSIBLE', `batch rejected, nothing stored: ${describeIssues(implausible)}`, { issues: implausible });
  }
  const forbidden = forbiddenEvents(probe, events);
  if (forbidden.length > 0) {
    return problem(403, 'INGEST_ERR_FORBIDDEN', `batch rejected, nothing stored: ${describeIssues(forbidden)}`, { issues: forbidden });
  }

  let stored;
  try {
    stored = await deps.store(probe, events, now);
  } catch (err) {
    if (deps.unavailable(err)) {
      deps.log.warn({ err, probe: probe.name, events: events.length }, 'ingest: the database cannot be reached');
      return unavailable('INGEST_ERR_UNAVAILABLE', 'nothing was kept');
    }
    const code = (err as { code?: unknown }).code;
    // Deleted between its token's check and the store (db/queries/ingest.ts ProbeGoneError):
    // the token is no longer valid, as it would have been found a moment later.
    if (code === PROBE_GONE) {
      return problem(401, 'INGEST_ERR_UNAUTHORIZED', 'this probe was deleted while its batch was being stored; nothing was kept', {
        headers: { 'www-authenticate': 'Bearer realm="dropscope-ingest", error="invalid_token"' },
      });
    }
    if (code === CONFLICT) {
      const issues = conflictIssues(err as { sessions: readonly string[]; views: readonly string[] }, events, probe);
      deps.log.warn({ probe: probe.name, kind: probe.kind, events: issues.map((i) => i.path) }, 'ingest: a batch writes sessions of another reporter; refused');
      return problem(409, 'INGEST_ERR_CONFLICT', `batch rejected, nothing stored: ${describeIssues(issues)}`, { issues });
    }
    if (code === RTT_OUTSIDE) {
      const issues = rttIssues(err as { samples: readonly { event: IngestEvent; index: number; message: string }[] }, events);
      return problem(400, 'INGEST_ERR_IMPLAUSIBLE', `batch rejected, nothing stored: ${describeIssues(issues)}`, { issues });
    }
    const refused = deps.refused(err);
    if (refused) {
      // The contract should have refused it first: worth a look, but the probe's answer is
      // a 400 it can dead-letter, never a 500 it would resend forever.
      deps.log.error({ err, probe: probe.name, events: events.length }, 'ingest: the database refused data the contract let through');
      const issues = refusalIssues(refused, events);
      return problem(400, 'INGEST_ERR_REFUSED', `the database refused the batch's data, nothing stored: ${describeIssues(issues)}`, { issues });
    }
    deps.log.error({ err, probe: probe.name, events: events.length }, 'storing an ingest batch failed');
    return problem(500, 'INGEST_ERR_STORE', 'the batch could not be stored; nothing was kept, retry later');
  }
  if (stored.applied.length > 0) {
    try {
      deps.publish(probe.name, stored.applied);
    } catch (err) {
      // The batch is committed; a failed live push must not make the probe resend it.
      deps.log.warn({ err }, 'live push failed');
    }
  }
  const result: IngestResult = { accepted: stored.accepted, duplicates: stored.duplicates };
  return Response.json(result, { status: 200 });
}

/** The batch schema under `limits`, built once per set of limits (zod compiles a parser on first use). */
const schemas = new Map<string, typeof ingestBatchSchema>();
function schemaFor(limits: IngestLimits): typeof ingestBatchSchema {
  if (limits.maxDurationMs === DEFAULT_INGEST_LIMITS.maxDurationMs && limits.skewMs === DEFAULT_INGEST_LIMITS.skewMs) return ingestBatchSchema;
  const key = `${limits.maxDurationMs}/${limits.skewMs}`;
  let schema = schemas.get(key);
  if (!schema) schemas.set(key, (schema = ingestBatchSchemaFor(limits)));
  return schema;
}

function tooMany(limiter: IngestRateLimiter, retryAfterMs: number, events: number | null): Response {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  const { eventsPerSecond, burst } = limiter.limit;
  const what = events === null ? 'a batch' : `a batch of ${events} events (counted as ${IngestRateLimiter.cost(events)})`;
  return problem(
    429,
    'INGEST_ERR_RATE_LIMITED',
    `rate limit of ${eventsPerSecond} events/s per probe (burst ${burst}, DROPSCOPE_INGEST_RATE / DROPSCOPE_INGEST_BURST) reached: ${what} was not accepted; nothing was kept, retry in ${seconds} s`,
    { headers: { 'retry-after': String(seconds) } },
  );
}

/** Each event that writes a refused session or view, named by index, id and session. */
function conflictIssues(err: { sessions: readonly string[]; views: readonly string[] }, events: readonly IngestEvent[], probe: Reporter): FieldIssue[] {
  const sessions = new Set(err.sessions);
  const views = new Set(err.views);
  const issues: FieldIssue[] = [];
  events.forEach((e, i) => {
    if ((e.type === 'session.opened' || e.type === 'session.ended' || e.type === 'attempt.failed') && sessions.has(e.sessionId)) {
      issues.push({ path: `events.${i}.sessionId`, message: `event ${e.id}: session ${e.sessionId} (attempted ${e.attemptedAt}) belongs to another probe` });
    } else if (e.type === 'target.session_ended' && views.has(e.sessionId)) {
      const why = probe.kind === 'target' ? 'reached another target, whose view this would overwrite' : 'is not this probe\'s';
      issues.push({ path: `events.${i}.sessionId`, message: `event ${e.id}: session ${e.sessionId} ${why}` });
    }
  });
  return issues;
}

function rttIssues(err: { samples: readonly { event: IngestEvent; index: number; message: string }[] }, events: readonly IngestEvent[]): FieldIssue[] {
  const index = new Map(events.map((e, i) => [e.id, i]));
  return err.samples.map((s) => ({ path: `events.${index.get(s.event.id) ?? '?'}.samples.${s.index}.at`, message: `event ${s.event.id}: ${s.message}` }));
}

/**
 * The fields the database refused: the events holding the value its message quotes (as in
 * `date/time field value out of range: "0000-01-01T00:00:00Z"`), else the column it names,
 * else the batch. Without an event index the reporter bisects down to the culprit.
 */
function refusalIssues(refused: RefusedData, events: readonly IngestEvent[]): FieldIssue[] {
  const message = `${refused.message} (SQLSTATE ${refused.sqlstate})`;
  const quoted = /"([^"]+)"/.exec(refused.message)?.[1];
  if (quoted !== undefined) {
    const found: FieldIssue[] = [];
    events.forEach((e, i) => {
      for (const path of pathsOf(e, quoted)) found.push({ path: `events.${i}.${path}`, message });
    });
    if (found.length > 0) return found;
  }
  const field = refused.column?.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  return [{ path: 'events', message: field ? `${field}: ${message}` : message }];
}

/** Dotted paths inside `value` at which the string `needle` is found. */
function pathsOf(value: unknown, needle: string, prefix = ''): string[] {
  if (value === needle) return [prefix];
  if (value === null || typeof value !== 'object') return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, needle, prefix ? `${prefix}.${k}` : k));
  return out;
}

/**
 * `body`, or BodyTimeoutError after `ms`. A web Request cannot close its connection: the
 * read is left to end with it (node:http's path, serve-node.ts, closes the socket).
 */
function withDeadline(body: Promise<string>, ms: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BodyTimeoutError(ms)), ms);
  });
  body.catch(() => {});
  return Promise.race([body, deadline]).finally(() => clearTimeout(timer));
}
