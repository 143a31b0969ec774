/**
 * Alert quorum end to end on the real server (issue 17): two probes on different regions
 * post drops through the ingest API. While only edge-eu drops, a rule that needs two
 * probes stays inactive through whole evaluation rounds; when edge-us drops too it fires,
 * and both the Standard Webhooks body (`data.quorum.probes`) and the Slack text name them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ended, opened, path as canaryPath } from '../helpers/events';
import { scrape } from '../helpers/prometheus';
import { addProbeToken, createApiToken, startServer, type RunningServer } from '../helpers/server';
import { RECEIVER_ALLOW, startWebhookReceiver, waitFor, type WebhookReceiver } from '../helpers/webhook-receiver';

const ENV = {
  // The receiver is on 127.0.0.1, which webhooks may not reach unless allowed.
  DROPSCOPE_OUTBOUND_ALLOW: RECEIVER_ALLOW,
  DROPSCOPE_ALERT_INTERVAL_MS: '250',
  DROPSCOPE_WEBHOOK_POLL_MS: '100',
  DROPSCOPE_WEBHOOK_RETRY_BASE_MS: '100',
  DROPSCOPE_WEBHOOK_RETRY_MAX_MS: '400',
};

interface StandardBody {
  type: string;
  data: { status: string; rule: { name: string }; labels: Record<string, string>; quorum?: { min: number; by: string; count: number; probes: string[] }; summary: string };
}

describe('alert quorum through webhooks', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'dropscope-quorum-e2e-'));
  let server: RunningServer;
  let receiver: WebhookReceiver;
  let scraper: string;
  const tokens = new Map<string, string>();
  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    server = await startServer({ dataDir, env: ENV });
    tokens.set('edge-eu', addProbeToken('edge-eu', { DROPSCOPE_DATA_DIR: dataDir }, ['region=eu']));
    tokens.set('edge-us', addProbeToken('edge-us', { DROPSCOPE_DATA_DIR: dataDir }, ['region=us']));
    scraper = await createApiToken(server, 'viewer', 'prometheus');
  });
  afterAll(async () => {
    await server?.stop();
    await receiver?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const json = (route: string, method: string, body: unknown) => server.api(route, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  /** Evaluation rounds finished so far, whatever their result. */
  const rounds = async () => (await scrape(server.url, scraper)).filter((s) => s.name === 'dropscope_alert_evaluations_total').reduce((n, s) => n + s.value, 0);
  /** Three sessions of `probe`, each cut 5 s after it opened, ten seconds ago. */
  async function drops(probe: string): Promise<void> {
    const at = new Date(Date.now() - 10_000);
    const p = canaryPath({ proxy: 'direct' });
    const events = [0, 1, 2].flatMap((i) => {
      const id = `s-quorum-e2e-${probe}-${i}`;
      return [opened(id, { path: p }, at), ended(id, 5000, { path: p }, at)];
    });
    const res = await fetch(`${server.url}/api/v1/ingest`, { method: 'POST', headers: { authorization: `Bearer ${tokens.get(probe)}`, 'content-type': 'application/json' }, body: JSON.stringify({ events }) });
    expect(res.status, await res.clone().text()).toBe(200);
  }

  it('stays inactive while one probe drops, fires when both do, and names them', async () => {
    const hooks: number[] = [];
    for (const [name, format] of [['ops', 'standard'], ['chat', 'slack']] as const) {
      const res = await json('/api/v1/webhooks', 'POST', { name, url: `${receiver.url}/${name}`, format });
      expect(res.status).toBe(201);
      const created = (await res.json()) as { id: number; secret: string };
      hooks.push(created.id);
      receiver.secrets.set(`/${name}`, created.secret);
    }
    const created = await json('/api/v1/alert-rules', 'POST', { name: 'fleet drops', kind: 'drop_rate', severity: 'critical', window: '5m', threshold: 0, quorum: { min: 2, by: 'probe' }, webhooks: hooks });
    expect(created.status, await created.clone().text()).toBe(201);
    const rule = (await created.json()) as { id: number; quorum: unknown };
    expect(rule.quorum).toEqual({ min: 2, by: 'probe' });

    await drops('edge-eu');
    // Two rounds that finished after the drops were stored: at least one began after them.
    const before = await rounds();
    await waitFor('two evaluation rounds after edge-eu dropped', async () => (await rounds()) >= before + 2);
    const quiet = (await (await server.api(`/api/v1/alert-rules/${rule.id}`)).json()) as { history: unknown[] };
    expect(quiet.history).toEqual([]);
    const alerts = (await (await server.api('/api/v1/alerts')).json()) as { alerts: { ruleId: number }[] };
    expect(alerts.alerts.filter((a) => a.ruleId === rule.id)).toEqual([]);
    expect(receiver.received).toEqual([]);

    await drops('edge-us');
    await waitFor('the firing alert at both endpoints', () => ['/ops', '/chat'].every((p) => receiver.received.some((r) => r.path === p && r.answered === 200)));
    const standard = JSON.parse(receiver.received.find((r) => r.path === '/ops')!.body) as StandardBody;
    expect(standard).toMatchObject({ type: 'alert.firing', data: { status: 'firing', rule: { name: 'fleet drops' }, labels: {}, quorum: { min: 2, by: 'probe', count: 2 } } });
    expect(standard.data.quorum!.probes).toEqual(['edge-eu', 'edge-us']);
    expect(standard.data.summary).toContain('seen by 2 probes (≥2): edge-eu, edge-us');
    const slack = JSON.parse(receiver.received.find((r) => r.path === '/chat')!.body) as { text: string };
    expect(slack.text).toMatch(/^\[FIRING\] critical · fleet drops: .* · seen by 2 probes \(≥2\): edge-eu, edge-us\n/);

    const history = (await (await server.api(`/api/v1/alert-rules/${rule.id}`)).json()) as { history: { from: string; to: string }[] };
    expect(history.history.map((t) => `${t.from}>${t.to}`)).toEqual(['inactive>firing']);
  });
});
