/**
 * One delivery attempt over HTTP: sign, POST, and describe what happened (status, a short
 * snippet of the answer, or the error) without throwing. Redirects count as failures: a
 * receiver must answer 2xx at the URL it registered.
 */
import { webhookHeaders } from './signature';

export interface AttemptResult {
  ok: boolean;
  httpStatus: number | null;
  /** Up to 512 characters of the answer. */
  responseSnippet: string | null;
  /** `timeout`, or the network error's code and message. */
  error: string | null;
  durationMs: number;
}

export const SNIPPET_CHARS = 512;

export async function attemptDelivery(
  request: { url: string; secret: string; messageId: string; body: string },
  options: { now: Date; timeoutMs: number; fetch?: typeof fetch },
): Promise<AttemptResult> {
  const started = performance.now();
  const doFetch = options.fetch ?? fetch;
  const elapsed = () => Math.round((performance.now() - started) * 10) / 10;
  try {
    const res = await doFetch(request.url, {
      method: 'POST',
      headers: { ...webhookHeaders(request.secret, request.messageId, options.now, request.body), 'user-agent': 'dropscope-webhooks' },
      body: request.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    const text = await snippet(res).catch(() => '');
    return { ok: res.status >= 200 && res.status < 300, httpStatus: res.status, responseSnippet: text || null, error: null, durationMs: elapsed() };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const error = e.name === 'TimeoutError' || e.name === 'AbortError' ? `timeout after ${options.timeoutMs} ms` : [e.cause?.code, e.cause?.message ?? e.message].filter(Boolean).join(': ');
    return { ok: false, httpStatus: null, responseSnippet: null, error: error.slice(0, SNIPPET_CHARS), durationMs: elapsed() };
  }
}

/** The start of the answer, without reading a large one to its end. */
async function snippet(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (text.length < SNIPPET_CHARS) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  await reader.cancel().catch(() => {});
  return text.slice(0, SNIPPET_CHARS);
}
