/**
 * /metrics on the real server: valid Prometheus text, carrying what the ingest path saw,
 * scraped as Prometheus does, with a viewer's API token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ended, failed, opened, rtt, rttMinute } from '../helpers/events';
import { parsePrometheusText, sampleValue, scrape } from '../helpers/prometheus';
import { addProbeToken, createApiToken, runCli, startServer, type RunningServer } from '../helpers/server';

describe('/metrics', () => {
  let server: RunningServer;
  let token: string;
  let scraper: string;
  beforeAll(async () => {
    server = await startServer();
    token = addProbeToken('edge-metrics', { DROPSCOPE_DATA_DIR: server.dataDir });
    scraper = await createApiToken(server, 'viewer', 'prometheus');
  });
  afterAll(() => server?.dispose());

  it('exposes ingest results, drops by path and close code, upgrades, RTT and live sessions', async () => {
    const post = (body: unknown, t = token) =>
      fetch(`${server.url}/api/v1/ingest`, { method: 'POST', headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post({ events: [opened('s-met00001'), ended('s-met00001', 60_000), opened('s-met00002'), failed('s-met00003', { httpStatus: 426 }), rtt('s-met00002', [12, 30]), rttMinute([0.7, 100])] })).status).toBe(200);
    expect((await post({ events: [opened('s-met00004')] }, 'dsp_1_' + 'x'.repeat(43))).status).toBe(401);
    expect((await post({ events: [] })).status).toBe(400);
    // Another probe writing edge-metrics' session; a target token posting a session event.
    const other = addProbeToken('edge-other', { DROPSCOPE_DATA_DIR: server.dataDir });
    expect((await post({ events: [ended('s-met00002', 1_000)] }, other)).status).toBe(409);
    const target = /^(dsp_\S+)$/m.exec(runCli(['probe', 'add', 'cdn-metrics', '--target'], { DROPSCOPE_DATA_DIR: server.dataDir }).stdout)![1]!;
    expect((await post({ events: [opened('s-met00005')] }, target)).status).toBe(403);

    const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${scraper}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parsePrometheusText(await res.text());
    expect(sampleValue(samples, 'dropscope_ingest_batches_total', { result: 'ok' })).toBe(1);
    expect(sampleValue(samples, 'dropscope_ingest_batches_total', { result: 'unauthorized' })).toBe(1);
    expect(sampleValue(samples, 'dropscope_ingest_batches_total', { result: 'bad_request' })).toBe(1);
    expect(sampleValue(samples, 'dropscope_ingest_batches_total', { result: 'conflict' })).toBe(1);
    expect(sampleValue(samples, 'dropscope_ingest_batches_total', { result: 'forbidden' })).toBe(1);
    expect(sampleValue(samples, 'dropscope_ingest_events_total', { type: 'session.opened', result: 'accepted' })).toBe(2);
    expect(sampleValue(samples, 'dropscope_ingest_events_total', { type: 'rtt.minute', result: 'accepted' })).toBe(1);
    expect(sampleValue(samples, 'dropscope_drops_total', { path: 'canary~direct', end_kind: 'tcp_fin', close_code: '1006' })).toBe(1);
    expect(sampleValue(samples, 'dropscope_upgrade_results_total', { result: '101' })).toBe(2);
    expect(sampleValue(samples, 'dropscope_upgrade_results_total', { result: '4xx' })).toBe(1);
    // Samples from an older probe's rtt.samples and a path's minute from rtt.minute, alike.
    expect(sampleValue(samples, 'dropscope_rtt_seconds_count')).toBe(4);
    expect(sampleValue(samples, 'dropscope_rtt_seconds_sum')).toBeCloseTo(0.1427, 9);
    expect(sampleValue(samples, 'dropscope_rtt_seconds_bucket', { le: '0.0005' })).toBe(0);
    expect(sampleValue(samples, 'dropscope_rtt_seconds_bucket', { le: '0.016' })).toBe(2);
    expect(sampleValue(samples, 'dropscope_rtt_seconds_bucket', { le: '0.032' })).toBe(3);
    expect(sampleValue(samples, 'dropscope_rtt_seconds_bucket', { le: '0.128' })).toBe(4);
    expect(sampleValue(samples, 'dropscope_rtt_seconds_bucket', { le: '+Inf' })).toBe(4);
    expect(sampleValue(samples, 'dropscope_sessions_live', { path: 'canary~direct' })).toBe(1);
    expect(sampleValue(samples, 'dropscope_process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(sampleValue(samples, 'dropscope_database_up')).toBe(1);
  });

  it('exposes the alert and webhook series, bounded to fixed label values', async () => {
    const samples = await scrape(server.url, scraper);
    expect(sampleValue(samples, 'dropscope_webhook_outbox_depth')).toBe(0);
    for (const severity of ['critical', 'warning', 'info']) expect(sampleValue(samples, 'dropscope_alerts_firing', { severity })).toBe(0);
    expect(sampleValue(samples, 'dropscope_webhook_deliveries_total')).toBe(0);
    expect(sampleValue(samples, 'dropscope_webhook_gave_up_total')).toBe(0);
    expect(sampleValue(samples, 'dropscope_alert_transitions_total')).toBe(0);
    // The evaluator runs once at start.
    expect(sampleValue(samples, 'dropscope_alert_evaluations_total', { result: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(samples.filter((s) => s.name === 'dropscope_alerts_firing')).toHaveLength(3);
  });

  it('counts the heavy reports in their slots: none left active or waiting once answered', async () => {
    expect((await server.api('/api/v1/drops?range=1h')).status).toBe(200);
    expect((await server.api('/api/v1/analysis')).status).toBe(200);
    const samples = await scrape(server.url, scraper);
    expect(sampleValue(samples, 'dropscope_reports_in_progress', { state: 'active' })).toBe(0);
    expect(sampleValue(samples, 'dropscope_reports_in_progress', { state: 'waiting' })).toBe(0);
  });
});
