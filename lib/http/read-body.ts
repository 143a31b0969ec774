/**
 * Read a request body with a hard size limit, decompressing gzip. The limit applies to
 * the bytes on the wire and to the decompressed bytes, so a small gzip bomb is refused
 * as surely as a large plain body.
 */
export class BodyError extends Error {
  constructor(
    readonly code: 'BODY_TOO_LARGE' | 'BODY_BAD_ENCODING' | 'BODY_UNSUPPORTED_ENCODING',
    message: string,
  ) {
    super(message);
  }
}

export async function readBody(request: Request, maxBytes: number): Promise<string> {
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new BodyError('BODY_TOO_LARGE', `body of ${declared} bytes exceeds the limit of ${maxBytes} bytes`);
  }
  const encoding = (request.headers.get('content-encoding') ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip') {
    throw new BodyError('BODY_UNSUPPORTED_ENCODING', `content-encoding "${encoding}" is not supported; send identity or gzip`);
  }
  if (!request.body) return '';

  let stream: ReadableStream<Uint8Array> = request.body.pipeThrough(limiter(maxBytes, 'body'));
  if (encoding === 'gzip') {
    stream = stream
      .pipeThrough(new DecompressionStream('gzip') as unknown as ReadableWritablePair<Uint8Array, Uint8Array>)
      .pipeThrough(limiter(maxBytes, 'decompressed body'));
  }
  const chunks: Uint8Array[] = [];
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof BodyError) throw err;
    throw new BodyError('BODY_BAD_ENCODING', `cannot decode the ${encoding} body: ${(err as Error).message}`);
  }
  return new TextDecoder('utf-8', { fatal: false }).decode(Buffer.concat(chunks));
}

function limiter(maxBytes: number, what: string): TransformStream<Uint8Array, Uint8Array> {
  let seen = 0;
  return new TransformStream({
    transform(chunk, controller) {
      seen += chunk.byteLength;
      if (seen > maxBytes) {
        controller.error(new BodyError('BODY_TOO_LARGE', `${what} exceeds the limit of ${maxBytes} bytes`));
        return;
      }
      controller.enqueue(chunk);
    },
  });
}
