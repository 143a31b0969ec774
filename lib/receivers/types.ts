/**
 * One receiver provider per format (issue 19), behind one small interface, as Alertmanager's
 * notify/<integration> packages and Gatus' alerting/provider/<name> folders do: the provider
 * says what its endpoint's secret is, builds the body stored in the outbox (once, sent byte
 * for byte on every retry), and turns a stored body into the HTTP request of one attempt.
 *
 * The stored body never holds a secret: a PagerDuty routing key is put in by `request` at
 * send time, a Standard Webhooks signature is computed then. The outbox (and the delivery
 * history shown to viewers) can then be read without handing anyone a key.
 */
import type { z } from 'zod';
import type { AlertNotification } from '../alerts/notification';
import type { WebhookFormat } from '../webhooks/endpoint';

/**
 * What an endpoint's secret is:
 * - `generated`: the server makes one at creation and shows it once (a Standard Webhooks
 *   signing secret);
 * - `required`: the user gives it at creation (a PagerDuty routing key), never shown again;
 * - `none`: the provider needs none (Alertmanager's API is reached by URL alone).
 * Every secret is stored sealed (lib/webhooks/secret-at-rest.ts).
 */
export type SecretKind = 'generated' | 'required' | 'none';

/** What one attempt knows besides the stored body. */
export interface RequestContext {
  /** The endpoint's opened secret; null for a `none` provider. */
  secret: string | null;
  /** The outbox message's id: the same on every retry. */
  messageId: string;
  /** When this attempt is made. */
  now: Date;
}

export interface ReceiverRequest {
  /** Where to POST: the endpoint's URL, or a path under it (Alertmanager's /api/v2/alerts). */
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface Receiver {
  format: WebhookFormat;
  /** For people: the format picker and the endpoints table. */
  label: string;
  secret: SecretKind;
  /**
   * A `required` secret as the API takes it: the request field that carries it and its
   * schema (the error names the field).
   */
  secretInput?: { field: 'routingKey'; schema: z.ZodType<string>; hint: string };
  /** The URL used when the user gives none (PagerDuty's Events API). */
  defaultUrl?: string;
  /** What the URL field means for this provider, for the form. */
  urlHint: string;
  /** The body of an alert's firing or resolve, stored in the outbox. */
  alertBody(n: AlertNotification, at: Date): string;
  /** The body of "Send test"; it must page no one (see each provider). */
  testBody(endpointName: string, at: Date, dashboardUrl: string): string;
  /** The request of one attempt. Throws only for a stored body this provider did not write. */
  request(endpointUrl: string, storedBody: string, ctx: RequestContext): ReceiverRequest;
  /**
   * Whether an answer with this (non-2xx) status refuses the message itself, so trying it
   * again cannot help (as Alertmanager's notifiers treat a 4xx other than 429). Absent:
   * every failure is retried (Standard Webhooks and Slack, whose receivers may answer 4xx
   * while they are being set up).
   */
  permanentFailure?(status: number): boolean;
  /**
   * Receivers that expire an alert unless it is repeated (Alertmanager) get firing, notified,
   * unsilenced alerts re-sent this often (db/queries/alerts-resend.ts).
   */
  resendWhileFiringMs?: number;
}
