/**
 * The live endpoints' answers through the process's answer memo (answer-memo.ts). A live
 * page refetches with `w=<watermark>` of the newest push it has seen; the route answers
 * each (normalised query, watermark) once per refresh period of its span (cadence.ts) and
 * hands that one answer to every viewer asking for it, however many there are.
 *
 * A request without `w` (a script, a page before its server saw any push) is answered
 * afresh, as before: it may follow a write of its own (POST then GET), which no watermark
 * it could name covers. An answer kept for a watermark can miss a change that is never
 * pushed (a probe added, the canary target's views): it is then at most one period old.
 *
 * Route handlers stay as they were: wrapped, they see their own query string without `w`,
 * and compute exactly what they computed before. Only 200 answers are kept; a 4xx or a 503
 * is shared with the requests that waited for it, then forgotten.
 */
import { describeIssues, fieldIssues, problem } from '../http/problem';
import { createAnswerMemo, type AnswerMemo, type AnswerSource } from './answer-memo';
import { queryCadenceMs, type SpanParams } from './cadence';
import { WATERMARK_PARAM } from './feed';
import { watermarkSchema } from './feed-schema';
import { normalisedQuery } from './view-key';

export { normalisedQuery } from './view-key';

export type LiveReportName = 'overview' | 'drops' | 'paths' | 'path' | 'handshakes' | 'probes';

/** An answer as kept: what the handler's Response held, its body read once. */
export interface KeptAnswer {
  status: number;
  headers: [string, string][];
  body: string;
}

export interface LiveAnswerMetrics {
  answer(report: LiveReportName, source: AnswerSource): void;
}

export interface LiveAnswerDeps {
  memo?: AnswerMemo<KeptAnswer>;
  metrics?: LiveAnswerMetrics;
  /** Wall time in ms, for an open-ended `from` (its span grows with the clock). */
  wallNow?: () => number;
}

/**
 * `handler` behind the memo. `spans` says which parameter holds the view's span, which
 * sets how long an answer serves (cadence.ts).
 */
export function liveAnswer<A extends unknown[]>(
  report: LiveReportName,
  spans: SpanParams,
  handler: (request: Request, ...rest: A) => Promise<Response>,
  deps: LiveAnswerDeps = {},
): (request: Request, ...rest: A) => Promise<Response> {
  return async (request, ...rest) => {
    const url = new URL(request.url);
    const given = url.searchParams.getAll(WATERMARK_PARAM);
    const watermark = watermarkSchema.optional().safeParse(given.length > 1 ? given : given[0]);
    if (!watermark.success) {
      const issues = fieldIssues(watermark.error).map((i) => ({ ...i, path: WATERMARK_PARAM }));
      return problem(400, 'API_ERR_QUERY', `bad query string: ${describeIssues(issues)}`, { issues });
    }
    const metrics = deps.metrics ?? liveAnswerMetrics();
    if (watermark.data === undefined) {
      metrics.answer(report, 'computed');
      return handler(request, ...rest);
    }
    url.searchParams.delete(WATERMARK_PARAM);
    const key = `${report} ${url.pathname}?${normalisedQuery(url.searchParams)} @${watermark.data}`;
    const maxAgeMs = queryCadenceMs(url.searchParams, spans, (deps.wallNow ?? Date.now)());
    const memo = deps.memo ?? liveAnswerMemo();
    const { value, source } = await memo.get(
      key,
      maxAgeMs,
      async () => {
        const res = await handler(new Request(url, { method: request.method, headers: request.headers }), ...rest);
        return { status: res.status, headers: [...res.headers], body: await res.text() };
      },
      (a) => a.status === 200,
    );
    metrics.answer(report, source);
    return new Response(value.body, { status: value.status, headers: value.headers });
  };
}

/** Bounds of the process's memo: a few hundred views, and a few large answers (a week's session list). */
export const LIVE_MEMO_MAX_ENTRIES = 500;
export const LIVE_MEMO_MAX_BYTES = 64 << 20;

// One memo and one metrics hook per process, shared by every route bundle and server.ts
// (Next bundles them apart) through globalThis.
const MEMO = Symbol.for('dropscope.live-answers');
const METRICS = Symbol.for('dropscope.live-answer-metrics');
type Holder = { [MEMO]?: AnswerMemo<KeptAnswer>; [METRICS]?: LiveAnswerMetrics };
const NO_METRICS: LiveAnswerMetrics = { answer: () => {} };

/** The process's memo of live answers, made on first use. */
export function liveAnswerMemo(): AnswerMemo<KeptAnswer> {
  const g = globalThis as Holder;
  // A JavaScript string holds two bytes a character; headers are small.
  g[MEMO] ??= createAnswerMemo<KeptAnswer>({ maxEntries: LIVE_MEMO_MAX_ENTRIES, maxBytes: LIVE_MEMO_MAX_BYTES, now: () => performance.now() }, (a) => 2 * a.body.length + 256);
  return g[MEMO];
}

export function installLiveAnswerMetrics(metrics: LiveAnswerMetrics | undefined): void {
  (globalThis as Holder)[METRICS] = metrics;
}

function liveAnswerMetrics(): LiveAnswerMetrics {
  return (globalThis as Holder)[METRICS] ?? NO_METRICS;
}
