/**
 * docs/grafana/dropscope.json against real parts (issue 19): the built server and the built
 * probe produce drops (an idle canary through a CONNECT proxy that cuts idle tunnels at
 * 1.5 s), round trips (heartbeat canaries), a firing drop-rate alert, and webhook messages
 * (one receiver up, one answering 503, so some stay pending); a real Prometheus (Debian's
 * `prometheus`) scrapes both every second; then EVERY expression of the dashboard — panels
 * in open and collapsed rows, and the variables' queries — runs through
 * `promtool query instant`, once with every variable at "All" and once with one server, one
 * probe and one path chosen. Each must run (exit 0), and each whose metrics the scenario
 * feeds must answer with samples. `promtool check metrics` lints both real scrapes.
 *
 * Needs the build (`npm run build`: dist/server.mjs, dist/dropscope-agent.js, .next) and
 * the Debian package `prometheus` (/usr/bin/prometheus, /usr/bin/promtool).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConnectProxy, type ConnectProxy } from '../../demo/connect-proxy';
import { startAgent, until, type AgentProcess } from '../helpers/agent';
import { builtinIntervals, readDashboard, runDashboardQueries, type QueryOutcome, type Substitutions } from '../helpers/grafana';
import { freePort } from '../helpers/ports';
import {
  assertPrometheusInstalled,
  PROM_CLIENT_DEFAULT_LINT,
  promtoolCheckMetrics,
  promtoolQuery,
  startPrometheus,
  type RunningPrometheus,
} from '../helpers/prometheus-server';
import { addProbeToken, createApiToken, startServer, stopChild, type RunningServer } from '../helpers/server';
import { RECEIVER_ALLOW, startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';

const PROBE = 'edge-grafana';
/** The path whose idle canaries the proxy cuts: the one with drops. */
const DROPPING_PATH = 'builtin~idle-1500';

/**
 * Expressions this scenario cannot feed, by where they are (test/helpers/grafana.ts names
 * them), and why. Every other expression must answer with at least one sample.
 */
const NOT_FED: Record<string, string> = {
  'panel "Silenced alerts" / A': 'no silence is created here (the silences tests cover them)',
  'panel "Live answers and reports" / A': 'dropscope_live_answers_total has series only once a dashboard tab is open on a live page',
};

describe('the Grafana dashboard against a real Prometheus scraping the real server and probe', { timeout: 360_000 }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dropscope-grafana-lab-'));
  let server: RunningServer;
  let proxy: ConnectProxy;
  let agent: AgentProcess | undefined;
  let prometheus: RunningPrometheus | undefined;
  let receiverUp: WebhookReceiver;
  let receiverDown: WebhookReceiver;
  let scraper: string;
  let probeMetricsPort: number;

  beforeAll(async () => {
    assertPrometheusInstalled();
    receiverUp = await startWebhookReceiver();
    receiverDown = await startWebhookReceiver();
    await receiverDown.setMode('503');
    server = await startServer({
      env: {
        DROPSCOPE_OUTBOUND_ALLOW: RECEIVER_ALLOW,
        DROPSCOPE_ALERT_INTERVAL_MS: '250',
        DROPSCOPE_WEBHOOK_POLL_MS: '100',
        DROPSCOPE_WEBHOOK_RETRY_BASE_MS: '100',
        DROPSCOPE_WEBHOOK_RETRY_MAX_MS: '400',
        DROPSCOPE_WEBHOOK_GIVE_UP_AFTER_MS: '600000',
      },
    });
    const probeToken = addProbeToken(PROBE, { DROPSCOPE_DATA_DIR: server.dataDir });
    scraper = await createApiToken(server, 'viewer', 'prometheus');

    const hooks: number[] = [];
    for (const [name, receiver] of [['up', receiverUp], ['down', receiverDown]] as const) {
      const res = await server.api('/api/v1/webhooks', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, url: `${receiver.url}/${name}`, format: 'standard' }) });
      expect(res.status, await res.clone().text()).toBe(201);
      hooks.push(((await res.json()) as { id: number }).id);
    }
    const rule = await server.api('/api/v1/alert-rules', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'proxy drops', kind: 'drop_rate', severity: 'critical', window: '5m', threshold: 0, groupBy: ['proxy'], webhooks: hooks }),
    });
    expect(rule.status, await rule.clone().text()).toBe(201);

    proxy = await startConnectProxy({ idleTimeoutMs: 1500 });
    probeMetricsPort = await freePort();
    const config = path.join(dir, 'probe.yaml');
    writeFileSync(
      config,
      `
probe: { spoolDir: ${JSON.stringify(path.join(dir, 'spool'))}, heartbeat: 1s }
backend: { url: "${server.url}", token: "\${PROBE_TOKEN}" }
reconnect: { base: 200ms, cap: 1s }
dial: { timeout: 2s }
metrics: { listen: "127.0.0.1:${probeMetricsPort}" }
targets:
  - { name: builtin, url: "ws://127.0.0.1:${server.port}/canary" }
proxies:
  - { name: direct, url: direct }
  - { name: idle-1500, url: "http://127.0.0.1:${proxy.port}" }
profiles:
  - { name: hb, kind: heartbeat, interval: 500ms, timeout: 1s }
paths:
  - { profiles: [idle, hb] }
`,
    );
    agent = startAgent(config, { PROBE_TOKEN: probeToken });
    prometheus = await startPrometheus([
      { job: 'dropscope', address: `127.0.0.1:${server.port}`, bearerToken: scraper },
      { job: 'dropscope-probe', address: `127.0.0.1:${probeMetricsPort}` },
    ]);
  }, 180_000);

  afterAll(async () => {
    await prometheus?.stop();
    if (agent) await stopChild(agent);
    await proxy?.close();
    await server?.dispose();
    await receiverUp?.close();
    await receiverDown?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  /** Poll Prometheus (bounded) until `expr` answers with a sample. */
  const untilAnswered = (expr: string, ms = 120_000) =>
    until(
      `Prometheus to answer ${expr}`,
      async () => {
        const r = await promtoolQuery(prometheus!.url, expr);
        return r.status === 0 && (r.samples?.length ?? 0) > 0;
      },
      ms,
      1000,
    );

  it('scrapes both targets', async () => {
    await until(
      'both targets up',
      async () => {
        const t = await prometheus!.targets();
        return t.length === 2 && t.every((x) => x.health === 'up');
      },
      30_000,
      500,
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(await prometheus!.targets())}\n${prometheus!.output()}\n${agent?.out()}`);
    });
  });

  it('passes promtool check metrics on both real scrapes, apart from the names prom-client chose', async () => {
    await untilAnswered('dropscope_probe_drops_total > 0');
    await untilAnswered('dropscope_drops_total > 0');
    const serverText = await (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${scraper}` } })).text();
    const probeText = await (await fetch(`http://127.0.0.1:${probeMetricsPort}/metrics`)).text();
    for (const [who, text] of [['server', serverText], ['probe', probeText]] as const) {
      expect(text, who).toContain(who === 'server' ? 'dropscope_drops_total{' : 'dropscope_probe_drops_total{');
      const { status, problems } = promtoolCheckMetrics(text);
      // 0: clean; 3: lint findings only. 1 would be a scrape promtool cannot parse.
      expect([0, 3], `${who}: ${problems.join('\n')}`).toContain(status);
      expect(problems.filter((p) => !PROM_CLIENT_DEFAULT_LINT.test(p)), who).toEqual([]);
    }
  });

  it('runs every dashboard expression, and each the scenario feeds answers with samples, at "All" and with one server, probe and path chosen', async () => {
    // What the scenario feeds, seen by Prometheus: drops, RTT minutes on both sides (shipped
    // once a wall-clock minute ends, so up to a minute and a bit), the firing alert, a
    // message pending against the 503, and the probe's heartbeat on the server.
    for (const expr of [
      `dropscope_drops_total{path="${DROPPING_PATH}"} > 0`,
      `dropscope_probes_spool_depth{probe="${PROBE}"}`,
      'dropscope_alerts{status="firing"} > 0',
      'dropscope_webhook_outbox_pending > 0',
      'dropscope_webhook_deliveries_total > 0',
      'dropscope_rtt_seconds_count > 0',
      'dropscope_probe_rtt_seconds_count > 0',
    ]) {
      await untilAnswered(expr);
    }
    // A few more scrapes, so every rate window holds two samples after the RTT minute landed.
    await new Promise((r) => setTimeout(r, 5_000));

    const dashboard = readDashboard();
    const builtins = builtinIntervals(600, 1);
    const all: Substitutions = { builtins, variables: { datasource: 'prometheus', instance: '.*', probe: '.*', probe_target: '.*', path: '.*' } };
    const one: Substitutions = {
      builtins,
      variables: { datasource: 'prometheus', instance: `127.0.0.1:${server.port}`, probe: PROBE, probe_target: `127.0.0.1:${probeMetricsPort}`, path: DROPPING_PATH },
    };
    const failures: string[] = [];
    let answered = 0;
    for (const [name, subs] of [['All', all], ['one', one]] as const) {
      // Expressions the scenario does not feed are asked again too: they must stay empty
      // for the reason given, or the NOT_FED list is stale (checked below).
      const outcomes: QueryOutcome[] = await runDashboardQueries(dashboard, subs, (expr) => promtoolQuery(prometheus!.url, expr), { retries: 5, retryMs: 1000 });
      expect(outcomes.length).toBeGreaterThan(50);
      for (const o of outcomes) {
        if (o.status !== 0 || o.samples === null) failures.push(`[${name}] ${o.where}: promtool exited ${o.status}: ${o.stderr.trim()}\n  ${o.ran}`);
        else if (o.samples === 0 && !(o.where in NOT_FED)) failures.push(`[${name}] ${o.where}: no samples\n  ${o.ran}`);
        else if (o.samples > 0 && o.where in NOT_FED && name === 'All') failures.push(`[${name}] ${o.where}: answered although listed as not fed (${NOT_FED[o.where]}): remove it from NOT_FED`);
        else if (o.samples > 0) answered++;
      }
    }
    if (failures.length > 0) failures.push(`targets: ${JSON.stringify(await prometheus!.targets())}`);
    expect(failures).toEqual([]);
    expect(answered).toBeGreaterThan(100);
  });
});
