/**
 * The PagerDuty provider: events that PagerDuty's documented Events v2 schema accepts (the
 * strict schema of the test receiver, written from the documentation), one dedup_key per
 * alert for its trigger and its resolve, our severities mapped, the summary cut to 1024
 * characters, and the routing key only in the request, never in the stored body.
 */
import { describe, expect, it } from 'vitest';
import { SEVERITIES } from '../../../lib/alerts/rule';
import { dedupKey, pagerdutyReceiver, SEVERITY_MAP, SUMMARY_MAX } from '../../../lib/receivers/pagerduty';
import { pagerDutyEvent, pagerDutyFollowUp, pagerDutyTrigger } from '../../helpers/pagerduty-receiver';
import { AT, firing, resolved } from './fixtures';

const KEY = 'R0123456789abcdefABCDEF012345678';
const ctx = { secret: KEY, messageId: 'msg_x', now: AT };
const send = (body: string) => JSON.parse(pagerdutyReceiver.request('https://events.pagerduty.com/v2/enqueue', body, ctx).body) as Record<string, unknown>;

describe('PagerDuty Events v2 bodies', () => {
  it('a firing is a trigger the documented schema accepts, with the alert in payload and custom_details', () => {
    const event = pagerDutyTrigger.parse(send(pagerdutyReceiver.alertBody(firing(), AT)));
    expect(event).toMatchObject({
      routing_key: KEY,
      event_action: 'trigger',
      dedup_key: dedupKey(7, { proxy: 'squid', target: 'builtin' }),
      payload: { source: 'squid', severity: 'critical', component: 'squid', group: 'builtin', class: 'drop_rate', timestamp: AT.toISOString() },
      links: [{ href: firing().url, text: 'Open in dropscope' }],
      client: 'dropscope',
      client_url: firing().url,
    });
    expect(event.payload.summary).toBe(firing().summary);
    expect(event.payload.custom_details).toMatchObject({ rule: 'drops on squid', rule_id: 7, labels: { proxy: 'squid', target: 'builtin' }, value: 3, threshold: 1 });
  });

  it('a resolve carries only routing_key, event_action and dedup_key: the trigger\'s key', () => {
    const trigger = send(pagerdutyReceiver.alertBody(firing(), AT));
    const resolve = pagerDutyFollowUp.parse(send(pagerdutyReceiver.alertBody(resolved(), AT)));
    expect(Object.keys(resolve).sort()).toEqual(['dedup_key', 'event_action', 'routing_key']);
    expect(resolve).toEqual({ routing_key: KEY, event_action: 'resolve', dedup_key: trigger.dedup_key });
  });

  it('one dedup_key per alert: stable across label order and calls, distinct per rule and per label set, within 255 characters', () => {
    const a = dedupKey(7, { proxy: 'squid', target: 'builtin' });
    expect(dedupKey(7, { target: 'builtin', proxy: 'squid' })).toBe(a);
    expect(a).toMatch(/^dropscope\/7\/[0-9a-f]{20}$/);
    expect(dedupKey(8, { proxy: 'squid', target: 'builtin' })).not.toBe(a);
    expect(dedupKey(7, { proxy: 'nginx', target: 'builtin' })).not.toBe(a);
    expect(dedupKey(7, {})).not.toBe(dedupKey(7, { proxy: '' }));
    expect(dedupKey(2_147_483_647, { x: 'y'.repeat(5000) }).length).toBeLessThanOrEqual(255);
  });

  it('maps every severity of ours onto PagerDuty\'s', () => {
    for (const severity of SEVERITIES) {
      const event = pagerDutyTrigger.parse(send(pagerdutyReceiver.alertBody(firing({ rule: { id: 1, name: 'r', kind: 'drop_rate', severity } }), AT)));
      expect(event.payload.severity).toBe(SEVERITY_MAP[severity]);
    }
    expect(SEVERITY_MAP).toEqual({ critical: 'critical', warning: 'warning', info: 'info' });
  });

  it('cuts a long summary to 1024 characters, ending in an ellipsis', () => {
    const labels = Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`k${i}`, 'v'.repeat(30)]));
    const n = firing({ labels });
    expect(n.summary.length).toBeGreaterThan(SUMMARY_MAX);
    const event = pagerDutyTrigger.parse(send(pagerdutyReceiver.alertBody(n, AT)));
    expect(event.payload.summary).toHaveLength(SUMMARY_MAX);
    expect(event.payload.summary.endsWith('…')).toBe(true);
    // Without a proxy, target or probe label the source is the dashboard's host.
    expect(event.payload.source).toBe('dash.example');
  });

  it('never stores the routing key: it is put in at send time, and a missing key is an error, not a keyless event', () => {
    for (const body of [pagerdutyReceiver.alertBody(firing(), AT), pagerdutyReceiver.alertBody(resolved(), AT), pagerdutyReceiver.testBody('pd', AT, 'https://dash.example')]) {
      expect(body).not.toContain(KEY);
      expect(body).not.toContain('routing_key');
      expect(pagerDutyEvent.safeParse(JSON.parse(body)).success).toBe(false);
      expect(pagerDutyEvent.safeParse(send(body)).success).toBe(true);
    }
    expect(() => pagerdutyReceiver.request('https://x.test', pagerdutyReceiver.alertBody(firing(), AT), { ...ctx, secret: null })).toThrow(/routing key/);
    expect(pagerdutyReceiver.request('https://x.test/v2/enqueue', '{}', ctx)).toMatchObject({ url: 'https://x.test/v2/enqueue', headers: { 'content-type': 'application/json' } });
  });

  it('a test is a resolve of a key no alert has: PagerDuty checks the key, and no one is paged', () => {
    const event = pagerDutyFollowUp.parse(send(pagerdutyReceiver.testBody('on-call', AT, 'https://dash.example')));
    expect(event.event_action).toBe('resolve');
    expect(event.dedup_key).toMatch(/^dropscope\/test\//);
  });
});
