/**
 * What the endpoint form needs to know of each provider, without the providers themselves
 * (they use node:crypto; this module is imported by client components): the label, what
 * the secret is, what the URL means and its default. The providers take these fields from
 * here, so the form and the API cannot disagree.
 */
import type { WebhookFormat } from '../webhooks/endpoint';
import type { SecretKind } from './types';

export interface ReceiverForm {
  label: string;
  secret: SecretKind;
  urlHint: string;
  /** The URL used when the form leaves it empty. */
  defaultUrl?: string;
  /** A secret the user types in: the request field and what to type. */
  secretField?: { field: 'routingKey'; label: string; hint: string };
}

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

export const RECEIVER_FORMS: Readonly<Record<WebhookFormat, ReceiverForm>> = {
  standard: { label: 'Standard Webhooks JSON', secret: 'generated', urlHint: 'https://hooks.example.com/dropscope' },
  slack: { label: 'Slack ({"text"})', secret: 'generated', urlHint: 'https://hooks.slack.com/services/…' },
  pagerduty: {
    label: 'PagerDuty (Events API v2)',
    secret: 'required',
    urlHint: PAGERDUTY_EVENTS_URL,
    defaultUrl: PAGERDUTY_EVENTS_URL,
    secretField: { field: 'routingKey', label: 'routing key', hint: 'the integration key of an Events API v2 integration (32 characters)' },
  },
  alertmanager: { label: 'Prometheus Alertmanager', secret: 'none', urlHint: 'http://alertmanager.example:9093 (its base URL)' },
};

export interface EndpointDraft {
  name: string;
  url: string;
  format: WebhookFormat;
  routingKey: string;
}

/**
 * The POST body of the form: the URL left out when empty and the provider has a default,
 * the routing key sent only for the format that takes one (a key typed before switching
 * format is not sent elsewhere).
 */
export function endpointRequestBody(draft: EndpointDraft): Record<string, string> {
  const form = RECEIVER_FORMS[draft.format];
  const url = draft.url.trim();
  return {
    name: draft.name,
    format: draft.format,
    ...((url !== '' || form.defaultUrl === undefined) && { url }),
    ...(form.secretField && { [form.secretField.field]: draft.routingKey.trim() }),
  };
}

/** What the banner says once an endpoint is added: where its secret stands. */
export function addedMessage(name: string, format: WebhookFormat, secretShown: boolean): string {
  const form = RECEIVER_FORMS[format];
  if (form.secret === 'generated' && secretShown) return `Endpoint ${name} added. Its signing secret, shown this once:`;
  if (form.secret === 'required') return `Endpoint ${name} added. Its ${form.secretField?.label ?? 'secret'} is stored encrypted and will not be shown again.`;
  return `Endpoint ${name} added.`;
}

/** A provider's identifying fields, from its form entry. */
export function identity<F extends WebhookFormat>(format: F): { format: F; label: string; secret: SecretKind; urlHint: string; defaultUrl?: string } {
  const { label, secret, urlHint, defaultUrl } = RECEIVER_FORMS[format];
  return { format, label, secret, urlHint, ...(defaultUrl !== undefined && { defaultUrl }) };
}

/** A 4xx other than 408 and 429 refuses the message itself (Alertmanager's notifiers retry only 5xx and 429). */
export function refusesMessage(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}
