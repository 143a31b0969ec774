/**
 * Alert and webhook series on the server's /metrics. Label values are fixed small sets
 * (severity, result class), never rule names or URLs, so cardinality stays bounded.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Database } from '../../db/client';
import { firingBySeverity } from '../../db/queries/alerts-history';
import { outboxDepth } from '../../db/queries/webhook-outbox';
import type { AttemptVerdict } from '../../db/queries/webhook-outbox';
import type { Logger } from '../../lib/log';
import type { AttemptResult } from '../../lib/webhooks/deliver';

export interface AlertMetrics {
  evaluation(result: 'ok' | 'error', seconds: number, transitions: number): void;
  attempt(result: AttemptResult, verdict: AttemptVerdict): void;
}

/** Why an attempt failed, as a bounded label. */
export function failureReason(r: AttemptResult): string {
  if (r.httpStatus !== null) return `${Math.floor(r.httpStatus / 100)}xx`;
  return r.error?.startsWith('timeout') ? 'timeout' : 'network';
}

export function registerAlertMetrics(registry: Registry, database: Database, log: Logger): AlertMetrics {
  const evaluations = new Counter({ name: 'dropscope_alert_evaluations_total', help: 'Alert evaluation rounds by result.', labelNames: ['result'], registers: [registry] });
  const evalSeconds = new Histogram({ name: 'dropscope_alert_evaluation_duration_seconds', help: 'Time to evaluate every enabled rule once.', buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry] });
  const transitions = new Counter({ name: 'dropscope_alert_transitions_total', help: 'Alert state changes written.', registers: [registry] });
  const delivered = new Counter({ name: 'dropscope_webhook_deliveries_total', help: 'Webhook messages delivered (2xx).', registers: [registry] });
  const failures = new Counter({ name: 'dropscope_webhook_delivery_failures_total', help: 'Failed webhook attempts by reason: the HTTP status class, timeout, or network.', labelNames: ['reason'], registers: [registry] });
  const gaveUp = new Counter({ name: 'dropscope_webhook_gave_up_total', help: 'Webhook messages abandoned after retrying for the give-up age.', registers: [registry] });

  new Gauge({
    name: 'dropscope_webhook_outbox_depth',
    help: 'Webhook messages waiting for delivery, including those between retries.',
    registers: [registry],
    async collect() {
      try {
        this.set(await outboxDepth(database.db));
      } catch (err) {
        log.error({ err }, 'reading the outbox depth for /metrics failed');
      }
    },
  });
  new Gauge({
    name: 'dropscope_alerts_firing',
    help: 'Alerts firing now, by severity.',
    labelNames: ['severity'],
    registers: [registry],
    async collect() {
      try {
        for (const [severity, n] of Object.entries(await firingBySeverity(database.db))) this.set({ severity }, n);
      } catch (err) {
        log.error({ err }, 'reading firing alerts for /metrics failed');
      }
    },
  });

  return {
    evaluation(result, seconds, n) {
      evaluations.inc({ result });
      evalSeconds.observe(seconds);
      if (n > 0) transitions.inc(n);
    },
    attempt(result, verdict) {
      if (result.ok) delivered.inc();
      else failures.inc({ reason: failureReason(result) });
      if (verdict === 'gave_up') gaveUp.inc();
    },
  };
}
