/**
 * The webhooks panel rendered on the server (no browser): it offers the four formats,
 * shows endpoints and deliveries with CSV/JSON export and instants through <Instant>, and
 * hides URLs (and their export column) from viewers.
 */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { AppRouterContext } from 'next/dist/shared/lib/app-router-context.shared-runtime';
import { SearchParamsContext } from 'next/dist/shared/lib/hooks-client-context.shared-runtime';
import { describe, expect, it } from 'vitest';
import { WebhooksPanel } from '../../../components/alerts/webhooks-panel';
import type { Delivery } from '../../../lib/alerts/views';
import type { EndpointRow } from '../../../lib/receivers/table-columns';
import { textOf } from '../../app/render';

const router = { back() {}, forward() {}, refresh() {}, push() {}, replace() {}, prefetch() {} };
const render = (props: Parameters<typeof WebhooksPanel>[0], query = '') =>
  renderToStaticMarkup(
    createElement(AppRouterContext.Provider, { value: router as never }, createElement(SearchParamsContext.Provider, { value: new URLSearchParams(query) }, createElement(WebhooksPanel, props))),
  );

const webhooks: EndpointRow[] = [
  { id: 1, name: 'on-call', url: 'https://events.pagerduty.com/v2/enqueue', format: 'pagerduty', enabled: true },
  { id: 2, name: 'am', url: 'http://alertmanager.example:9093', format: 'alertmanager', enabled: true },
];
const deliveries: Delivery[] = [
  { id: 9, messageId: 'amr_2_1_0123456789abcdef0123456789abcdef_3', webhookId: 2, eventType: 'alert.resend', body: '[]', status: 'delivered', createdAt: '2026-12-01T10:00:00.000Z', attempts: 1, nextAttemptAt: null, deliveredAt: '2026-12-01T10:00:00.200Z', lastError: null, history: [{ startedAt: '2026-12-01T10:00:00.100Z', durationMs: 8, httpStatus: 200, ok: true, responseSnippet: null, error: null }] },
];

describe('the webhooks panel', () => {
  it('offers the four formats to an editor, with the endpoints, deliveries, exports and instants', () => {
    const html = render({ webhooks, deliveries, canEdit: true });
    for (const f of ['standard', 'slack', 'pagerduty', 'alertmanager']) expect(html).toContain(`<option value="${f}"`);
    const text = textOf(html);
    expect(text).toContain('PagerDuty (Events API v2)');
    expect(text).toContain('Prometheus Alertmanager');
    expect(html).toContain('https://events.pagerduty.com/v2/enqueue');
    expect(html).toContain('aria-label="Export webhook-endpoints"');
    expect(html).toContain('aria-label="Export webhook-deliveries"');
    expect(html).toContain('<time dateTime="2026-12-01T10:00:00.000Z"');
    expect(text).toContain('2026-12-01 10:00:00');
    expect(html).toContain('data-format="alertmanager"');
    expect(html).toContain('aria-label="New webhook endpoint"');
    // The default format (standard) asks for no routing key.
    expect(html).not.toContain('name="routingKey"');
  });

  it('shows viewers no URL and no form', () => {
    const html = render({ webhooks: webhooks.map((w) => ({ ...w, url: '' })), deliveries, canEdit: false });
    expect(html).not.toContain('events.pagerduty.com');
    expect(html).not.toContain('alertmanager.example');
    expect(textOf(html)).toContain('shown to editors');
    expect(html).not.toContain('aria-label="New webhook endpoint"');
  });
});
