/**
 * The endpoint's secret never comes back through the delivery history: a receiver that
 * echoes its request (a PagerDuty endpoint pointed at a public echo service, then "Send
 * test") has the routing key cut out of the kept answer, even where the 512-character cut
 * falls inside it, and a failure whose reason quotes it is redacted too. A public receiver
 * is played by a listener on 127.0.0.1 that the outbound guard is made to call public
 * (the only change to the real path), so its answer is kept as a public one's is.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateSecretKey } from '../../../lib/crypto/secret-box';
import { EMPTY_ALLOW_LIST } from '../../../lib/net/allow-list';
import { attemptDelivery, redactSecret, SNIPPET_CHARS } from '../../../lib/webhooks/deliver';
import { sealWebhookSecret } from '../../../lib/webhooks/secret-at-rest';

/** Hosts ending in `.echo.test` are "public" and lead to 127.0.0.1. */
vi.mock('../../../lib/net/outbound-guard', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../../lib/net/outbound-guard')>();
  return {
    ...actual,
    checkOutbound: async (...args: Parameters<typeof actual.checkOutbound>) =>
      args[0].hostname.endsWith('.echo.test') ? { host: args[0].hostname, address: '127.0.0.1', family: 4, internal: false } : actual.checkOutbound(...args),
  };
});

/** A request to a host starting `fail.` fails with a reason quoting what was sent. */
vi.mock('../../../lib/net/pinned-request', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../../lib/net/pinned-request')>();
  return {
    ...actual,
    postPinned: async (p: Parameters<typeof actual.postPinned>[0]) => {
      if (p.url.hostname.startsWith('fail.')) throw Object.assign(new Error(`socket hang up while sending ${String(p.body)}`), { code: 'ECONNRESET' });
      return actual.postPinned(p);
    },
  };
});

const key = generateSecretKey();
const WEBHOOK_ID = 3;
const ROUTING_KEY = 'feedfacefeedfacefeedfacefeedface';
const sealed = sealWebhookSecret(key, WEBHOOK_ID, ROUTING_KEY);

let echo: Server;
let port = 0;
/** What the echo answers: the body it got, after `pad` characters of padding. */
let pad = 0;
let status = 200;
beforeAll(async () => {
  echo = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => res.writeHead(status, { 'content-type': 'application/json' }).end('x'.repeat(pad) + Buffer.concat(chunks).toString()));
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  port = (echo.address() as { port: number }).port;
});
afterAll(async () => {
  echo.closeAllConnections();
  await new Promise<void>((r) => echo.close(() => r()));
});

const send = (host: string) =>
  attemptDelivery({ url: `http://${host}:${port}/v2/enqueue`, webhookId: WEBHOOK_ID, format: 'pagerduty', sealedSecret: sealed, messageId: 'msg_echo', body: '{"event_action":"trigger","dedup_key":"k"}' }, { now: new Date(), timeoutMs: 3000, key, outbound: { allow: EMPTY_ALLOW_LIST } });

describe('a PagerDuty endpoint pointed at an echo service', () => {
  it('keeps the echoed answer without the routing key', async () => {
    pad = 0;
    status = 200;
    const result = await send('api.echo.test');
    expect(result.ok).toBe(true);
    expect(result.responseSnippet).toContain('"routing_key":"[secret]"');
    expect(result.responseSnippet).not.toContain(ROUTING_KEY);
  });

  it('cuts out the key where the 512-character cut falls inside it', async () => {
    status = 200;
    // The answer's first characters up to the key: `{"routing_key":"` (16).
    pad = SNIPPET_CHARS - 16 - 20;
    const result = await send('api.echo.test');
    expect(result.responseSnippet!.endsWith('[secret]')).toBe(true);
    expect(result.responseSnippet).not.toContain(ROUTING_KEY.slice(0, 8));
  });

  it('redacts a refusal\'s kept answer, and a reason quoting the request', async () => {
    pad = 0;
    status = 400;
    const refused = await send('api.echo.test');
    expect(refused).toMatchObject({ ok: false, httpStatus: 400, error: 'HTTP 400 (Bad Request)', permanent: true });
    expect(refused.responseSnippet).not.toContain(ROUTING_KEY);
    const failed = await send('fail.echo.test');
    expect(failed.ok).toBe(false);
    expect(failed.error).toMatch(/^ECONNRESET: socket hang up while sending \{"routing_key":"\[secret\]"/);
    expect(failed.error).not.toContain(ROUTING_KEY);
  });
});

describe('redactSecret', () => {
  it.each([
    ['no secret', 'abc', null, 'abc'],
    ['empty secret', 'abc', '', 'abc'],
    ['every occurrence', 'k=SECRETKEY1 and SECRETKEY1.', 'SECRETKEY1', 'k=[secret] and [secret].'],
    ['a cut-off tail', 'key: SECRET', 'SECRETKEY1', 'key: [secret]'],
    ['a tail too short to tell', 'a SEC', 'SECRETKEY1', 'a SEC'],
    ['nothing of it', 'fine', 'SECRETKEY1', 'fine'],
  ])('%s', (_name, text, secret, want) => {
    expect(redactSecret(text, secret)).toBe(want);
  });
});
