/** Our Standard Webhooks signatures, checked by hand (HMAC recomputed) and by the reference library. */
import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { generateMessageId, generateWebhookSecret, signWebhook, webhookHeaders } from '../../../lib/webhooks/signature';

describe('webhook signing', () => {
  it('makes whsec_ secrets of 32 random bytes and msg_ ids', () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(secret);
    expect(generateMessageId()).toMatch(/^msg_[A-Za-z0-9_-]{22}$/);
  });

  it('signs id.timestamp.body with HMAC-SHA256 of the decoded secret', () => {
    const secret = 'whsec_' + Buffer.from('0123456789abcdef0123456789abcdef').toString('base64');
    const body = '{"type":"alert.firing"}';
    const expected = createHmac('sha256', Buffer.from('0123456789abcdef0123456789abcdef')).update(`msg_1.1700000000.${body}`).digest('base64');
    expect(signWebhook(secret, 'msg_1', 1_700_000_000, body)).toBe(`v1,${expected}`);
  });

  it('matches the standardwebhooks reference implementation, which verifies our headers', () => {
    const secret = generateWebhookSecret();
    const at = new Date();
    const body = JSON.stringify({ type: 'alert.resolved', data: { labels: { proxy: 'squid' } } });
    const headers = webhookHeaders(secret, 'msg_abc', at, body);
    const reference = new Webhook(secret);
    expect(headers['webhook-signature']).toBe(reference.sign('msg_abc', new Date(Math.floor(at.getTime() / 1000) * 1000), body));
    expect(reference.verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => reference.verify(body + ' ', headers)).toThrow();
  });

  it('refuses a secret without the whsec_ prefix (a caller mistake)', () => {
    expect(() => signWebhook('abc', 'msg_1', 1, '')).toThrow(TypeError);
  });
});
