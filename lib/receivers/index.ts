/**
 * The receiver providers by format, and the endpoint input schemas they shape: which
 * secret an endpoint has, whether its URL may be left out, is decided per provider here,
 * not in the routes.
 */
import { z } from 'zod';
import { WEBHOOK_FORMATS, webhookFieldsSchema, type WebhookFormat, type WebhookInput } from '../webhooks/endpoint';
import { alertmanagerReceiver } from './alertmanager';
import { pagerdutyReceiver } from './pagerduty';
import { slackReceiver } from './slack';
import { standardReceiver } from './standard';
import type { Receiver } from './types';

export type { Receiver, ReceiverRequest, RequestContext, SecretKind } from './types';

export const RECEIVERS: Readonly<Record<WebhookFormat, Receiver>> = {
  standard: standardReceiver,
  slack: slackReceiver,
  pagerduty: pagerdutyReceiver,
  alertmanager: alertmanagerReceiver,
};

/** The provider of `format`; throws TypeError for a format no provider serves. */
export function receiverFor(format: WebhookFormat): Receiver {
  const r = (RECEIVERS as Record<string, Receiver | undefined>)[format];
  if (!r) throw new TypeError(`no receiver for format "${format}"`);
  return r;
}

/** The formats, in the order the form offers them. */
export const RECEIVER_LIST: readonly Receiver[] = WEBHOOK_FORMATS.map((f) => RECEIVERS[f]);

type Fields = z.output<typeof webhookFieldsSchema>;

/**
 * Check what only the provider knows; `creating` requires a `required` secret (on update it
 * may be left out to keep the stored one).
 */
function checkAgainstProvider(v: Fields, ctx: z.RefinementCtx, creating: boolean): void {
  // Only reached with a valid format (zod skips refinements after a failed enum); defensive all the same.
  const r = (RECEIVERS as Record<string, Receiver | undefined>)[v.format];
  if (!r) return;
  if (v.url === undefined && r.defaultUrl === undefined) ctx.addIssue({ code: 'custom', path: ['url'], message: `expected a URL (${r.urlHint})` });
  if (v.routingKey !== undefined && r.secretInput?.field !== 'routingKey') {
    ctx.addIssue({ code: 'custom', path: ['routingKey'], message: `only the pagerduty format takes a routing key, not ${v.format}` });
  }
  if (r.secretInput) {
    const given = v[r.secretInput.field];
    if (given === undefined) {
      if (creating) ctx.addIssue({ code: 'custom', path: [r.secretInput.field], message: `expected ${r.secretInput.hint}` });
    } else {
      const ok = r.secretInput.schema.safeParse(given);
      if (!ok.success) ctx.addIssue({ code: 'custom', path: [r.secretInput.field], message: ok.error.issues[0]?.message ?? 'invalid' });
    }
  }
}

function toInput(v: Fields): WebhookInput {
  const r = receiverFor(v.format);
  const secret = r.secretInput ? v[r.secretInput.field] : undefined;
  return { name: v.name, url: v.url ?? r.defaultUrl!, format: v.format, enabled: v.enabled, ...(secret !== undefined && { secret }) };
}

/** POST /api/v1/webhooks. */
export const webhookCreateSchema = webhookFieldsSchema.superRefine((v, ctx) => checkAgainstProvider(v, ctx, true)).transform(toInput);
/** PUT /api/v1/webhooks/:id: a `required` secret may be left out to keep the stored one. */
export const webhookUpdateSchema = webhookFieldsSchema.superRefine((v, ctx) => checkAgainstProvider(v, ctx, false)).transform(toInput);
