/**
 * Webhook signing secrets as stored: sealed (lib/crypto/secret-box.ts) with the endpoint's
 * id as associated data, so a secret copied to another endpoint's row does not open. The
 * plaintext exists in two places only: the answer to the POST that created the endpoint,
 * and the moment a message is signed (lib/webhooks/deliver.ts).
 */
import { open, seal, type SecretKey } from '../crypto/secret-box';

/** The associated data of endpoint `webhookId`'s secret. */
export function webhookSecretContext(webhookId: number): string {
  return `dropscope:webhook_endpoints.secret:${webhookId}`;
}

export function sealWebhookSecret(key: SecretKey, webhookId: number, secret: string): string {
  return seal(key, secret, webhookSecretContext(webhookId));
}

/** Throws SecretBoxError (CRYPTO_ERR_FORMAT, CRYPTO_ERR_OPEN); its message holds no secret. */
export function openWebhookSecret(key: SecretKey, webhookId: number, stored: string): string {
  return open(key, stored, webhookSecretContext(webhookId));
}
