/**
 * What the backend's answer to one ingest request means for the reporter: a pure function of
 * the status, the body and the headers (and of the events sent, which a refusal may name).
 * Sending is agent/report/transport.ts; acting on the answer is agent/report/loop.ts.
 */
import { z } from 'zod';
import type { IngestEvent } from '../../lib/contracts/ingest';

const acceptedSchema = z.object({ accepted: z.number().int().nonnegative(), duplicates: z.number().int().nonnegative() });
const problemSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});
export type Problem = z.infer<typeof problemSchema>['error'];

/** The most of a refusal's body kept in a dead-letter record or a signature. */
export const EXCERPT_CHARS = 1_000;

/**
 * A refusal that may be caused by the data rather than by the backend's or the path's state
 * (a 5xx, an unexpected status). Refusals with equal `signature` are "refused the same way".
 */
export interface Refusal {
  status: number;
  /** `HTTP 500 INGEST_ERR_STORE: message` with a problem body, else `HTTP 500 body: <excerpt>`. */
  signature: string;
  /** The body, whitespace collapsed, cut at {@link EXCERPT_CHARS}. */
  excerpt: string;
}

export interface Culprit {
  event: IngestEvent;
  reason: string;
}

export type Answer =
  | { kind: 'ok'; accepted: number; duplicates: number }
  /** Keep the events and back off. `refusal` is set when the answer may be the data's doing. */
  | { kind: 'retry'; reason: string; status?: number; retryAfterMs?: number; refusal?: Refusal }
  /** 401: the probe token is unknown or revoked. */
  | { kind: 'unauthorized'; reason: string }
  | { kind: 'too-large'; reason: string }
  | { kind: 'bad-encoding'; reason: string }
  /** Refused for good: `culprits` are the events it names (none: bisect). */
  | { kind: 'rejected'; culprits: Culprit[]; reason: string; status: number }
  /** The reporter was stopped while the request was in flight. */
  | { kind: 'stopped' };

/** The parts of a fetch Response the classification reads. */
export interface RawAnswer {
  status: number;
  body: string;
  headers: { get(name: string): string | null };
}

/**
 * Classify the backend's answer to a request that carried `events`.
 * Never throws: a body that is not what the backend sends is an answer too.
 */
export function classifyAnswer({ status, body, headers }: RawAnswer, events: readonly IngestEvent[]): Answer {
  const problem = parseProblem(body);
  const what = `HTTP ${status}${problem ? ` ${problem.code}: ${problem.message}` : ''}`;
  if (status === 200) {
    const ok = parseJson(body, acceptedSchema);
    // A 200 that is not an ingest answer (a captive portal, a misrouted proxy) stored nothing.
    if (!ok) return { kind: 'retry', reason: 'HTTP 200 without an ingest answer ({accepted, duplicates}): is something else answering at the backend URL?', status };
    return { kind: 'ok', ...ok };
  }
  if (status === 401) return { kind: 'unauthorized', reason: what };
  if (status === 413) return { kind: 'too-large', reason: what };
  if (status === 415) return { kind: 'bad-encoding', reason: what };
  // Permanent refusals: the same events would be refused again however often they are sent.
  if (status === 400 || status === 409) return { kind: 'rejected', culprits: culpritsOf(problem, events, status), reason: what, status };
  if (status === 403) {
    const culprits = culpritsOf(problem, events, status);
    if (culprits.length > 0) return { kind: 'rejected', culprits, reason: what, status };
    // Names no event: something between here and the backend, not the data.
    return { kind: 'retry', reason: `${what} (refused without naming an event: something between here and the backend?)`, status };
  }
  const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(headers.get('retry-after')) : undefined;
  if (retryAfterMs !== undefined) return { kind: 'retry', reason: what, status, retryAfterMs };
  // The backend's own load or the rate limit, not the data.
  if (status === 429) return { kind: 'retry', reason: what, status };
  // A 5xx or a status the backend does not send: the same refusal again and again may be one
  // event the backend cannot store (a timestamp PostgreSQL refuses), see agent/report/poison.ts.
  return { kind: 'retry', reason: what, status, refusal: refusalOf(status, problem, body) };
}

/** The answer for a request that got no HTTP answer at all. */
export function classifyFailure(err: unknown, timeoutMs: number): Answer {
  return { kind: 'retry', reason: describeFetchError(err, timeoutMs) };
}

function refusalOf(status: number, problem: Problem | undefined, body: string): Refusal {
  const excerpt = excerptOf(body);
  const signature = problem ? `HTTP ${status} ${problem.code}: ${problem.message}` : `HTTP ${status} body: ${excerpt}`;
  return { status, signature: signature.slice(0, EXCERPT_CHARS + 64), excerpt };
}

function excerptOf(body: string): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > EXCERPT_CHARS ? `${flat.slice(0, EXCERPT_CHARS)}…` : flat;
}

/** The events a refusal names by `events.N...`, with the messages for each. */
function culpritsOf(problem: Problem | undefined, events: readonly IngestEvent[], status: number): Culprit[] {
  const reasons = new Map<number, string[]>();
  for (const issue of problem?.issues ?? []) {
    const m = /^events\.(\d+)(?:\.|$)/.exec(issue.path);
    const n = m ? Number(m[1]) : NaN;
    if (!(n < events.length)) continue;
    reasons.set(n, [...(reasons.get(n) ?? []), `${issue.path.slice(`events.${n}`.length + 1) || '(event)'}: ${issue.message}`]);
  }
  return [...reasons].map(([n, messages]) => ({ event: events[n]!, reason: `HTTP ${status}${problem?.code ? ` ${problem.code}` : ''}: ${messages.join('; ')}` }));
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
