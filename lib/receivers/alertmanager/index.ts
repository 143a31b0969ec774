/**
 * Prometheus Alertmanager: its own API, `POST <base>/api/v2/alerts` with a JSON array of
 * `{labels, annotations, startsAt, endsAt, generatorURL}`, the way Prometheus sends them.
 *
 * Alertmanager forgets a firing alert at its `endsAt` unless it is sent again, as Prometheus
 * re-sends every firing alert (its resend delay, 1 min). So a firing is sent with
 * `endsAt = now + 4 × resend` and re-sent every `resendWhileFiringMs` while it fires
 * (db/queries/alerts-resend.ts): if dropscope dies, Alertmanager resolves the alert by
 * itself a few minutes later instead of paging forever. A resolve is the same alert with
 * `endsAt` = the resolve time. Alertmanager identifies an alert by its label set, so the
 * labels are exactly the same on every send: alertname (the rule's name), severity,
 * rule_id, kind and the alert's own labels (names made valid Prometheus label names:
 * `label:region` is sent as `label_region`).
 */
import type { AlertNotification } from '../../alerts/notification';
import { identity, refusesMessage } from '../catalog';
import type { Receiver } from '../types';

/** Prometheus' default resend delay. */
export const RESEND_MS = 60_000;
/** A firing's endsAt lies this many resends ahead (Prometheus uses 4 × max(resend, evaluation interval)). */
export const ENDS_AFTER_RESENDS = 4;
const ALERTS_PATH = '/api/v2/alerts';

/** A valid Prometheus label name: [a-zA-Z_][a-zA-Z0-9_]*. */
export function labelName(key: string): string {
  const cleaned = key.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[a-zA-Z_]/.test(cleaned) ? cleaned : `_${cleaned}`;
}

/** Where to POST, from the base URL the user gave (a path prefix is kept; a full API URL is taken as is). */
export function alertsUrl(base: string): string {
  const url = new URL(base);
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = path.endsWith(ALERTS_PATH) ? path : `${path}${ALERTS_PATH}`;
  return url.toString();
}

export function alertmanagerLabels(n: Pick<AlertNotification, 'rule' | 'labels'>): Record<string, string> {
  const own = Object.fromEntries(Object.entries(n.labels).filter(([, v]) => v !== '').map(([k, v]) => [labelName(k), v]));
  return { ...own, alertname: n.rule.name, severity: n.rule.severity, rule_id: String(n.rule.id), kind: n.rule.kind };
}

export function alertmanagerAlert(n: AlertNotification, at: Date, resendMs = RESEND_MS): Record<string, unknown> {
  const endsAt = n.status === 'resolved' ? (n.endsAt ?? at.toISOString()) : new Date(at.getTime() + ENDS_AFTER_RESENDS * resendMs).toISOString();
  return {
    labels: alertmanagerLabels(n),
    annotations: {
      summary: n.summary,
      description: `${n.rule.name}: value ${n.value ?? 'none'}, threshold ${n.threshold}`,
      dashboard: n.url,
      ...(n.value !== null && { value: String(n.value) }),
      threshold: String(n.threshold),
    },
    startsAt: n.startsAt,
    endsAt,
    generatorURL: n.url,
  };
}

export const alertmanagerReceiver: Receiver = {
  ...identity('alertmanager'),
  // PagerDuty answers 400 for an invalid event and 429 when rate limited; Alertmanager 400 for alerts it cannot take.
  permanentFailure: refusesMessage,
  resendWhileFiringMs: RESEND_MS,
  alertBody: (n, at) => JSON.stringify([alertmanagerAlert(n, at)]),
  // Already resolved when it arrives (endsAt = startsAt): Alertmanager accepts it, which is
  // what the test checks, and notifies no one of an alert it never saw firing.
  testBody: (endpointName, at, dashboardUrl) =>
    JSON.stringify([
      {
        labels: { alertname: 'DropscopeTest', endpoint: endpointName },
        annotations: { summary: `dropscope test delivery to ${endpointName}: alerts from this dashboard reach this Alertmanager.` },
        startsAt: at.toISOString(),
        endsAt: at.toISOString(),
        generatorURL: dashboardUrl,
      },
    ]),
  request: (endpointUrl, storedBody) => ({ url: alertsUrl(endpointUrl), headers: { 'content-type': 'application/json' }, body: storedBody }),
};
