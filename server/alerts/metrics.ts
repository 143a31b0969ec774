/**
 * Alert and webhook series on the server's /metrics. Label values are fixed small sets
 * (severity, status, result class, format), never URLs or alert labels; rule names appear
 * in one gauge only, bounded (past MAX_RULES they read "other"), because "which rule is
 * firing" is the first thing a dashboard is asked.
 */
import { count, eq, inArray, min, sql } from 'drizzle-orm';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Database } from '../../db/client';
import { alertRules, alertStates, webhookEndpoints, webhookOutbox } from '../../db/schema';
import { BoundedLabel } from '../../lib/metrics/bounded-labels';
import { firingBySeverity } from '../../db/queries/alerts-history';
import { outboxDepth } from '../../db/queries/webhook-outbox';
import type { AttemptVerdict } from '../../db/queries/webhook-outbox';
import type { Logger } from '../../lib/log';
import type { AttemptResult } from '../../lib/webhooks/deliver';
import { sharedRead } from '../metrics';

export interface AlertMetrics {
  evaluation(result: 'ok' | 'error', seconds: number, transitions: number): void;
  attempt(result: AttemptResult, verdict: AttemptVerdict): void;
}

/** Why an attempt failed, as a bounded label. */
export function failureReason(r: AttemptResult): string {
  if (r.httpStatus !== null) return `${Math.floor(r.httpStatus / 100)}xx`;
  return r.error?.startsWith('timeout') ? 'timeout' : 'network';
}

const MAX_RULES = 200;

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

  const rules = new BoundedLabel(MAX_RULES);
  new Gauge({
    name: 'dropscope_alerts',
    help: 'Alerts pending or firing now, by rule name, severity, status (pending, firing) and whether a silence mutes them (silenced: true, false).',
    labelNames: ['rule', 'severity', 'status', 'silenced'],
    registers: [registry],
    async collect() {
      try {
        // alert_states_status_idx: the pending and firing rows only.
        const rows = await database.db
          .select({ rule: alertRules.name, severity: alertRules.severity, status: alertStates.status, silenced: sql<boolean>`${alertStates.silencedBy} is not null`.mapWith(Boolean), n: count() })
          .from(alertStates)
          .innerJoin(alertRules, eq(alertRules.id, alertStates.ruleId))
          .where(inArray(alertStates.status, ['pending', 'firing']))
          .groupBy(alertRules.name, alertRules.severity, alertStates.status, sql`${alertStates.silencedBy} is not null`);
        this.reset();
        for (const r of rows) this.inc({ rule: rules.of(r.rule), severity: r.severity, status: r.status, silenced: String(r.silenced) }, r.n);
      } catch (err) {
        log.error({ err }, 'reading alert states for /metrics failed');
      }
    },
  });
  // One query feeds both outbox gauges of a scrape: pending messages by endpoint format
  // (webhook_outbox_due_idx covers the pending rows; delivered ones are never read).
  const pendingByFormat = sharedRead(async () => {
    try {
      return await database.db
        .select({ format: webhookEndpoints.format, n: count(), oldest: min(webhookOutbox.createdAt) })
        .from(webhookOutbox)
        .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookOutbox.webhookId))
        .where(eq(webhookOutbox.status, 'pending'))
        .groupBy(webhookEndpoints.format);
    } catch (err) {
      log.error({ err }, 'reading the outbox by format for /metrics failed');
      return null;
    }
  });
  new Gauge({
    name: 'dropscope_webhook_outbox_pending',
    help: 'Webhook messages waiting for delivery (including those between retries), by endpoint format.',
    labelNames: ['format'],
    registers: [registry],
    async collect() {
      const rows = await pendingByFormat();
      if (!rows) return;
      this.reset();
      for (const r of rows) this.set({ format: r.format }, r.n);
    },
  });
  new Gauge({
    name: 'dropscope_webhook_outbox_oldest_pending_timestamp_seconds',
    help: 'When the oldest message still waiting for delivery was created (seconds since the epoch), by endpoint format; absent when none waits. time() minus this is how late delivery runs.',
    labelNames: ['format'],
    registers: [registry],
    async collect() {
      const rows = await pendingByFormat();
      if (!rows) return;
      this.reset();
      for (const r of rows) if (r.oldest) this.set({ format: r.format }, new Date(r.oldest).getTime() / 1000);
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
