/**
 * WebSocket close codes (RFC 6455 §7.4.1, IANA registry) as an SRE reads them: which say
 * that an endpoint decided to close, and what each means.
 */

const NAMES: Record<number, string> = {
  1000: 'Normal Closure',
  1001: 'Going Away',
  1002: 'Protocol Error',
  1003: 'Unsupported Data',
  1005: 'No Status Received',
  1006: 'Abnormal Closure',
  1007: 'Invalid Payload Data',
  1008: 'Policy Violation',
  1009: 'Message Too Big',
  1010: 'Mandatory Extension',
  1011: 'Internal Error',
  1012: 'Service Restart',
  1013: 'Try Again Later',
  1014: 'Bad Gateway',
  1015: 'TLS Handshake',
};

/**
 * A code an endpoint sends when it decides to close (1000-1003, 1008, 1011-1013, and the
 * application's own 4000-4999), as opposed to 1006 (no close frame: the TCP connection
 * ended under it) or codes a library sends about the protocol itself.
 */
export function isApplicationCode(code: number | null): boolean {
  if (code === null) return false;
  return APPLICATION_CODE_RANGES.some(([lo, hi]) => code >= lo && code <= hi);
}

/** The application codes as inclusive ranges, for SQL (db/queries/drop-values.ts) to say the same. */
export const APPLICATION_CODE_RANGES: readonly (readonly [number, number])[] = [
  [1000, 1003],
  [1008, 1008],
  [1011, 1013],
  [4000, 4999],
];

/** "1013 (Try Again Later)", "4001 (application-defined)". */
export function describeCloseCode(code: number): string {
  const name = NAMES[code] ?? (code >= 4000 && code <= 4999 ? 'application-defined' : code >= 3000 && code <= 3999 ? 'registered by a library or framework' : null);
  return name ? `${code} (${name})` : String(code);
}

/** What an endpoint's close code asks of an SRE, in one line. */
export function closeCodeAdvice(code: number): string {
  switch (code) {
    case 1013:
      return 'the endpoint is shedding load or paused (1013 Try Again Later): clients must back off before reconnecting, and its own logs say why it refuses service';
    case 1012:
      return 'the endpoint is restarting (1012 Service Restart): a deploy or a crash loop; clients should reconnect with backoff';
    case 1011:
      return 'the endpoint hit an internal error (1011): its application logs hold the exception';
    case 1008:
      return 'the endpoint refuses by policy (1008): check the canary\'s authentication, Origin and subprotocol against what the service accepts';
    case 1001:
      return 'the endpoint is going away (1001): a server shutting down or draining, or a session limit in the application';
    case 1000:
      return 'the application closes the connection itself (1000): look for a session limit or a handshake rule in its code';
    default:
      return code >= 4000 && code <= 4999 ? `the application closes with its own code ${code}: its code or configuration defines it` : `the endpoint closes with code ${code}: see its logs`;
  }
}
