/**
 * One ingest request: POST the batch (gzipped unless the backend said 415), with the probe
 * token, a timeout and the reporter's stop signal, and classify what comes back.
 */
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { IngestEvent } from '../../lib/contracts/ingest';
import { classifyAnswer, classifyFailure, type Answer } from './answer';

const gzip = promisify(gzipCallback);

export const INGEST_PATH = '/api/v1/ingest';

export interface TransportOptions {
  backendUrl: string;
  /** Sent as a bearer token, never logged. */
  token: string;
  requestTimeoutMs: number;
  fetch: typeof globalThis.fetch;
  /** Aborts the request in flight; its answer is then `stopped`. */
  stop: AbortSignal;
}

export interface Transport {
  post(events: readonly IngestEvent[], json: string): Promise<Answer>;
  /** Send uncompressed bodies from now on; false when they already were. */
  dropGzip(): boolean;
}

/** @throws TypeError when `backendUrl` is not an http(s) URL or `token` is empty (a caller's mistake). */
export function createTransport(options: TransportOptions): Transport {
  const endpoint = ingestUrl(options.backendUrl);
  const { token, requestTimeoutMs, stop } = options;
  if (typeof token !== 'string' || token.length === 0) throw new TypeError('token must be a non-empty string');
  let gzipBodies = true;

  return {
    async post(events, json) {
      const body = gzipBodies ? await gzip(json) : Buffer.from(json, 'utf8');
      const headers: Record<string, string> = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      if (gzipBodies) headers['content-encoding'] = 'gzip';
      // The request's deadline and the reporter's stop, without AbortSignal.any: on Node 20
      // each call leaves a WeakRef on the long-lived stop signal (nodejs/node#55351), a leak
      // of one per request, which a soak of a probe shipping 50 requests a second showed.
      const request = new AbortController();
      const abort = () => request.abort();
      const timer = setTimeout(() => request.abort(timeoutError(requestTimeoutMs)), requestTimeoutMs);
      stop.addEventListener('abort', abort, { once: true });
      try {
        const res = await options.fetch(endpoint.href, { method: 'POST', headers, body: new Uint8Array(body), signal: request.signal });
        const text = await res.text();
        return classifyAnswer({ status: res.status, body: text, headers: res.headers }, events);
      } catch (err) {
        if (stop.aborted) return { kind: 'stopped' };
        return classifyFailure(err, requestTimeoutMs);
      } finally {
        clearTimeout(timer);
        stop.removeEventListener('abort', abort);
      }
    },
    dropGzip() {
      if (!gzipBodies) return false;
      gzipBodies = false;
      return true;
    },
  };
}

/** What AbortSignal.timeout aborts with, so the failure reads "no answer within N ms". */
function timeoutError(ms: number): DOMException {
  return new DOMException(`no answer within ${ms} ms`, 'TimeoutError');
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
