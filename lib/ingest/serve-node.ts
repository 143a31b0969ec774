/**
 * `POST /api/v1/ingest` on node:http directly, past Next (issue 14): the same handler and
 * answers as the route (handle-ingest.ts), with the body read from the socket into one
 * buffer instead of through Next's request adapter and web streams, which cost a batch of
 * 500 events several milliseconds of server CPU (bench/README.md).
 *
 * The body rules are lib/http/read-body.ts's, word for word: a declared or streamed body
 * over the limit is 413, as is a gzip body that inflates past it; an encoding other than
 * identity or gzip is 415; a body that says gzip but is not is 400. A body not fully
 * arrived within the body timeout (DROPSCOPE_INGEST_BODY_TIMEOUT_MS, 10 s) is 408 and its
 * socket is closed: node's own requestTimeout (300 s) let a client that dribbles bytes
 * hold a connection, and the reading, for five minutes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gunzip } from 'node:zlib';
import { BodyError } from '../http/read-body';
import { answerIngest, BodyTimeoutError, type IngestDeps } from './handle-ingest';

/** Answer `req` on `res`; resolves with the status once the answer is written. */
export async function serveIngest(req: IncomingMessage, res: ServerResponse, deps: IngestDeps): Promise<number> {
  const response = await answerIngest(
    {
      header: (name) => {
        const v = req.headers[name.toLowerCase()];
        return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
      },
      readBody: (max, timeoutMs) => readNodeBody(req, max, timeoutMs),
    },
    deps,
  );
  const body = Buffer.from(await response.arrayBuffer());
  const headers: Record<string, string> = { 'content-length': String(body.length) };
  response.headers.forEach((value, key) => (headers[key] = value));
  // A body left unread (refused before or while reading it): the connection cannot carry
  // another request, so it ends with this answer rather than draining what is left.
  if (!req.readableEnded) headers.connection = 'close';
  res.writeHead(response.status, headers).end(body, () => {
    // A slow body: once told, the client gets no more of our time.
    if (response.status === 408) req.socket.destroy();
  });
  return response.status;
}

/**
 * The body as text, under `maxBytes` on the wire and after gunzip, fully arrived within
 * `timeoutMs` of this call. @throws BodyError, BodyTimeoutError
 */
export async function readNodeBody(req: IncomingMessage, maxBytes: number, timeoutMs = Infinity): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new BodyError('BODY_TOO_LARGE', `body of ${declared} bytes exceeds the limit of ${maxBytes} bytes`);
  }
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip') {
    throw new BodyError('BODY_UNSUPPORTED_ENCODING', `content-encoding "${encoding}" is not supported; send identity or gzip`);
  }
  const raw = await readLimited(req, maxBytes, timeoutMs);
  if (encoding === 'identity') return raw.toString('utf8');
  const inflated = await new Promise<Buffer>((resolve, reject) =>
    // maxOutputLength stops inflating at the limit: a small gzip bomb costs nothing.
    gunzip(raw, { maxOutputLength: maxBytes + 1 }, (err, out) => (err ? reject(err) : resolve(out))),
  ).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ERR_BUFFER_TOO_LARGE') throw new BodyError('BODY_TOO_LARGE', `decompressed body exceeds the limit of ${maxBytes} bytes`);
    throw new BodyError('BODY_BAD_ENCODING', `cannot decode the gzip body: ${err.message}`);
  });
  if (inflated.length > maxBytes) throw new BodyError('BODY_TOO_LARGE', `decompressed body exceeds the limit of ${maxBytes} bytes`);
  return inflated.toString('utf8');
}

function readLimited(req: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let seen = 0;
    const timer = Number.isFinite(timeoutMs) ? setTimeout(() => done(new BodyTimeoutError(timeoutMs)), timeoutMs) : undefined;
    const done = (err?: Error) => {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('error', onError).off('aborted', onAborted);
      if (err) {
        req.pause();
        reject(err);
      } else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, seen));
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > maxBytes) return done(new BodyError('BODY_TOO_LARGE', `body exceeds the limit of ${maxBytes} bytes`));
      chunks.push(chunk);
    };
    const onEnd = () => done();
    const onError = (err: Error) => done(err);
    const onAborted = () => done(new Error('the client aborted the request'));
    req.on('data', onData).on('end', onEnd).on('error', onError).on('aborted', onAborted);
  });
}
