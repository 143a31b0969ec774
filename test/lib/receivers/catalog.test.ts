/**
 * The endpoint form's pure parts: the request body per format (the URL left out only where
 * the provider has a default; a routing key sent only to PagerDuty), the banner after
 * adding, the providers agreeing with the form's catalogue, and the export columns of the
 * panel's two tables.
 */
import { describe, expect, it } from 'vitest';
import { toCsv, toJson } from '../../../lib/dashboard/table-export';
import { RECEIVERS, webhookCreateSchema } from '../../../lib/receivers';
import { addedMessage, endpointRequestBody, RECEIVER_FORMS } from '../../../lib/receivers/catalog';
import { deliveryExportColumns, endpointExportColumns } from '../../../lib/receivers/table-columns';
import { WEBHOOK_FORMATS } from '../../../lib/webhooks/endpoint';
import type { Delivery } from '../../../lib/alerts/views';

const KEY = '0123456789abcdef0123456789abcdef';

describe('the endpoint form', () => {
  it('sends what each format needs, and the API takes it', () => {
    expect(endpointRequestBody({ name: 'pd', url: '', format: 'pagerduty', routingKey: ` ${KEY} ` })).toEqual({ name: 'pd', format: 'pagerduty', routingKey: KEY });
    expect(endpointRequestBody({ name: 'am', url: ' http://am:9093 ', format: 'alertmanager', routingKey: KEY })).toEqual({ name: 'am', format: 'alertmanager', url: 'http://am:9093' });
    // An empty URL where there is no default is sent, so the API names the field.
    expect(endpointRequestBody({ name: 's', url: '', format: 'standard', routingKey: '' })).toEqual({ name: 's', format: 'standard', url: '' });
    expect(webhookCreateSchema.safeParse(endpointRequestBody({ name: 'pd', url: '', format: 'pagerduty', routingKey: KEY })).success).toBe(true);
    expect(webhookCreateSchema.safeParse(endpointRequestBody({ name: 'am', url: 'http://am.example:9093', format: 'alertmanager', routingKey: KEY })).success).toBe(true);
    expect(webhookCreateSchema.safeParse(endpointRequestBody({ name: 's', url: '', format: 'slack', routingKey: '' })).error?.issues[0]?.path).toEqual(['url']);
  });

  it('says where the secret stands once added', () => {
    expect(addedMessage('a', 'standard', true)).toBe('Endpoint a added. Its signing secret, shown this once:');
    expect(addedMessage('p', 'pagerduty', false)).toBe('Endpoint p added. Its routing key is stored encrypted and will not be shown again.');
    expect(addedMessage('m', 'alertmanager', false)).toBe('Endpoint m added.');
  });

  it('agrees with the providers on label, secret, URL hint and default', () => {
    for (const f of WEBHOOK_FORMATS) {
      const r = RECEIVERS[f];
      expect({ label: r.label, secret: r.secret, urlHint: r.urlHint, defaultUrl: r.defaultUrl }).toEqual({ label: RECEIVER_FORMS[f].label, secret: RECEIVER_FORMS[f].secret, urlHint: RECEIVER_FORMS[f].urlHint, defaultUrl: RECEIVER_FORMS[f].defaultUrl });
      expect(r.secretInput?.field).toBe(RECEIVER_FORMS[f].secretField?.field);
    }
  });
});

describe('the panel\'s exports', () => {
  const endpoints = [{ id: 1, name: 'on-call', url: 'https://events.pagerduty.com/v2/enqueue', format: 'pagerduty' as const, enabled: true }];
  it('leaves the URL column out for viewers', () => {
    expect(toCsv(endpointExportColumns(true), endpoints)).toBe('endpoint,url,format,enabled\r\non-call,https://events.pagerduty.com/v2/enqueue,pagerduty,true\r\n');
    expect(toCsv(endpointExportColumns(false), endpoints)).toBe('endpoint,format,enabled\r\non-call,pagerduty,true\r\n');
  });
  it('exports deliveries with raw instants, the last attempt and the endpoint\'s name', () => {
    const d: Delivery = {
      id: 5, messageId: 'amr_1_2_abc_3', webhookId: 1, eventType: 'alert.resend', body: '[]', status: 'pending', createdAt: '2026-12-01T10:00:00.000Z', attempts: 1,
      nextAttemptAt: '2026-12-01T10:00:05.000Z', deliveredAt: null, lastError: 'HTTP 503', history: [{ startedAt: '2026-12-01T10:00:00.100Z', durationMs: 12.5, httpStatus: 503, ok: false, responseSnippet: null, error: 'HTTP 503 (Service Unavailable)' }],
    };
    expect(JSON.parse(toJson(deliveryExportColumns((id) => (id === 1 ? 'on-call' : '?')), [d]))).toEqual([
      { queued: '2026-12-01T10:00:00.000Z', endpoint: 'on-call', event: 'alert.resend', status: 'pending', attempts: 1, 'last status': 503, 'last error': 'HTTP 503 (Service Unavailable)', 'last duration ms': 12.5, 'next retry': '2026-12-01T10:00:05.000Z', 'webhook-id': 'amr_1_2_abc_3' },
    ]);
  });
});
