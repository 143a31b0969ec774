/**
 * The registry and the endpoint schemas it shapes: a provider for every format the database
 * knows; Standard Webhooks and Slack bodies as before issue 19 (receivers rely on them);
 * a signed request for the signing formats; per-format requirements with the field named.
 */
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { notificationBody, testBody } from '../../../lib/alerts/notification';
import { RECEIVER_LIST, receiverFor, RECEIVERS, webhookCreateSchema, webhookUpdateSchema } from '../../../lib/receivers';
import { PAGERDUTY_EVENTS_URL } from '../../../lib/receivers/pagerduty';
import { WEBHOOK_FORMATS } from '../../../lib/webhooks/endpoint';
import { generateWebhookSecret } from '../../../lib/webhooks/signature';
import { AT, firing } from './fixtures';

const KEY = 'abcdefabcdefabcdefabcdefabcdef12';
const issues = (r: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) => (r.error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);

describe('the registry', () => {
  it('has one provider per format, each naming its own format', () => {
    expect(Object.keys(RECEIVERS).sort()).toEqual([...WEBHOOK_FORMATS].sort());
    expect(RECEIVER_LIST.map((r) => r.format)).toEqual([...WEBHOOK_FORMATS]);
    for (const f of WEBHOOK_FORMATS) expect(receiverFor(f).format).toBe(f);
    expect(() => receiverFor('teams' as never)).toThrow(TypeError);
    expect(RECEIVERS.pagerduty.secret).toBe('required');
    expect(RECEIVERS.alertmanager.secret).toBe('none');
    expect(RECEIVERS.standard.secret).toBe('generated');
  });

  it('retries every failure of Standard and Slack; PagerDuty and Alertmanager give up on a 4xx but 408 and 429', () => {
    for (const f of ['standard', 'slack'] as const) expect(receiverFor(f).permanentFailure).toBeUndefined();
    for (const f of ['pagerduty', 'alertmanager'] as const) {
      const permanent = receiverFor(f).permanentFailure!;
      expect([400, 401, 403, 404, 413, 422].map(permanent)).toEqual([true, true, true, true, true, true]);
      expect([408, 429, 500, 502, 503, 302].map(permanent)).toEqual([false, false, false, false, false, false]);
    }
  });

  it('keeps the Standard Webhooks and Slack bodies of before', () => {
    const n = firing();
    expect(JSON.parse(notificationBody('standard', n, AT))).toEqual({ type: 'alert.firing', timestamp: AT.toISOString(), data: n });
    expect(JSON.parse(notificationBody('slack', n, AT))).toEqual({ text: `${n.summary}\n<${n.url}|Open in dropscope>` });
    expect(JSON.parse(testBody('standard', 'ops', AT, 'https://d.test'))).toEqual({ type: 'webhook.test', timestamp: AT.toISOString(), data: { endpoint: 'ops', message: 'dropscope test delivery to ops: webhooks from this dashboard reach you.', url: 'https://d.test' } });
    expect(JSON.parse(testBody('slack', 'ops', AT, 'https://d.test')).text).toMatch(/^dropscope test delivery to ops: .*\n<https:\/\/d\.test\|Open in dropscope>$/);
    // Every format delegates: what notificationBody gives is the provider's body.
    for (const f of WEBHOOK_FORMATS) expect(notificationBody(f, n, AT)).toBe(receiverFor(f).alertBody(n, AT));
  });

  it('signs a Standard Webhooks request with the endpoint\'s secret, verifiable by the reference library', () => {
    const secret = generateWebhookSecret();
    const body = notificationBody('standard', firing(), AT);
    // The signature covers the attempt's instant, which the library checks against its clock.
    const now = new Date();
    const req = receiverFor('standard').request('https://h.test/x', body, { secret, messageId: 'msg_1', now });
    expect(req.url).toBe('https://h.test/x');
    expect(req.body).toBe(body);
    expect(() => new Webhook(secret).verify(req.body, req.headers)).not.toThrow();
    expect(req.headers['webhook-id']).toBe('msg_1');
    expect(() => new Webhook(generateWebhookSecret()).verify(req.body, req.headers)).toThrow();
    expect(() => receiverFor('standard').request('https://h.test/x', body, { secret: null, messageId: 'm', now: AT })).toThrow(TypeError);
  });
});

describe('endpoint schemas per provider', () => {
  it('pagerduty: requires a 32-character routingKey, named; fills the Events API URL when none is given', () => {
    expect(issues(webhookCreateSchema.safeParse({ name: 'pd', format: 'pagerduty' }))).toEqual(['routingKey: expected the integration key of an Events API v2 integration (32 characters)']);
    expect(issues(webhookCreateSchema.safeParse({ name: 'pd', format: 'pagerduty', routingKey: 'short' }))).toEqual(['routingKey: expected the 32-character integration key of a PagerDuty Events API v2 integration']);
    expect(issues(webhookCreateSchema.safeParse({ name: 'pd', format: 'pagerduty', routingKey: `${KEY.slice(1)}!` }))).toHaveLength(1);
    expect(webhookCreateSchema.parse({ name: 'pd', format: 'pagerduty', routingKey: KEY })).toEqual({ name: 'pd', url: PAGERDUTY_EVENTS_URL, format: 'pagerduty', enabled: true, secret: KEY });
    expect(webhookCreateSchema.parse({ name: 'pd', format: 'pagerduty', routingKey: KEY, url: 'http://pd.internal/v2/enqueue' }).url).toBe('http://pd.internal/v2/enqueue');
    // On update the stored key may stay.
    expect(webhookUpdateSchema.parse({ name: 'pd', format: 'pagerduty' })).toEqual({ name: 'pd', url: PAGERDUTY_EVENTS_URL, format: 'pagerduty', enabled: true });
  });

  it('other formats: a URL is required and a routingKey is refused, both named', () => {
    expect(issues(webhookCreateSchema.safeParse({ name: 'am', format: 'alertmanager' }))).toEqual(['url: expected a URL (http://alertmanager.example:9093 (its base URL))']);
    expect(issues(webhookCreateSchema.safeParse({ name: 's', url: 'https://h.test/x', routingKey: KEY }))).toEqual(['routingKey: only the pagerduty format takes a routing key, not standard']);
    expect(issues(webhookCreateSchema.safeParse({ name: 's', url: 'ftp://h.test/x' }))[0]).toMatch(/^url: expected an http/);
    expect(issues(webhookCreateSchema.safeParse({ name: 's', url: 'https://h.test/x', secret: 'x' }))[0]).toMatch(/secret|Unrecognized/);
    expect(webhookCreateSchema.parse({ name: 'am', format: 'alertmanager', url: 'http://am.test:9093' })).toEqual({ name: 'am', url: 'http://am.test:9093', format: 'alertmanager', enabled: true });
    expect(webhookCreateSchema.parse({ name: ' s ', url: 'https://h.test/x' })).toEqual({ name: 's', url: 'https://h.test/x', format: 'standard', enabled: true });
  });
});
