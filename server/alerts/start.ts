/**
 * The alert machinery in the server process: the evaluator on its cadence and the webhook
 * deliverer polling the outbox (and woken at once when an evaluation or "send test" queued
 * messages). Each delivery round first queues the re-sends of firing alerts that receivers
 * like Alertmanager need (db/queries/alerts-resend.ts). All of it only reads and writes the
 * database, so stopping at any point and starting again later loses nothing.
 */
import type { Database } from '../../db/client';
import type { Layer } from '../../lib/analysis/catalogue';
import { installAlertRuntime } from '../../lib/alerts/runtime';
import type { SecretKey } from '../../lib/crypto/secret-box';
import { moduleLogger, type Logger } from '../../lib/log';
import type { OutboundAllowList } from '../../lib/net/allow-list';
import type { RetryPolicy } from '../../lib/webhooks/retry';
import { queueResends } from '../../db/queries/alerts-resend';
import { pruneDeliveries } from '../../db/queries/webhook-outbox';
import { deliverDue } from './deliver';
import { evaluateRules } from './evaluate';
import { startLoop } from './loop';
import type { AlertMetrics } from './metrics';

/** The drop analysis behind signature rules runs at most this often per rule. */
export const SIGNATURE_EVERY_MS = 60_000;
const DELIVERY_BATCH = 10;
/** Re-sends queued per round at most (the rest next round). */
const RESEND_BATCH = 50;
/** Delivered and given-up messages are kept this long for the dashboard, then pruned hourly. */
export const DELIVERY_RETENTION_MS = 30 * 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;

export interface AlertOptions {
  database: Database;
  publicUrl: string;
  layers: readonly Layer[];
  intervalMs: number;
  pollMs: number;
  timeoutMs: number;
  policy: RetryPolicy;
  /** Opens webhook secrets to sign (server/secret-key.ts). */
  secretKey: SecretKey;
  /** DROPSCOPE_OUTBOUND_ALLOW: the internal addresses webhooks may reach. */
  outboundAllow: OutboundAllowList;
  metrics: AlertMetrics;
  log: Logger;
}

export function startAlerts(options: AlertOptions): { close(): Promise<void> } {
  const { database, log } = options;
  const deliverLog = moduleLogger(log, 'webhooks');
  const evalLog = moduleLogger(log, 'alerts');
  let prunedAt = 0;
  const delivery = startLoop(async () => {
    try {
      if (Date.now() - prunedAt >= PRUNE_EVERY_MS) {
        prunedAt = Date.now();
        const pruned = await pruneDeliveries(database.db, new Date(prunedAt - DELIVERY_RETENTION_MS));
        if (pruned > 0) deliverLog.info({ pruned }, 'old webhook deliveries pruned');
      }
      const resent = await queueResends(database.db, { now: new Date(), publicUrl: options.publicUrl, batch: RESEND_BATCH });
      if (resent.queued > 0 || resent.superseded > 0) deliverLog.debug(resent, 'firing alerts re-sent to receivers that expire them');
      const n = await deliverDue(database, {
        policy: options.policy,
        timeoutMs: options.timeoutMs,
        batch: DELIVERY_BATCH,
        key: options.secretKey,
        outbound: { allow: options.outboundAllow },
        log: deliverLog,
        onAttempt: options.metrics.attempt,
      });
      return n === DELIVERY_BATCH;
    } catch (err) {
      deliverLog.error({ err }, 'webhook delivery round failed');
      return false;
    }
  }, options.pollMs);

  const signatureRuns = new Map<number, number>();
  const evaluation = startLoop(async () => {
    const started = performance.now();
    try {
      const s = await evaluateRules(database, { now: new Date(), publicUrl: options.publicUrl, layers: options.layers, log: evalLog, signatureRuns, signatureEveryMs: SIGNATURE_EVERY_MS });
      options.metrics.evaluation(s.failed > 0 ? 'error' : 'ok', (performance.now() - started) / 1000, s.transitions);
      if (s.transitions > 0) evalLog.info(s, 'alert states changed');
      if (s.messages > 0) delivery.kick();
    } catch (err) {
      options.metrics.evaluation('error', (performance.now() - started) / 1000, 0);
      evalLog.error({ err }, 'alert evaluation failed');
    }
  }, options.intervalMs);

  installAlertRuntime({ publicUrl: options.publicUrl, deliveryTimeoutMs: options.timeoutMs, nudgeDeliveries: () => delivery.kick() });
  return {
    async close() {
      installAlertRuntime(undefined);
      await evaluation.close();
      await delivery.close();
    },
  };
}
