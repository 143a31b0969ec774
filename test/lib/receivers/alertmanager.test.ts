/**
 * The Alertmanager provider: Prometheus' alert shape, labels that are the same on every
 * send (Alertmanager identifies an alert by them) and valid label names, endsAt ahead by
 * four re-send periods while firing and at the resolve time once resolved, the API path
 * under the base URL the user gave, and a test alert that arrives already resolved.
 */
import { describe, expect, it } from 'vitest';
import { alertmanagerReceiver, alertsUrl, ENDS_AFTER_RESENDS, labelName, RESEND_MS } from '../../../lib/receivers/alertmanager';
import { AT, firing, RESOLVED_AT, resolved } from './fixtures';

type Alert = { labels: Record<string, string>; annotations: Record<string, string>; startsAt: string; endsAt: string; generatorURL: string };
const alerts = (body: string) => JSON.parse(body) as Alert[];

describe('Alertmanager bodies', () => {
  it('a firing is one alert: labels, annotations, startsAt, endsAt four re-sends ahead, generatorURL', () => {
    const [a, ...rest] = alerts(alertmanagerReceiver.alertBody(firing(), AT));
    expect(rest).toEqual([]);
    expect(a).toEqual({
      labels: { alertname: 'drops on squid', severity: 'critical', rule_id: '7', kind: 'drop_rate', proxy: 'squid', target: 'builtin' },
      annotations: { summary: firing().summary, description: 'drops on squid: value 3, threshold 1', dashboard: firing().url, value: '3', threshold: '1' },
      startsAt: AT.toISOString(),
      endsAt: new Date(AT.getTime() + ENDS_AFTER_RESENDS * RESEND_MS).toISOString(),
      generatorURL: firing().url,
    });
    expect(alertmanagerReceiver.resendWhileFiringMs).toBe(60_000);
  });

  it('a re-send later moves endsAt with it; a resolve has the same labels and endsAt at the resolve', () => {
    const later = new Date(AT.getTime() + 5 * 60_000);
    const [first] = alerts(alertmanagerReceiver.alertBody(firing(), AT));
    const [again] = alerts(alertmanagerReceiver.alertBody(firing({ value: 4 }), later));
    const [end] = alerts(alertmanagerReceiver.alertBody(resolved(), RESOLVED_AT));
    expect(again!.endsAt).toBe(new Date(later.getTime() + 4 * 60_000).toISOString());
    expect(again!.startsAt).toBe(first!.startsAt);
    expect(end!.labels).toEqual(first!.labels);
    expect(again!.labels).toEqual(first!.labels);
    expect(end!.endsAt).toBe(RESOLVED_AT.toISOString());
  });

  it('makes every label name valid for Prometheus and drops empty values; ours win a clash', () => {
    expect(labelName('label:region')).toBe('label_region');
    expect(labelName('9lives')).toBe('_9lives');
    expect(labelName('a-b.c')).toBe('a_b_c');
    const [a] = alerts(alertmanagerReceiver.alertBody(firing({ labels: { 'label:region': 'eu', empty: '', alertname: 'spoof', probe: 'edge-1' } }), AT));
    expect(a!.labels).toEqual({ label_region: 'eu', probe: 'edge-1', alertname: 'drops on squid', severity: 'critical', rule_id: '7', kind: 'drop_rate' });
    for (const k of Object.keys(a!.labels)) expect(k).toMatch(/^[a-zA-Z_][a-zA-Z0-9_]*$/);
  });

  it('posts to /api/v2/alerts under the base URL, keeping a path prefix, not doubling a full API URL', () => {
    expect(alertsUrl('http://am.example:9093')).toBe('http://am.example:9093/api/v2/alerts');
    expect(alertsUrl('http://am.example:9093/')).toBe('http://am.example:9093/api/v2/alerts');
    expect(alertsUrl('https://ops.example/alertmanager/')).toBe('https://ops.example/alertmanager/api/v2/alerts');
    expect(alertsUrl('http://am.example:9093/api/v2/alerts')).toBe('http://am.example:9093/api/v2/alerts');
    const req = alertmanagerReceiver.request('http://am.example:9093', '[]', { secret: null, messageId: 'm', now: AT });
    expect(req).toEqual({ url: 'http://am.example:9093/api/v2/alerts', headers: { 'content-type': 'application/json' }, body: '[]' });
  });

  it('a test alert is already resolved when it arrives (endsAt = startsAt), so nobody is notified', () => {
    const [t] = alerts(alertmanagerReceiver.testBody('am', AT, 'https://dash.example'));
    expect(t).toMatchObject({ labels: { alertname: 'DropscopeTest', endpoint: 'am' }, startsAt: AT.toISOString(), endsAt: AT.toISOString(), generatorURL: 'https://dash.example' });
  });
});
