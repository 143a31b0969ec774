/** One firing and one resolved notification of one alert, as applyEvaluation builds them. */
import { summarize, type AlertNotification } from '../../../lib/alerts/notification';

export const AT = new Date('2026-12-01T10:00:00.000Z');
export const RESOLVED_AT = new Date('2026-12-01T10:07:30.000Z');

export function firing(over: Partial<Omit<AlertNotification, 'summary'>> = {}): AlertNotification {
  const n: Omit<AlertNotification, 'summary'> = {
    status: 'firing',
    rule: { id: 7, name: 'drops on squid', kind: 'drop_rate', severity: 'critical' },
    labels: { proxy: 'squid', target: 'builtin' },
    value: 3,
    threshold: 1,
    startsAt: AT.toISOString(),
    evidence: { drops: 15 },
    url: 'https://dash.example/drops?range=15m&proxy=squid&target=builtin',
    ...over,
  };
  return { ...n, summary: summarize(n) };
}

export function resolved(over: Partial<Omit<AlertNotification, 'summary'>> = {}): AlertNotification {
  return firing({ status: 'resolved', endsAt: RESOLVED_AT.toISOString(), value: 0, ...over });
}
