/**
 * The probe's own /metrics (agent/metrics.ts): the round trips by path that the Grafana
 * dashboard's probe RTT panel reads, fed by the `rtt.minute` events the probe ships, and
 * the drops and attempts it counts; scraped over HTTP from the real listener.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createProbeMetrics, type ProbeMetrics } from '../../agent/metrics';
import type { Reporter } from '../../agent/reporter';
import type { Spool } from '../../agent/spool';
import { ended, opened, path, rttMinute } from '../helpers/events';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus';

/** Only what the gauges read of a spool and a reporter. */
const spool = { depth: () => 17, droppedEvents: () => 0, health: () => ({ writable: true, memoryEvents: 0, lostEvents: 0 }) } as unknown as Spool;
const reporter = { stats: () => ({ sent: 5, failures: 0, deadLettered: 0, unauthorized: false, isolations: 0 }) } as unknown as Reporter;

describe('probe metrics', () => {
  let metrics: ProbeMetrics | undefined;
  afterEach(() => metrics?.close());

  it('serves the RTT of each path as a histogram whose buckets hold every shipped count exactly', async () => {
    metrics = createProbeMetrics({ runner: () => undefined, spool, reporter });
    const slow = path({ proxy: 'squid', kind: 'http', profile: 'heartbeat' });
    metrics.observe(rttMinute([0.3, 0.5, 12, 30]));
    metrics.observe(rttMinute([100], {}, 60_000));
    metrics.observe(rttMinute([2_000, 40_000], { path: slow }));
    const port = await metrics.listen('127.0.0.1:0');
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    const s = parsePrometheusText(await res.text());

    const direct = { path: 'canary~direct' };
    expect(sampleValue(s, 'dropscope_probe_rtt_seconds_count', direct)).toBe(5);
    expect(sampleValue(s, 'dropscope_probe_rtt_seconds_sum', direct)).toBeCloseTo(0.1428, 9);
    expect(sampleValue(s, 'dropscope_probe_rtt_seconds_bucket', { ...direct, le: '0.0005' })).toBe(2);
    expect(sampleValue(s, 'dropscope_probe_rtt_seconds_bucket', { ...direct, le: '0.008' })).toBe(2);
    expect(sampleValue(s, 'dropscope_probe_rtt_seconds_bucket', { ...direct, le: '0.016' })).toBe(3);
    expect(sampleValue(s, 'dropscope_probe_rtt_seconds_bucket', { ...direct, le: '0.032' })).toBe(4);
    expect(sampleValue(s, 'dropscope_probe_rtt_seconds_bucket', { ...direct, le: '0.128' })).toBe(5);
    expect(sampleValue(s, 'dropscope_probe_rtt_seconds_bucket', { ...direct, le: '+Inf' })).toBe(5);

    const squid = { path: 'canary~squid' };
    expect(sampleValue(s, 'dropscope_probe_rtt_seconds_count', squid)).toBe(2);
    expect(sampleValue(s, 'dropscope_probe_rtt_seconds_bucket', { ...squid, le: '2.048' })).toBe(1);
    // 40 s is past the last finite bound (32.768 s).
    expect(sampleValue(s, 'dropscope_probe_rtt_seconds_bucket', { ...squid, le: '32.768' })).toBe(1);
    expect(sampleValue(s, 'dropscope_probe_rtt_seconds_bucket', { ...squid, le: '+Inf' })).toBe(2);

    // Cumulative and ending at +Inf, per path: what histogram_quantile needs.
    for (const p of ['canary~direct', 'canary~squid']) {
      const buckets = s.filter((x) => x.name === 'dropscope_probe_rtt_seconds_bucket' && x.labels.path === p);
      expect(buckets).toHaveLength(18);
      expect(buckets.at(-1)!.labels.le).toBe('+Inf');
      for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
    }
  });

  it('has no RTT series before the first minute is shipped, and counts drops and attempts by path', async () => {
    metrics = createProbeMetrics({ runner: () => undefined, spool, reporter });
    metrics.observe(opened('s-pm000001'));
    metrics.observe(ended('s-pm000001', 20_000, { endKind: 'pong_timeout' }));
    metrics.observe(ended('s-pm000002', 30_000, { endKind: 'probe_closed' }));
    const s = parsePrometheusText(await metrics.registry.metrics());
    expect(s.filter((x) => x.name.startsWith('dropscope_probe_rtt_seconds'))).toEqual([]);
    expect(sampleValue(s, 'dropscope_probe_drops_total', { path: 'canary~direct', end_kind: 'pong_timeout' })).toBe(1);
    expect(sampleValue(s, 'dropscope_probe_drops_total', { path: 'canary~direct', end_kind: 'probe_closed' })).toBeUndefined();
    expect(sampleValue(s, 'dropscope_probe_attempts_total', { outcome: 'opened' })).toBe(1);
    expect(sampleValue(s, 'dropscope_probe_spool_depth')).toBe(17);
  });

  it('exposes the failed plan fetches as a counter that follows the follower', async () => {
    let fetchFailures = 0;
    metrics = createProbeMetrics({ runner: () => undefined, spool, reporter, plan: () => ({ appliedAt: null, fetchFailures }) });
    expect(await metrics.registry.metrics()).toContain('# TYPE dropscope_probe_plan_fetch_failures_total counter');
    fetchFailures = 3;
    expect(sampleValue(parsePrometheusText(await metrics.registry.metrics()), 'dropscope_probe_plan_fetch_failures_total')).toBe(3);
    fetchFailures = 4;
    expect(sampleValue(parsePrometheusText(await metrics.registry.metrics()), 'dropscope_probe_plan_fetch_failures_total')).toBe(4);
  });
});
