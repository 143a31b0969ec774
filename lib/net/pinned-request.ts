/**
 * One HTTP(S) request to an address checked beforehand (lib/net/outbound-guard.ts): the
 * request keeps the URL's host name (TLS SNI, the certificate check, the Host header) but
 * its connection goes to the pinned address through a custom `lookup`, so nothing resolves
 * the name a second time. A fresh agent per request: a pooled socket is keyed by host and
 * port only and could carry a request to an address checked for another.
 *
 * Redirects are never followed (node's http client does not follow them): the caller gets
 * the 3xx. At most `readChars` characters of the answer are read, then the connection ends.
 */
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { CheckedTarget } from './outbound-guard';

export interface PinnedPost {
  url: URL;
  target: CheckedTarget;
  headers: Record<string, string>;
  body: string;
  /** Ends the request (connect, send, answer) when it aborts. */
  signal: AbortSignal;
  /** How much of the answer to keep; 0 reads none of it. */
  readChars: number;
  /** Extra trusted CAs (tests; a private CA is better given to node as NODE_EXTRA_CA_CERTS). */
  ca?: string | Buffer;
}

export interface PinnedAnswer {
  status: number;
  /** The first `readChars` characters of the answer, or null when none were to be read. */
  body: string | null;
}

/** A `lookup` that answers the pinned address to whatever is asked (this request's own connection only). */
function pinnedLookup(target: CheckedTarget): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
}

export function postPinned(p: PinnedPost): Promise<PinnedAnswer> {
  const client = p.url.protocol === 'https:' ? https : http;
  return new Promise<PinnedAnswer>((resolve, reject) => {
    let settled = false;
    const done = (err: Error | null, answer?: PinnedAnswer) => {
      if (settled) return;
      settled = true;
      if (err) reject(err);
      else resolve(answer!);
    };
    const req = client.request(
      p.url,
      {
        method: 'POST',
        headers: { ...p.headers, host: p.url.host, 'content-length': String(Buffer.byteLength(p.body)) },
        lookup: pinnedLookup(p.target),
        agent: false,
        signal: p.signal,
        ...(p.ca !== undefined && { ca: p.ca }),
      },
      (res) => {
        const status = res.statusCode ?? 0;
        if (p.readChars <= 0) {
          res.destroy();
          return done(null, { status, body: null });
        }
        let text = '';
        const decoder = new TextDecoder();
        const finish = () => {
          res.destroy();
          done(null, { status, body: text.slice(0, p.readChars) });
        };
        res.on('data', (chunk: Buffer) => {
          text += decoder.decode(chunk, { stream: true });
          if (text.length >= p.readChars) finish();
        });
        res.on('end', finish);
        // Cut short (the signal, the peer): keep what arrived.
        res.on('error', finish);
        res.on('aborted', finish);
      },
    );
    req.on('error', (err) => done(err));
    req.end(p.body);
  });
}
