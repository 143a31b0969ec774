/**
 * What an answer says about who gave it: the headers that name the layers in the path, and
 * for a refusal a short excerpt of its body. Statuses alone do not tell refusals apart:
 * squid answers a CONNECT to a closed port 503 with `X-Squid-Error: ERR_CONNECT_FAIL 111`
 * and one its rules forbid 403 `ERR_ACCESS_DENIED 0`; HAProxy's 503 says "No server is
 * available to handle this request." where the origin's own 503 says something else.
 *
 * Everything kept here is the answer of a proxy or a server, never our request. A layer that
 * echoes our request back could still put a credential into its answer: the canary scrubs
 * the event with {@link scrubber} before it leaves.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { PlannedCanary } from '../config';

/** The ingest contract's bounds on `responseHeaders` and `bodyExcerpt`. */
export const MAX_HEADERS = 16;
export const MAX_HEADER_CHARS = 512;
export const BODY_EXCERPT_CHARS = 256;
/** At most this much of a refusal's body is read. */
export const REFUSAL_BODY_BYTES = 4096;
/**
 * How long a refusal's body may keep the attempt waiting beyond what has already arrived.
 * Proxies and servers write a refusal in one go; this only covers a body split in two.
 */
export const REFUSAL_BODY_WAIT_MS = 100;

/** Headers that name the layers in the path, kept on every answer (session.opened too). */
export const IDENTIFYING_HEADERS = ['server', 'via', 'x-served-by', 'x-cache', 'cf-ray', 'x-amz-cf-id', 'x-amzn-trace-id', 'x-azure-ref', 'x-powered-by', 'x-dropscope-peer', 'x-dropscope-target', 'sec-websocket-protocol', 'sec-websocket-extensions', 'alt-svc'];

/** Headers of a forward proxy's successful CONNECT reply that name it (tinyproxy: Proxy-agent). */
export const PROXY_IDENTITY_HEADERS = ['proxy-agent', 'server', 'via', 'x-cache', 'x-squid-error'];

/**
 * Kept on a refusal, in this order until {@link MAX_HEADERS}: what says why first (squid's
 * error name, RFC 9209 Proxy-Status, the auth scheme asked for, API Gateway's error type),
 * then who answered.
 */
export const REFUSAL_HEADERS = [
  'server',
  'via',
  'x-squid-error',
  'proxy-status',
  'proxy-authenticate',
  'www-authenticate',
  'x-amzn-errortype',
  'retry-after',
  ...IDENTIFYING_HEADERS.filter((h) => h !== 'server' && h !== 'via' && !h.startsWith('sec-websocket') && h !== 'alt-svc'),
];

/** Challenges whose parameters (realm, nonce ...) are not ours to keep: only the scheme is. */
const AUTH_CHALLENGES = new Set(['proxy-authenticate', 'www-authenticate']);

/**
 * `names` that are present in `headers`, in the order of `names`, bounded as the contract
 * requires: at most 16, each value at most 512 characters, without control characters.
 * Of an authentication challenge only the schemes are kept (`Basic`, `Negotiate, NTLM`).
 */
export function pickHeaders(headers: Record<string, string | string[] | undefined>, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  let kept = 0;
  for (const name of names) {
    if (kept === MAX_HEADERS) break;
    const raw = headers[name];
    if (raw === undefined) continue;
    let value = Array.isArray(raw) ? raw.join(', ') : raw;
    if (AUTH_CHALLENGES.has(name)) value = challengeSchemes(value);
    value = plain(value).slice(0, MAX_HEADER_CHARS);
    if (value === '') continue;
    out[name] = value;
    kept += 1;
  }
  return out;
}

/** The auth schemes of a challenge list: `Basic realm="x", Negotiate` -> `Basic, Negotiate`. */
export function challengeSchemes(value: string): string {
  // Split on commas outside quoted strings; an element that starts with `token=` is a
  // parameter of the challenge before it, anything else starts a challenge with its scheme.
  const schemes: string[] = [];
  for (const element of value.match(/(?:[^,"]|"(?:[^"\\]|\\.)*")+/g) ?? []) {
    const m = /^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)(\s*=)?/.exec(element);
    if (m && !m[2]) schemes.push(m[1]!);
  }
  return schemes.join(', ');
}

/**
 * The refusal's own words, at most 256 characters: an HTML page's title (or first heading)
 * and the first sentence of its text, else the first non-empty line; whitespace collapsed.
 * Undefined for an empty or binary body.
 */
export function bodyExcerpt(body: Buffer, contentType = ''): string | undefined {
  if (body.length === 0) return undefined;
  const text = body.subarray(0, REFUSAL_BODY_BYTES).toString('utf8');
  // A compressed or binary body has no words to keep.
  if (text.includes('\u0000') || (text.match(/\uFFFD/g)?.length ?? 0) > text.length / 10) return undefined;
  const html = /html/i.test(contentType) || /^\s*<(?:!doctype|html|head|body|title|h1|p|div|center)\b/i.test(text);
  const excerpt = html ? htmlExcerpt(text) : text.split(/\r?\n/).map(collapse).find((l) => l !== '');
  return excerpt ? excerpt.slice(0, BODY_EXCERPT_CHARS) : undefined;
}

const BLOCK_TAGS = 'address|article|aside|blockquote|body|br|center|dd|div|dl|dt|footer|form|h[1-6]|head|header|hr|html|li|main|nav|ol|p|pre|section|table|td|th|title|tr|ul';

function htmlExcerpt(html: string): string | undefined {
  // What is never text: comments, scripts and styles, even when the read cut them short.
  const cleaned = html.replace(/<!--[\s\S]*?(?:-->|$)/g, ' ').replace(/<(script|style)\b[\s\S]*?(?:<\/\1\s*>|$)/gi, ' ');
  const inner = (tag: string) => {
    const m = new RegExp(`<${tag}\\b[^>]*>([\\s\\S]*?)</${tag}\\s*>`, 'i').exec(cleaned);
    return m ? collapse(decodeEntities(m[1]!.replace(/<[^>]*>/g, ' '))) : '';
  };
  const title = inner('title');
  const h1 = inner('h1');
  const heading = [title, h1 && !contains(title, h1) ? h1 : ''].filter(Boolean).join(' - ');
  // The visible text, one line per block, without the <head> and without lines that only
  // repeat the heading (squid's <h2> repeats its <title>, nginx's <h1> its <title>).
  const lines = decodeEntities(
    cleaned
      .replace(/<head\b[\s\S]*?(?:<\/head\s*>|$)/i, ' ')
      .replace(new RegExp(`</?(?:${BLOCK_TAGS})\\b[^>]*>`, 'gi'), '\n')
      .replace(/<[^>]*(?:>|$)/g, ' '),
  )
    .split('\n')
    .map(collapse)
    .filter((l) => l !== '' && !contains(heading, l));
  const first = lines[0] ? firstSentence(lines[0]) : '';
  return [heading, first].filter(Boolean).join(' - ') || undefined;
}

/** Up to the first `.`, `!` or `?` that ends a sentence (not the dots of `127.0.0.1`). */
function firstSentence(line: string): string {
  return /^.*?[.!?](?=\s|$)/.exec(line)?.[0] ?? line;
}

const contains = (haystack: string, needle: string) => haystack.toLowerCase().includes(needle.toLowerCase());

function collapse(s: string): string {
  return plain(s).replace(/\s+/g, ' ').trim();
}

/** Without control characters (a NUL fails the whole batch at the database). */
function plain(s: string): string {
  return s.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, ' ');
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,6});/gi, (whole, e: string) => {
    if (e[0] !== '#') return ENTITIES[e.toLowerCase()] ?? whole;
    const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : ' ';
  });
}

/**
 * Read at most {@link REFUSAL_BODY_BYTES} of an HTTP answer's body, for at most `waitMs`.
 * Resolves with what arrived (never rejects); the caller terminates the connection.
 */
export function readBody(res: IncomingMessage, waitMs = REFUSAL_BODY_WAIT_MS): Promise<Buffer> {
  const encoding = res.headers['content-encoding'];
  return collect(res, Buffer.alloc(0), waitMs, (body) => body.length >= REFUSAL_BODY_BYTES, encoding !== undefined && encoding !== 'identity');
}

/**
 * The body of a refusal that arrived on a raw socket right after its head (a CONNECT
 * refusal): `initial` is what came with the head; more is waited for only while the head's
 * framing says the body is incomplete, and for at most `waitMs`. De-chunked.
 */
export async function readRawBody(socket: Duplex, initial: Buffer, headers: Record<string, string>, waitMs = REFUSAL_BODY_WAIT_MS): Promise<Buffer> {
  const chunked = /chunked/i.test(headers['transfer-encoding'] ?? '');
  const length = chunked ? NaN : Number(headers['content-length'] ?? NaN);
  const complete = (body: Buffer) =>
    body.length >= REFUSAL_BODY_BYTES || (chunked ? /(?:^|\r\n)0(?:;[^\r\n]*)?\r\n/.test(body.toString('latin1')) : Number.isFinite(length) ? body.length >= length : false);
  const body = await collect(socket, initial, waitMs, complete, false);
  return (chunked ? dechunk(body) : Number.isFinite(length) ? body.subarray(0, length) : body).subarray(0, REFUSAL_BODY_BYTES);
}

function collect(stream: Duplex | IncomingMessage, initial: Buffer, waitMs: number, complete: (body: Buffer) => boolean, skip: boolean): Promise<Buffer> {
  return new Promise((resolve) => {
    let body = initial;
    if (skip || complete(body) || stream.readableEnded || stream.destroyed) return resolve(skip ? Buffer.alloc(0) : body);
    const done = () => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', done);
      stream.off('close', done);
      stream.off('error', done);
      // The caller discards this connection: a late reset on it is no news.
      stream.on('error', () => {});
      resolve(body);
    };
    const onData = (chunk: Buffer) => {
      body = Buffer.concat([body, chunk]);
      if (complete(body)) done();
    };
    const timer = setTimeout(done, waitMs);
    stream.on('data', onData);
    stream.once('end', done);
    stream.once('close', done);
    stream.once('error', done);
    stream.resume();
  });
}

/** The data of a chunked body, as far as it goes (a body cut short keeps its whole chunks and the cut one's start). */
function dechunk(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < raw.length) {
    const eol = raw.indexOf('\r\n', at);
    if (eol === -1) break;
    const size = parseInt(raw.subarray(at, eol).toString('latin1').split(';')[0]!.trim(), 16);
    if (!Number.isFinite(size) || size <= 0) break;
    parts.push(raw.subarray(eol + 2, Math.min(raw.length, eol + 2 + size)));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/**
 * Secrets of `canary` that could come back in an answer echoing our request: the proxy's
 * user and password (as configured and decoded), the Basic token made of them, and the
 * values of the target's configured request headers. Shorter than 4 characters they are
 * indistinguishable from ordinary text and are not looked for.
 */
export function secretsOf(canary: Pick<PlannedCanary, 'proxy' | 'target'>): string[] {
  const found = new Set<string>();
  const url = canary.proxy.url;
  if (url && (url.username || url.password)) {
    const user = safeDecode(url.username);
    const password = safeDecode(url.password);
    for (const s of [url.username, url.password, user, password, `${user}:${password}`, Buffer.from(`${user}:${password}`).toString('base64')]) found.add(s);
  }
  for (const v of Object.values(canary.target.headers)) found.add(v);
  return [...found].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
}

/** Replace every occurrence of each secret with `[redacted]`. */
export function scrubber(secrets: readonly string[]): (s: string) => string {
  if (secrets.length === 0) return (s) => s;
  const pattern = new RegExp(secrets.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  return (s) => s.replace(pattern, '[redacted]');
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
