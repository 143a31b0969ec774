/**
 * One delivery attempt over HTTP: open the endpoint's secret (if its provider has one),
 * let the provider build the request (lib/receivers: a Standard Webhooks signature, a
 * PagerDuty routing key put in, Alertmanager's API path), check where its URL leads
 * (lib/net/outbound-guard.ts), POST to the checked address, and describe what happened
 * without throwing. Every failure is a short reason in `error`:
 * `refused: ...` (an internal address), `redirect not followed (HTTP 302)` (a receiver
 * must answer 2xx at the URL it registered), `HTTP 503 (Service Unavailable)`, a network
 * error's code, `timeout after N ms`, a secret that does not decrypt (`cannot sign: ...`,
 * or `cannot open the endpoint's key: ...` for a PagerDuty routing key), or a stored body
 * its provider cannot turn into a request. A failure the provider calls permanent (a 4xx
 * from PagerDuty or Alertmanager: the message itself is refused) is marked so, and is not
 * retried (db/queries/webhook-outbox.ts recordAttempt).
 *
 * What of the answer is kept: up to 512 characters, and only from a public address. An
 * internal address is reached only because DROPSCOPE_OUTBOUND_ALLOW lets it, and whatever
 * answers there (an admin page, a metadata document, another service's error) is not for
 * the dashboard's users to read back through the delivery history; the status and the
 * reason are enough to fix a receiver. Public receivers' answers ("invalid_payload") are
 * kept: that is how a user sees why Slack refused a message. The endpoint's opened secret
 * is cut out of both the kept answer and every reason (`[secret]`): a receiver that echoes
 * its request (a PagerDuty URL pointed at an echo service, then "Send test") must not show
 * viewers the routing key through the delivery history.
 */
import { STATUS_CODES } from 'node:http';
import { SecretBoxError, type SecretKey } from '../crypto/secret-box';
import type { OutboundAllowList } from '../net/allow-list';
import { checkOutbound, OutboundRefusedError, type CheckedTarget, type Lookup } from '../net/outbound-guard';
import { postPinned } from '../net/pinned-request';
import { receiverFor, type ReceiverRequest } from '../receivers';
import type { WebhookFormat } from './endpoint';
import { openWebhookSecret } from './secret-at-rest';

export interface AttemptResult {
  ok: boolean;
  httpStatus: number | null;
  /** Up to 512 characters of the answer of a public receiver; null for an internal one. */
  responseSnippet: string | null;
  /** Why the attempt failed (see the module comment); null when it succeeded. */
  error: string | null;
  durationMs: number;
  /** The receiver refused the message itself (its provider says so of this status): not retried. */
  permanent?: boolean;
}

export const SNIPPET_CHARS = 512;
/** How the reason of an attempt the outbound guard refused starts. */
export const REFUSED_PREFIX = 'refused: ';
const ERROR_CHARS = 300;

/** Where webhooks may go, and the seams tests inject. */
export interface OutboundOptions {
  allow: OutboundAllowList;
  /** The resolver (default: the system's). */
  lookup?: Lookup;
  /** Extra trusted CAs for https receivers. */
  ca?: string | Buffer;
}

export interface AttemptRequest {
  url: string;
  webhookId: number;
  /** The endpoint's format: whose provider builds the request. */
  format: WebhookFormat;
  /** As stored: `v1:...` (lib/webhooks/secret-at-rest.ts). */
  sealedSecret: string;
  messageId: string;
  body: string;
}

export async function attemptDelivery(request: AttemptRequest, options: { now: Date; timeoutMs: number; key: SecretKey; outbound: OutboundOptions }): Promise<AttemptResult> {
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 10) / 10;
  // Opened below, if the provider has one; every text kept from here on is redacted of it.
  let secret: string | null = null;
  const failed = (error: string, httpStatus: number | null = null): AttemptResult => ({ ok: false, httpStatus, responseSnippet: null, error: redactSecret(error, secret).slice(0, ERROR_CHARS), durationMs: elapsed() });
  const signal = AbortSignal.timeout(options.timeoutMs);
  const timedOut = () => failed(`timeout after ${options.timeoutMs} ms`);

  const receiver = receiverFor(request.format);
  if (receiver.secret !== 'none') {
    try {
      secret = openWebhookSecret(options.key, request.webhookId, request.sealedSecret);
    } catch (err) {
      // "sign" for the providers that sign; a routing key is not a signing secret.
      return failed(`${receiver.secret === 'generated' ? 'cannot sign' : 'cannot open the endpoint\'s key'}: ${secretProblem(err)}`);
    }
  }
  let built: ReceiverRequest;
  try {
    built = receiver.request(request.url, request.body, { secret, messageId: request.messageId, now: options.now });
  } catch (err) {
    return failed(`cannot build the request: ${(err as Error).message}`);
  }

  let url: URL;
  try {
    url = new URL(built.url);
  } catch {
    return failed('the endpoint URL is not a valid URL');
  }

  let target: CheckedTarget;
  try {
    target = await untilAborted(checkOutbound(url, options.outbound.allow, options.outbound.lookup), signal);
  } catch (err) {
    if (err instanceof OutboundRefusedError) return failed(`${REFUSED_PREFIX}${err.message}`);
    if (signal.aborted) return timedOut();
    const e = err as NodeJS.ErrnoException;
    return failed(`cannot resolve ${url.hostname}: ${e.code ?? e.message}`);
  }

  try {
    const answer = await postPinned({
      url,
      target,
      headers: { ...built.headers, 'user-agent': 'dropscope-webhooks' },
      body: built.body,
      signal,
      readChars: target.internal ? 0 : SNIPPET_CHARS,
      ...(options.outbound.ca !== undefined && { ca: options.outbound.ca }),
    });
    const status = answer.status;
    const snippet = answer.body ? redactSecret(answer.body, secret) : null;
    if (status >= 200 && status < 300) return { ok: true, httpStatus: status, responseSnippet: snippet, error: null, durationMs: elapsed() };
    const reason = status >= 300 && status < 400 ? `redirect not followed (HTTP ${status})` : `HTTP ${status}${STATUS_CODES[status] ? ` (${STATUS_CODES[status]})` : ''}`;
    return { ...failed(reason, status), responseSnippet: snippet, ...(receiver.permanentFailure?.(status) && { permanent: true }) };
  } catch (err) {
    if (signal.aborted) return timedOut();
    const e = err as NodeJS.ErrnoException;
    return failed([e.code, e.message].filter(Boolean).join(': '));
  }
}

/** Shortest tail of a cut-off text taken for the start of the secret. */
const SECRET_TAIL_CHARS = 4;

/**
 * `text` with every occurrence of `secret` replaced by `[secret]`, and a tail that is the
 * secret's beginning (a 512-character snippet cut in the middle of it) too.
 */
export function redactSecret(text: string, secret: string | null): string {
  if (!secret) return text;
  const out = text.split(secret).join('[secret]');
  for (let n = Math.min(secret.length - 1, out.length); n >= SECRET_TAIL_CHARS; n--) {
    if (out.endsWith(secret.slice(0, n))) return `${out.slice(0, out.length - n)}[secret]`;
  }
  return out;
}

/** Why the endpoint's secret could not be opened; never the secret. */
function secretProblem(err: unknown): string {
  if (!(err instanceof SecretBoxError)) return (err as Error).message;
  if (err.code === 'CRYPTO_ERR_OPEN') return `the endpoint's secret does not decrypt: ${err.message.replace(/^cannot decrypt: /, '')}`;
  return `the endpoint's secret is damaged: ${err.message}`;
}

/** `promise`, or a rejection as soon as `signal` aborts (a lookup cannot be cancelled, only left behind). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => (signal.removeEventListener('abort', onAbort), resolve(v)),
      (e: unknown) => (signal.removeEventListener('abort', onAbort), reject(e)),
    );
  });
}
