/**
 * One delivery attempt against live listeners: every internal address in the SSRF table is
 * refused with a clear reason, and nothing connects anywhere (the listener behind it
 * counts no connection, and node's net.client.socket channel sees no socket); the same
 * URL goes through once the allow list names it (so the listener was there to be
 * reached); a redirect is a failure that never reaches its target; an allowed receiver
 * gets a message signed with the real secret; a wrong key is a reason, not a crash.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, type Server, type Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateSecretKey } from '../../../lib/crypto/secret-box';
import { EMPTY_ALLOW_LIST, parseAllowList } from '../../../lib/net/allow-list';
import type { Lookup } from '../../../lib/net/outbound-guard';
import { attemptDelivery, type OutboundOptions } from '../../../lib/webhooks/deliver';
import { sealWebhookSecret } from '../../../lib/webhooks/secret-at-rest';
import { generateWebhookSecret } from '../../../lib/webhooks/signature';
import { expectedSignature, startWebhookReceiver, type WebhookReceiver } from '../../helpers/webhook-receiver';

const key = generateSecretKey();
const secret = generateWebhookSecret();
const WEBHOOK_ID = 7;
const sealedSecret = sealWebhookSecret(key, WEBHOOK_ID, secret);
const body = JSON.stringify({ type: 'webhook.test', data: { endpoint: 'ssrf' } });
let seq = 0;

const attempt = (url: string, outbound: OutboundOptions, over: { key?: typeof key; timeoutMs?: number } = {}) =>
  attemptDelivery({ url, webhookId: WEBHOOK_ID, format: 'standard', sealedSecret, messageId: `msg_ssrf${++seq}`, body }, { now: new Date(), timeoutMs: over.timeoutMs ?? 3000, key: over.key ?? key, outbound });

/** Every client socket node creates while the test runs. */
const sockets: unknown[] = [];
const onSocket = (m: unknown) => sockets.push(m);
beforeAll(() => subscribe('net.client.socket', onSocket));
afterAll(() => unsubscribe('net.client.socket', onSocket));
beforeEach(() => {
  sockets.length = 0;
});

let v4: WebhookReceiver;
let v6: WebhookReceiver | null;
beforeAll(async () => {
  v4 = await startWebhookReceiver();
  // A listener on ::1 too, where the machine has IPv6 loopback.
  v6 = await startWebhookReceiver({ host: '::1' }).catch(() => null);
});
afterAll(async () => {
  await v4?.close();
  await v6?.close();
});
const extra: WebhookReceiver[] = [];
afterEach(async () => {
  await Promise.all(extra.splice(0).map((r) => r.close()));
});

describe('the SSRF table: refused, with a clear reason, and nothing connects', () => {
  const cases: [name: string, url: () => string, reason: RegExp, listener: () => WebhookReceiver | null, lookup?: Lookup][] = [
    ['127.0.0.1', () => `http://127.0.0.1:${v4.port}/hook`, /^refused: 127\.0\.0\.1 is a loopback address \(127\.0\.0\.0\/8\); allow it with DROPSCOPE_OUTBOUND_ALLOW$/, () => v4],
    ['[::1]', () => `http://[::1]:${v6?.port ?? 9}/hook`, /^refused: ::1 is a loopback address \(::1\/128\); allow it with DROPSCOPE_OUTBOUND_ALLOW$/, () => v6],
    ['169.254.169.254', () => 'http://169.254.169.254/latest/meta-data/iam/security-credentials/', /^refused: 169\.254\.169\.254 is a link-local address \(169\.254\.0\.0\/16\); allow it with DROPSCOPE_OUTBOUND_ALLOW$/, () => null],
    ['10.1.2.3', () => `http://10.1.2.3:${v4.port}/hook`, /^refused: 10\.1\.2\.3 is a private \(RFC 1918\) address \(10\.0\.0\.0\/8\); allow it with DROPSCOPE_OUTBOUND_ALLOW$/, () => null],
    ['[::ffff:127.0.0.1]', () => `http://[::ffff:127.0.0.1]:${v4.port}/hook`, /^refused: ::ffff:7f00:1 is a loopback address \(127\.0\.0\.0\/8\); allow it with DROPSCOPE_OUTBOUND_ALLOW$/, () => v4],
    ['[::ffff:7f00:1]', () => `http://[::ffff:7f00:1]:${v4.port}/hook`, /^refused: ::ffff:7f00:1 is a loopback address/, () => v4],
    ['localhost', () => `http://localhost:${v4.port}/hook`, /^refused: localhost resolves to 127\.0\.0\.1, a loopback address \(127\.0\.0\.0\/8\); allow it with DROPSCOPE_OUTBOUND_ALLOW$/, () => v4],
    ['2130706433 (127.0.0.1 in decimal)', () => `http://2130706433:${v4.port}/hook`, /^refused: 127\.0\.0\.1 is a loopback address/, () => v4],
    ['0.0.0.0 (this host)', () => `http://0.0.0.0:${v4.port}/hook`, /^refused: 0\.0\.0\.0 is an unspecified \("this host"\) address/, () => v4],
    ['a name that resolves to the metadata service', () => 'http://metadata.example/computeMetadata/v1/', /^refused: metadata\.example resolves to 169\.254\.169\.254, a link-local address/, () => null, async () => [{ address: '169.254.169.254', family: 4 }]],
    ['a name with a public and a loopback address', () => `http://mixed.example:${v4.port}/`, /^refused: mixed\.example resolves to 127\.0\.0\.1, a loopback address/, () => v4, async () => [{ address: '93.184.215.14', family: 4 }, { address: '127.0.0.1', family: 4 }]],
  ];

  it.each(cases)('%s', async (_name, url, reason, listener, lookup) => {
    const before = listener()?.connections ?? 0;
    const result = await attempt(url(), { allow: EMPTY_ALLOW_LIST, ...(lookup && { lookup }) });
    expect(result).toMatchObject({ ok: false, httpStatus: null, responseSnippet: null, error: expect.stringMatching(reason) });
    expect(sockets, 'a socket was opened').toEqual([]);
    expect(listener()?.connections ?? 0).toBe(before);
  });

  it('reaches those same listeners once the allow list names them: the refusals above were the guard', async () => {
    const allow = parseAllowList('127.0.0.1/32, ::1/128');
    const before = v4.received.length;
    for (const url of [`http://127.0.0.1:${v4.port}/hook`, `http://[::ffff:127.0.0.1]:${v4.port}/hook`, `http://localhost:${v4.port}/hook`]) {
      expect(await attempt(url, { allow }), url).toMatchObject({ ok: true, httpStatus: 200 });
    }
    expect(v4.received.length - before).toBe(3);
    if (v6) expect(await attempt(`http://[::1]:${v6.port}/hook`, { allow })).toMatchObject({ ok: true, httpStatus: 200 });
    expect(sockets.length).toBeGreaterThanOrEqual(3);
  });

  it('fails a redirect ("redirect not followed") and never reaches where it points', async () => {
    const second = await startWebhookReceiver();
    extra.push(second);
    const redirecting = await startWebhookReceiver({ redirectTo: `${second.url}/internal-admin` });
    extra.push(redirecting);
    const result = await attempt(`${redirecting.url}/hook`, { allow: parseAllowList('127.0.0.1/32') });
    expect(result).toMatchObject({ ok: false, httpStatus: 302, error: 'redirect not followed (HTTP 302)', responseSnippet: null });
    expect(redirecting.received).toHaveLength(1);
    expect(second.connections).toBe(0);
    expect(second.received).toEqual([]);
  });
});

describe('an allowed internal receiver', () => {
  it('receives a message signed with the real secret, and its answer is not kept', async () => {
    const result = await attempt(`${v4.url}/signed`, { allow: parseAllowList('127.0.0.1/32') });
    expect(result).toMatchObject({ ok: true, httpStatus: 200, error: null, responseSnippet: null });
    const got = v4.received.at(-1)!;
    expect(got.path).toBe('/signed');
    expect(got.body).toBe(body);
    expect(got.signature).toBe(expectedSignature(secret, got.id, got.timestamp, got.body));
    expect(() => new Webhook(secret).verify(got.body, { 'webhook-id': got.id, 'webhook-timestamp': String(got.timestamp), 'webhook-signature': got.signature })).not.toThrow();
  });

  it('keeps the status and a short reason of a failure, never the body', async () => {
    const down = await startWebhookReceiver();
    extra.push(down);
    await down.setMode('503');
    expect(await attempt(`${down.url}/x`, { allow: parseAllowList('127.0.0.1/32') })).toMatchObject({ ok: false, httpStatus: 503, responseSnippet: null, error: 'HTTP 503 (Service Unavailable)' });
  });

  it('tells a wrong key from a network failure, and sends nothing', async () => {
    const before = v4.connections;
    const result = await attempt(`${v4.url}/x`, { allow: parseAllowList('127.0.0.1/32') }, { key: generateSecretKey() });
    expect(result).toMatchObject({ ok: false, httpStatus: null, error: expect.stringMatching(/^cannot sign: the endpoint's secret does not decrypt: the secret key in use is not the one it was encrypted with/) });
    expect(result.error).not.toContain(secret);
    // A value that is not in the sealed form at all (never sealed, or cut short).
    const plain = await attemptDelivery({ url: `${v4.url}/x`, webhookId: WEBHOOK_ID, format: 'standard', sealedSecret: secret, messageId: 'msg_plain', body }, { now: new Date(), timeoutMs: 3000, key, outbound: { allow: parseAllowList('127.0.0.1/32') } });
    expect(plain.error).toBe("cannot sign: the endpoint's secret is damaged: the stored value is not in the v1:<iv>:<ciphertext> form (not encrypted)");
    expect(v4.connections).toBe(before);
  });

  it('gives up at the timeout, and names an unknown host', async () => {
    const silent: Server = createServer((s: Socket) => s.on('error', () => {}));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const port = (silent.address() as { port: number }).port;
      expect(await attempt(`http://127.0.0.1:${port}/`, { allow: parseAllowList('127.0.0.1/32') }, { timeoutMs: 300 })).toMatchObject({ ok: false, error: 'timeout after 300 ms' });
    } finally {
      silent.close();
    }
    const notFound: Lookup = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    expect(await attempt('https://nowhere.invalid/', { allow: EMPTY_ALLOW_LIST, lookup: notFound })).toMatchObject({ ok: false, error: 'cannot resolve nowhere.invalid: ENOTFOUND' });
  });

  it('lets each format\'s provider build the request: a PagerDuty key put in, Alertmanager\'s path, no secret needed there', async () => {
    const allow = parseAllowList('127.0.0.1/32');
    const routingKey = 'abcdefabcdefabcdefabcdefabcdef12';
    const pdSealed = sealWebhookSecret(key, WEBHOOK_ID, routingKey);
    const pd = await attemptDelivery({ url: `${v4.url}/v2/enqueue`, webhookId: WEBHOOK_ID, format: 'pagerduty', sealedSecret: pdSealed, messageId: 'msg_pd', body: '{"event_action":"resolve","dedup_key":"k"}' }, { now: new Date(), timeoutMs: 3000, key, outbound: { allow } });
    expect(pd).toMatchObject({ ok: true, httpStatus: 200 });
    let got = v4.received.at(-1)!;
    expect(got).toMatchObject({ path: '/v2/enqueue', signature: '' });
    expect(JSON.parse(got.body)).toEqual({ routing_key: routingKey, event_action: 'resolve', dedup_key: 'k' });

    const wrongKey = await attemptDelivery({ url: `${v4.url}/v2/enqueue`, webhookId: WEBHOOK_ID, format: 'pagerduty', sealedSecret: pdSealed, messageId: 'msg_pd2', body: '{}' }, { now: new Date(), timeoutMs: 3000, key: generateSecretKey(), outbound: { allow } });
    expect(wrongKey.error).toMatch(/^cannot open the endpoint's key: the endpoint's secret does not decrypt/);
    expect(wrongKey.error).not.toContain(routingKey);

    // Alertmanager: nothing to open (even a damaged value does not matter), the API path appended.
    const am = await attemptDelivery({ url: `${v4.url}/am/`, webhookId: WEBHOOK_ID, format: 'alertmanager', sealedSecret: 'not sealed', messageId: 'msg_am', body: '[]' }, { now: new Date(), timeoutMs: 3000, key, outbound: { allow } });
    expect(am).toMatchObject({ ok: true, httpStatus: 200 });
    got = v4.received.at(-1)!;
    expect(got).toMatchObject({ path: '/am/api/v2/alerts', body: '[]', signature: '' });

    // A stored body its provider cannot read is a reason, not a crash, and nothing is sent.
    const before = v4.received.length;
    const broken = await attemptDelivery({ url: `${v4.url}/v2/enqueue`, webhookId: WEBHOOK_ID, format: 'pagerduty', sealedSecret: pdSealed, messageId: 'msg_pd3', body: '[1]' }, { now: new Date(), timeoutMs: 3000, key, outbound: { allow } });
    expect(broken).toMatchObject({ ok: false, httpStatus: null, error: 'cannot build the request: a PagerDuty body is a JSON object' });
    expect(v4.received.length).toBe(before);
  });

  it('marks a 4xx permanent for PagerDuty, not for Standard Webhooks', async () => {
    const allow = parseAllowList('127.0.0.1/32');
    const { createServer: createHttp } = await import('node:http');
    const refusing = createHttp((_req, res) => res.writeHead(400).end('bad'));
    await new Promise<void>((r) => refusing.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(refusing.address() as { port: number }).port}/`;
      const pdSealed = sealWebhookSecret(key, WEBHOOK_ID, 'abcdefabcdefabcdefabcdefabcdef12');
      expect(await attemptDelivery({ url, webhookId: WEBHOOK_ID, format: 'pagerduty', sealedSecret: pdSealed, messageId: 'm1', body: '{}' }, { now: new Date(), timeoutMs: 3000, key, outbound: { allow } })).toMatchObject({ ok: false, httpStatus: 400, permanent: true });
      const std = await attempt(url, { allow });
      expect(std).toMatchObject({ ok: false, httpStatus: 400 });
      expect(std.permanent).toBeUndefined();
    } finally {
      refusing.closeAllConnections();
      refusing.close();
    }
  });
});
