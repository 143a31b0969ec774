/**
 * One delivery round: lease the due messages, POST each (in parallel, each bounded by the
 * request timeout) through the outbound guard, record every attempt and schedule the
 * retries. A re-send of a firing alert (db/queries/alerts-resend.ts) is checked once more
 * just before it goes: if its alert resolved or was silenced meanwhile it is given up
 * unsent, so a receiver never hears "firing" after "resolved" from a stale re-send.
 * What survives a restart is all in the outbox; this holds nothing between rounds.
 */
import type { Database } from '../../db/client';
import { RESEND_EVENT, resendStillWanted } from '../../db/queries/alerts-resend';
import { claimDueMessages, recordAttempt, supersedeMessage, type AttemptVerdict } from '../../db/queries/webhook-outbox';
import type { SecretKey } from '../../lib/crypto/secret-box';
import { attemptDelivery, type AttemptResult, type OutboundOptions } from '../../lib/webhooks/deliver';
import type { RetryPolicy } from '../../lib/webhooks/retry';
import type { Logger } from '../../lib/log';

export interface DeliveryOptions {
  policy: RetryPolicy;
  timeoutMs: number;
  /** Messages per round. */
  batch: number;
  /** Opens the endpoints' secrets to sign. */
  key: SecretKey;
  /** Where messages may go (DROPSCOPE_OUTBOUND_ALLOW) and the resolver. */
  outbound: OutboundOptions;
  log: Logger;
  now?: () => Date;
  onAttempt?: (result: AttemptResult, verdict: AttemptVerdict) => void;
}

const STALE_RESEND = 'superseded: the alert stopped firing (or was silenced) before this re-send went out';

/** Deliver what is due now; returns how many messages were attempted. */
export async function deliverDue(database: Database, options: DeliveryOptions): Promise<number> {
  const now = options.now ?? (() => new Date());
  // The lease outlives the attempt, so a slow receiver's row is not taken twice.
  const claimed = await claimDueMessages(database.db, now(), { limit: options.batch, leaseMs: options.timeoutMs + 30_000 });
  await Promise.all(
    claimed.map(async (message) => {
      if (message.eventType === RESEND_EVENT && !(await resendStillWanted(database.db, message.webhookId, message.messageId))) {
        await supersedeMessage(database.db, message.id, STALE_RESEND);
        options.log.debug({ messageId: message.messageId, webhookId: message.webhookId }, 'stale re-send given up unsent');
        return;
      }
      const startedAt = now();
      const result = await attemptDelivery(message, { now: startedAt, timeoutMs: options.timeoutMs, key: options.key, outbound: options.outbound });
      const verdict = await recordAttempt(database.db, message, result, startedAt, options.policy, now());
      options.onAttempt?.(result, verdict);
      // Ids only: a receiver's URL can carry its own secret (Slack puts it in the path).
      const fields = { messageId: message.messageId, webhookId: message.webhookId, attempt: message.attempts + 1, httpStatus: result.httpStatus, error: result.error, durationMs: result.durationMs };
      if (verdict === 'delivered') options.log.info(fields, 'webhook delivered');
      else if (verdict === 'gave_up') options.log.error(fields, result.permanent ? 'webhook refused by its receiver; not retried' : 'webhook given up after retrying');
      else if (verdict === 'failed') options.log.warn(fields, 'webhook test message failed (tests are not retried)');
      else options.log.warn(fields, 'webhook attempt failed; will retry');
    }),
  );
  return claimed.length;
}
