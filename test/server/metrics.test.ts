/**
 * The gauges /metrics reads from the database for the Grafana dashboard (issue 19): the
 * probes' latest heartbeats by probe name, alerts by rule, severity, status and silence, and
 * the webhook outbox by format and its oldest waiting message. On every backend, from the
 * registries the server builds (server/metrics.ts, server/alerts/metrics.ts), parsed as
 * Prometheus would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Registry } from 'prom-client';
import type { Database } from '../../db/client';
import { alertRules, alertStates, probes, silences, webhookEndpoints, webhookOutbox } from '../../db/schema';
import type { RuleCondition } from '../../lib/alerts/rule';
import { createLogger } from '../../lib/log';
import { registerAlertMetrics } from '../../server/alerts/metrics';
import { createServerMetrics, sharedRead } from '../../server/metrics';
import { backends } from '../helpers/databases';
import { parsePrometheusText, sampleValue, type Sample } from '../helpers/prometheus';

const log = createLogger({ level: 'silent' });
const T = new Date('2026-11-20T10:00:00.000Z');
const scrape = async (registry: Registry): Promise<Sample[]> => parsePrometheusText(await registry.metrics());
const series = (samples: Sample[], name: string) => samples.filter((s) => s.name === name);

describe.each(backends())('database gauges on /metrics on $name', (backend) => {
  let database: Database;
  let registry: Registry;

  beforeAll(async () => {
    database = await backend.open();
    registry = createServerMetrics(database, log);
    registerAlertMetrics(registry, database, log);
  });
  afterAll(() => database.close());

  it('reports each live probe heartbeat by probe name, leaving out revoked probes, targets and the never seen', async () => {
    await database.db.insert(probes).values([
      { name: 'edge-1', tokenHash: 'h1', lastSeenAt: T, spoolDepth: 42, canariesOpen: 7, canariesConnecting: 1, canariesBackoff: 2 },
      { name: 'edge-2', tokenHash: 'h2', lastSeenAt: new Date(T.getTime() + 5_000), spoolDepth: 0, canariesOpen: 3, canariesConnecting: 0, canariesBackoff: 0 },
      { name: 'never-seen', tokenHash: 'h3' },
      { name: 'revoked', tokenHash: 'h4', lastSeenAt: T, spoolDepth: 99, canariesOpen: 9, revokedAt: T },
      { name: 'cdn', tokenHash: 'h5', kind: 'target', lastSeenAt: T, spoolDepth: 5 },
    ]);
    const s = await scrape(registry);
    expect(sampleValue(s, 'dropscope_probes_spool_depth', { probe: 'edge-1' })).toBe(42);
    expect(sampleValue(s, 'dropscope_probes_spool_depth', { probe: 'edge-2' })).toBe(0);
    expect(sampleValue(s, 'dropscope_probes_last_seen_timestamp_seconds', { probe: 'edge-1' })).toBe(T.getTime() / 1000);
    expect(sampleValue(s, 'dropscope_probes_last_seen_timestamp_seconds', { probe: 'edge-2' })).toBe(T.getTime() / 1000 + 5);
    expect(sampleValue(s, 'dropscope_probes_canaries', { probe: 'edge-1', state: 'open' })).toBe(7);
    expect(sampleValue(s, 'dropscope_probes_canaries', { probe: 'edge-1', state: 'connecting' })).toBe(1);
    expect(sampleValue(s, 'dropscope_probes_canaries', { probe: 'edge-1', state: 'backoff' })).toBe(2);
    for (const name of ['dropscope_probes_spool_depth', 'dropscope_probes_last_seen_timestamp_seconds', 'dropscope_probes_canaries']) {
      expect(new Set(series(s, name).map((x) => x.labels.probe))).toEqual(new Set(['edge-1', 'edge-2']));
    }
  });

  it('follows the table from one scrape to the next: a revoked probe disappears', async () => {
    const { eq } = await import('drizzle-orm');
    await database.db.update(probes).set({ revokedAt: T }).where(eq(probes.name, 'edge-2'));
    const s = await scrape(registry);
    expect(series(s, 'dropscope_probes_spool_depth').map((x) => x.labels.probe)).toEqual(['edge-1']);
    expect(sampleValue(s, 'dropscope_probes_canaries', { probe: 'edge-2', state: 'open' })).toBeUndefined();
  });

  it('counts pending and firing alerts by rule, severity, status and silence; resolved and inactive ones are not counted', async () => {
    const condition = { dropsPerHour: 1, windowMs: 600_000 } as unknown as RuleCondition;
    const [down, slow] = await database.db
      .insert(alertRules)
      .values([
        { name: 'proxy down', kind: 'drop_rate', severity: 'critical', forMs: 0, resolveAfterMs: 0, condition },
        { name: 'slow rtt', kind: 'rtt_p95', severity: 'warning', forMs: 0, resolveAfterMs: 0, condition },
      ])
      .returning();
    const [silence] = await database.db.insert(silences).values({ matchers: { target: 'builtin' }, startsAt: T, endsAt: new Date(T.getTime() + 3_600_000), createdBy: 'cli' }).returning();
    const state = (ruleId: number, key: string, status: 'pending' | 'firing' | 'resolved' | 'inactive', silencedBy: number | null = null) => ({
      ruleId,
      labelsKey: key,
      labels: { proxy: key },
      status,
      since: T,
      evaluatedAt: T,
      silencedBy,
    });
    await database.db.insert(alertStates).values([
      state(down!.id, 'a', 'firing'),
      state(down!.id, 'b', 'firing'),
      state(down!.id, 'c', 'firing', silence!.id),
      state(down!.id, 'd', 'pending'),
      state(down!.id, 'e', 'resolved'),
      state(slow!.id, 'a', 'pending', silence!.id),
      state(slow!.id, 'b', 'inactive'),
    ]);
    const s = await scrape(registry);
    const alerts = series(s, 'dropscope_alerts');
    expect(alerts.map((x) => ({ ...x.labels, n: x.value })).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)))).toEqual(
      [
        { rule: 'proxy down', severity: 'critical', status: 'firing', silenced: 'false', n: 2 },
        { rule: 'proxy down', severity: 'critical', status: 'firing', silenced: 'true', n: 1 },
        { rule: 'proxy down', severity: 'critical', status: 'pending', silenced: 'false', n: 1 },
        { rule: 'slow rtt', severity: 'warning', status: 'pending', silenced: 'true', n: 1 },
      ].sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))),
    );
    // The existing total by severity counts silenced firings too (they are firing).
    expect(sampleValue(s, 'dropscope_alerts_firing', { severity: 'critical' })).toBe(3);
  });

  it('reports the outbox by endpoint format and the oldest message still waiting', async () => {
    const empty = await scrape(registry);
    expect(series(empty, 'dropscope_webhook_outbox_pending')).toEqual([]);
    expect(series(empty, 'dropscope_webhook_outbox_oldest_pending_timestamp_seconds')).toEqual([]);

    const [std, slack] = await database.db
      .insert(webhookEndpoints)
      .values([
        { name: 'ops', url: 'http://127.0.0.1:9/a', secret: 'sealed-a', format: 'standard' },
        { name: 'chat', url: 'http://127.0.0.1:9/b', secret: 'sealed-b', format: 'slack' },
      ])
      .returning();
    const msg = (n: number, webhookId: number, createdAt: Date, status: 'pending' | 'delivered' | 'gave_up') => ({
      messageId: `msg_${n}`,
      webhookId,
      eventType: 'alert.firing',
      body: '{}',
      status,
      createdAt,
      nextAttemptAt: createdAt,
    });
    await database.db.insert(webhookOutbox).values([
      msg(1, std!.id, new Date(T.getTime() - 60_000), 'delivered'),
      msg(2, std!.id, new Date(T.getTime() - 30_000), 'pending'),
      msg(3, std!.id, T, 'pending'),
      msg(4, slack!.id, new Date(T.getTime() + 1_000), 'pending'),
      msg(5, slack!.id, new Date(T.getTime() - 90_000), 'gave_up'),
    ]);
    const s = await scrape(registry);
    expect(sampleValue(s, 'dropscope_webhook_outbox_pending', { format: 'standard' })).toBe(2);
    expect(sampleValue(s, 'dropscope_webhook_outbox_pending', { format: 'slack' })).toBe(1);
    expect(sampleValue(s, 'dropscope_webhook_outbox_depth')).toBe(3);
    expect(sampleValue(s, 'dropscope_webhook_outbox_oldest_pending_timestamp_seconds', { format: 'standard' })).toBe((T.getTime() - 30_000) / 1000);
    expect(sampleValue(s, 'dropscope_webhook_outbox_oldest_pending_timestamp_seconds', { format: 'slack' })).toBe((T.getTime() + 1_000) / 1000);
  });
});

describe('sharedRead', () => {
  it('runs one read for the callers of one tick and a new one once it settled', async () => {
    let reads = 0;
    const read = sharedRead(async () => ++reads);
    const [a, b, c] = await Promise.all([read(), read(), read()]);
    expect([a, b, c]).toEqual([1, 1, 1]);
    expect(await read()).toBe(2);
  });

  it('lets a failed read fail its callers and reads again next time', async () => {
    let calls = 0;
    const read = sharedRead(async () => {
      calls++;
      if (calls === 1) throw new Error('database down');
      return 'ok';
    });
    await expect(Promise.all([read(), read()])).rejects.toThrow('database down');
    expect(await read()).toBe('ok');
    expect(calls).toBe(2);
  });
});
