/**
 * Webhook endpoints as the API takes them: a name, an http(s) URL, the payload format and,
 * for a provider whose secret the user gives (PagerDuty), that secret. What each format
 * requires is checked by its provider (lib/receivers/index.ts webhookCreateSchema); a
 * generated secret (Standard Webhooks) is made by the server and shown once, in the answer
 * to POST. db/schema.ts imports this module: it stays free of the providers.
 */
import { z } from 'zod';

/** One per receiver provider (lib/receivers/<format>/). */
export const WEBHOOK_FORMATS = ['standard', 'slack', 'pagerduty', 'alertmanager'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

export const webhookUrlSchema = z
  .string()
  .max(2048)
  .refine((u) => {
    try {
      const p = new URL(u);
      return (p.protocol === 'http:' || p.protocol === 'https:') && p.username === '' && p.password === '';
    } catch {
      return false;
    }
  }, 'expected an http:// or https:// URL without credentials');

/** The fields as sent; the provider's checks come after (lib/receivers/index.ts). */
export const webhookFieldsSchema = z.strictObject({
  name: z.string().trim().min(1, 'expected a name').max(100),
  /** May be left out when the provider has a default (PagerDuty's Events API). */
  url: webhookUrlSchema.optional(),
  format: z.enum(WEBHOOK_FORMATS).default('standard'),
  enabled: z.boolean().default(true),
  /** PagerDuty's integration key; never stored in plaintext, never shown again. */
  routingKey: z.string().max(256).optional(),
});

/** An endpoint as the database takes it (after the provider's checks). */
export interface WebhookInput {
  name: string;
  url: string;
  format: WebhookFormat;
  enabled: boolean;
  /** A secret the user gave (a PagerDuty routing key); absent for generated and secret-less formats. */
  secret?: string;
}
