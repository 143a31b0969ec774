/**
 * Why a dial failed, in the terms of the ingest contract: the proxy refused (with its
 * status line or SOCKS reply), or the dial failed (with the socket error code), and in
 * which phase. Dial failures never throw out of a canary: they become `attempt.failed`.
 */
export type DialPhase = 'dns' | 'tcp' | 'proxy' | 'tls' | 'upgrade';

export interface DialErrorOptions {
  cause?: unknown;
  /** The refusing answer's identifying headers (bounded as the ingest contract requires). */
  responseHeaders?: Record<string, string>;
  /** The refusing answer's own words: see `bodyExcerpt` in ./refusal. */
  bodyExcerpt?: string;
}

export class DialError extends Error {
  readonly responseHeaders?: Record<string, string>;
  readonly bodyExcerpt?: string;

  constructor(
    readonly outcome: 'proxy_refused' | 'dial_failed',
    readonly phase: DialPhase,
    /** Stable code: the socket error code (ECONNREFUSED, ENOTFOUND, ETIMEDOUT ...) or PROBE_ERR_*. */
    readonly code: string,
    message: string,
    readonly proxyReply?: string,
    options: DialErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DialError';
    if (options.responseHeaders && Object.keys(options.responseHeaders).length > 0) this.responseHeaders = options.responseHeaders;
    if (options.bodyExcerpt) this.bodyExcerpt = options.bodyExcerpt;
  }
}

/** Turn any error thrown in `phase` into a DialError, keeping its code. */
export function asDialError(err: unknown, phase: DialPhase): DialError {
  if (err instanceof DialError) return err;
  const e = err as NodeJS.ErrnoException;
  const code = e?.code ?? (e?.name === 'TimeoutError' || e?.name === 'AbortError' ? 'ETIMEDOUT' : 'PROBE_ERR_DIAL');
  return new DialError('dial_failed', phase, code, `${phase}: ${e?.message ?? String(err)}`, undefined, { cause: err });
}
