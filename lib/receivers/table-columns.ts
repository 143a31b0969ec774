/**
 * The columns the webhooks panel exports (CSV, JSON): the endpoints table and the latest
 * deliveries, with raw values (ISO instants, milliseconds), as the tables show them.
 */
import type { Delivery } from '../alerts/views';
import type { ExportColumn } from '../dashboard/table-export';
import type { WebhookFormat } from '../webhooks/endpoint';

/** An endpoint as the panel shows it: `url` is '' for viewers (a URL can hold a receiver's own secret). */
export interface EndpointRow {
  id: number;
  name: string;
  url: string;
  format: WebhookFormat;
  enabled: boolean;
}

export function endpointExportColumns(showUrl: boolean): ExportColumn<EndpointRow>[] {
  return [
    { header: 'endpoint', value: (w) => w.name },
    ...(showUrl ? [{ header: 'url', value: (w: EndpointRow) => w.url }] : []),
    { header: 'format', value: (w) => w.format },
    { header: 'enabled', value: (w) => w.enabled },
  ];
}

export function deliveryExportColumns(endpointName: (webhookId: number) => string): ExportColumn<Delivery>[] {
  return [
    { header: 'queued', value: (d) => d.createdAt },
    { header: 'endpoint', value: (d) => endpointName(d.webhookId) },
    { header: 'event', value: (d) => d.eventType },
    { header: 'status', value: (d) => d.status },
    { header: 'attempts', value: (d) => d.attempts },
    { header: 'last status', value: (d) => d.history[0]?.httpStatus ?? null },
    { header: 'last error', value: (d) => d.history[0]?.error ?? null },
    { header: 'last duration ms', value: (d) => d.history[0]?.durationMs ?? null },
    { header: 'next retry', value: (d) => d.nextAttemptAt },
    { header: 'webhook-id', value: (d) => d.messageId },
  ];
}
