/**
 * PagerDuty Events API v2 (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/):
 * a trigger when an alert fires and a resolve when it resolves, both with one `dedup_key`
 * per alert (rule id + label set), so PagerDuty folds them into one incident.
 *
 * The endpoint's secret is the integration's routing key, given by the user (32
 * characters) and stored sealed. The stored body is the event WITHOUT `routing_key`; the
 * key is put in at send time by `request`, so neither the outbox nor the delivery history
 * ever holds it. As Alertmanager's notify/pagerduty does, the summary is cut to PagerDuty's
 * 1024 characters and our severities map onto PagerDuty's.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { labelsKey } from '../../alerts/observation';
import type { AlertNotification } from '../../alerts/notification';
import type { Severity } from '../../alerts/rule';
import { identity, RECEIVER_FORMS, refusesMessage } from '../catalog';
import type { Receiver } from '../types';

export { PAGERDUTY_EVENTS_URL } from '../catalog';
/** PagerDuty refuses a longer `payload.summary`. */
export const SUMMARY_MAX = 1024;

export type PagerDutySeverity = 'critical' | 'error' | 'warning' | 'info';
/** Ours onto PagerDuty's four (there is no dropscope severity for `error`). */
export const SEVERITY_MAP: Record<Severity, PagerDutySeverity> = { critical: 'critical', warning: 'warning', info: 'info' };

export const routingKeySchema = z.string().regex(/^[A-Za-z0-9]{32}$/, 'expected the 32-character integration key of a PagerDuty Events API v2 integration');

/**
 * One key per alert, the same for its trigger and its resolve and across restarts:
 * `dropscope/<rule id>/<first 20 hex of sha256 of the sorted label set>`.
 */
export function dedupKey(ruleId: number, labels: Record<string, string>): string {
  return `dropscope/${ruleId}/${createHash('sha256').update(labelsKey(labels)).digest('hex').slice(0, 20)}`;
}

/** `s` cut to `max` characters, ending in "…" when cut. */
export function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

function triggerEvent(n: AlertNotification, at: Date): Record<string, unknown> {
  const dashboard = new URL(n.url);
  return {
    event_action: 'trigger',
    dedup_key: dedupKey(n.rule.id, n.labels),
    payload: {
      summary: truncate(n.summary, SUMMARY_MAX),
      // The affected system: the proxy (a layer on the path), else the target, else the probe;
      // a rule without grouping names the dashboard that watches it.
      source: n.labels.proxy ?? n.labels.target ?? n.labels.probe ?? dashboard.host,
      severity: SEVERITY_MAP[n.rule.severity],
      timestamp: n.startsAt,
      ...(n.labels.proxy !== undefined && { component: n.labels.proxy }),
      ...(n.labels.target !== undefined && { group: n.labels.target }),
      class: n.rule.kind,
      custom_details: {
        rule: n.rule.name,
        rule_id: n.rule.id,
        labels: n.labels,
        value: n.value,
        threshold: n.threshold,
        starts_at: n.startsAt,
        sent_at: at.toISOString(),
        ...(n.quorum && { quorum: n.quorum }),
        evidence: n.evidence,
      },
    },
    links: [{ href: n.url, text: 'Open in dropscope' }],
    client: 'dropscope',
    client_url: n.url,
  };
}

export const pagerdutyReceiver: Receiver = {
  ...identity('pagerduty'),
  // PagerDuty answers 400 for an invalid event and 429 when rate limited; Alertmanager 400 for alerts it cannot take.
  permanentFailure: refusesMessage,
  secretInput: { field: 'routingKey', schema: routingKeySchema, hint: RECEIVER_FORMS.pagerduty.secretField!.hint },
  alertBody(n, at) {
    // A resolve carries only what PagerDuty reads of it (plus the key at send time).
    if (n.status === 'resolved') return JSON.stringify({ event_action: 'resolve', dedup_key: dedupKey(n.rule.id, n.labels) });
    return JSON.stringify(triggerEvent(n, at));
  },
  // A resolve for a key no incident has: PagerDuty checks the routing key and answers 202,
  // and no one is paged by a test (a trigger would open a real incident).
  testBody: (endpointName, at) =>
    JSON.stringify({ event_action: 'resolve', dedup_key: `dropscope/test/${createHash('sha256').update(endpointName).digest('hex').slice(0, 12)}/${at.getTime()}` }),
  request(endpointUrl, storedBody, ctx) {
    if (ctx.secret === null) throw new TypeError('a PagerDuty endpoint needs its routing key');
    const event: unknown = JSON.parse(storedBody);
    if (typeof event !== 'object' || event === null || Array.isArray(event)) throw new TypeError('a PagerDuty body is a JSON object');
    return { url: endpointUrl, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ routing_key: ctx.secret, ...event }) };
  },
};
