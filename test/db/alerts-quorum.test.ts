/**
 * Alert quorum on every backend (issue 17): a rule that needs K probes (or K distinct
 * label values) to see its condition stays inactive while fewer do, goes pending and fires
 * when enough do, and its alert and webhook bodies name the probes that did.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { createRule, type StoredRule } from '../../db/queries/alert-rules';
import { alertHistory, currentAlerts } from '../../db/queries/alerts-history';
import { storeBatch } from '../../db/queries/ingest';
import { addProbe } from '../../db/queries/probes';
import { recentDeliveries } from '../../db/queries/webhook-outbox';
import { webhookOutbox } from '../../db/schema';
import { createWebhook } from '../../db/queries/webhooks';
import { alertRuleInputSchema, type AlertRuleInput } from '../../lib/alerts/rule';
import { BUILTIN_LAYERS } from '../../lib/analysis/catalogue';
import type { Principal } from '../../lib/auth/roles';
import type { IngestEvent } from '../../lib/contracts/ingest';
import { generateSecretKey } from '../../lib/crypto/secret-box';
import { createLogger } from '../../lib/log';
import { evaluateRules } from '../../server/alerts/evaluate';
import { backends } from '../helpers/databases';
import { ended, failed, heartbeat, opened, path, rtt, T0 } from '../helpers/events';

const TEST_ACTOR: Principal = { kind: 'cli', name: 'quorum test' };
const S = 1000;
const M = 60 * S;
const at = (ms: number) => new Date(T0.getTime() + ms);
const log = createLogger({ level: 'silent' });

interface StandardBody {
  type: string;
  data: { rule: { name: string }; labels: Record<string, string>; quorum?: { min: number; by: string; count: number; probes: string[]; values?: string[] }; summary: string };
}

describe.each(backends())('alert quorum on $name', (backend) => {
  let database: Database;
  const probes = new Map<string, number>();
  let standardId: number;
  let slackId: number;
  let seq = 0;

  beforeAll(async () => {
    database = await backend.open();
    for (const [name, labels] of [
      ['edge-eu-1', { region: 'eu' }],
      ['edge-eu-2', { region: 'eu' }],
      ['edge-us-1', { region: 'us' }],
      ['edge-lab', {}],
      ['off-eu', { region: 'eu', fleet: 'offline' }],
      ['off-us', { region: 'us', fleet: 'offline' }],
    ] as const) {
      probes.set(name, (await addProbe(database.db, { name, labels })).probe.id);
    }
    const key = generateSecretKey();
    standardId = (await createWebhook(database.db, { name: 'ops', url: 'http://127.0.0.1:9/hook', format: 'standard', enabled: true }, T0, key)).webhook.id;
    slackId = (await createWebhook(database.db, { name: 'chat', url: 'http://127.0.0.1:9/chat', format: 'slack', enabled: true }, T0, key)).webhook.id;
  });
  afterAll(() => database.close());

  const store = (probe: string, events: IngestEvent[], nowMs: number) => storeBatch(database.db, probes.get(probe)!, events, at(nowMs));
  /** `n` sessions on `target` through `proxy`, each cut 30 s after it opened at `startMs`. */
  const drops = (target: string, startMs: number, n = 3, proxy = 'direct'): IngestEvent[] =>
    Array.from({ length: n }, (_, i) => {
      const id = `s-quorum-${String(++seq).padStart(6, '0')}`;
      const p = path({ target, proxy, kind: proxy === 'direct' ? 'direct' : 'http' });
      return [opened(id, { path: p }, at(startMs + i * S)), ended(id, 30 * S, { path: p }, at(startMs + i * S))];
    }).flat();

  const rule = (input: Omit<AlertRuleInput, 'severity' | 'webhooks'> & Record<string, unknown>): Promise<StoredRule> =>
    createRule(database.db, alertRuleInputSchema.parse({ severity: 'critical', webhooks: [standardId, slackId], ...input }), T0, TEST_ACTOR);
  const evaluate = (ms: number) => evaluateRules(database, { now: at(ms), publicUrl: 'http://dash.test', layers: BUILTIN_LAYERS, log, signatureRuns: new Map(), signatureEveryMs: 0 });
  const alerts = (r: StoredRule) => currentAlerts(database.db, { ruleId: r.id });
  const statuses = async (r: StoredRule) => (await alerts(r)).map((a) => [a.status, a.labels]);
  const transitions = async (r: StoredRule) => (await alertHistory(database.db, { ruleId: r.id })).reverse().map((t) => `${t.from}>${t.to}`);
  const bodies = async (webhookId: number) => (await recentDeliveries(database.db, { webhookId, limit: 200 })).map((d) => d.body).reverse();
  const standard = async (ruleName: string) => (await bodies(standardId)).map((b) => JSON.parse(b) as StandardBody).filter((b) => b.data.rule.name === ruleName);
  const slack = async (ruleName: string) => (await bodies(slackId)).map((b) => (JSON.parse(b) as { text: string }).text).filter((t) => t.includes(` ${ruleName}:`));

  it('K = 2 probes: inactive while one probe sees drops, pending then firing when both do; the alert names them', async () => {
    const r = await rule({ name: 'fleet drops', kind: 'drop_rate', window: '5m', threshold: 0.1, for: '1m', scope: { target: 'q-probe' }, quorum: { min: 2, by: 'probe' } });
    await store('edge-eu-1', drops('q-probe', 0), M);
    await evaluate(M);
    await evaluate(2 * M + 30 * S);
    expect(await statuses(r)).toEqual([]);
    expect(await transitions(r)).toEqual([]);

    await store('edge-us-1', drops('q-probe', 2 * M + 20 * S), 3 * M);
    await evaluate(3 * M);
    expect(await statuses(r)).toEqual([['pending', {}]]);
    await evaluate(4 * M);
    const [alert] = await alerts(r);
    expect(alert).toMatchObject({ status: 'firing', labels: {}, value: 0.6, evidence: { quorum: { min: 2, by: 'probe', count: 2, probes: ['edge-eu-1', 'edge-us-1'] }, windowMs: 300_000 } });
    expect(await transitions(r)).toEqual(['inactive>pending', 'pending>firing']);

    const [firing] = await standard('fleet drops');
    expect(firing).toMatchObject({ type: 'alert.firing', data: { labels: {}, quorum: { min: 2, count: 2, probes: ['edge-eu-1', 'edge-us-1'] } } });
    expect(firing!.data.summary).toContain('seen by 2 probes (≥2): edge-eu-1, edge-us-1');
    expect(await slack('fleet drops')).toEqual([expect.stringContaining('seen by 2 probes (≥2): edge-eu-1, edge-us-1')]);

    // eu's drops leave the window first: one probe is no quorum, and the alert resolves
    // (its firing was delivered: a resolve retires a firing still waiting instead).
    await database.db.update(webhookOutbox).set({ status: 'delivered', deliveredAt: at(4 * M), attempts: 1 }).where(eq(webhookOutbox.status, 'pending'));
    await evaluate(5 * M + 40 * S);
    expect(await statuses(r)).toEqual([['resolved', {}]]);
    const resolved = (await standard('fleet drops'))[1]!;
    expect(resolved).toMatchObject({ type: 'alert.resolved', data: { quorum: { count: 1, probes: ['edge-us-1'] } } });
  });

  it('by label: two probes in one region count once; a second region makes the quorum, per proxy', async () => {
    const r = await rule({ name: 'regions', kind: 'drop_rate', window: '5m', threshold: 0.1, scope: { target: 'q-region' }, groupBy: ['proxy'], quorum: { min: 2, by: 'label:region' } });
    await store('edge-eu-1', drops('q-region', 100 * M, 3, 'squid'), 101 * M);
    await store('edge-eu-2', drops('q-region', 100 * M, 3, 'squid'), 101 * M);
    // A probe without the label is no region, however much it drops.
    await store('edge-lab', drops('q-region', 100 * M, 9, 'squid'), 101 * M);
    await evaluate(101 * M);
    expect(await statuses(r)).toEqual([]);

    await store('edge-us-1', drops('q-region', 101 * M, 3, 'squid'), 102 * M);
    await store('edge-us-1', drops('q-region', 101 * M, 3, 'direct'), 102 * M);
    await evaluate(102 * M);
    const [alert, ...others] = await alerts(r);
    expect(others).toEqual([]);
    expect(alert).toMatchObject({ status: 'firing', labels: { proxy: 'squid' }, evidence: { quorum: { by: 'label:region', count: 2, values: ['eu', 'us'], probes: ['edge-eu-1', 'edge-eu-2', 'edge-us-1'] } } });
    const [firing] = await standard('regions');
    expect(firing!.data.quorum).toEqual({ min: 2, by: 'label:region', count: 2, values: ['eu', 'us'], probes: ['edge-eu-1', 'edge-eu-2', 'edge-us-1'] });
    expect(firing!.data.summary).toContain('proxy=squid · seen in 2 region values (≥2): eu, us, by probes edge-eu-1, edge-eu-2, edge-us-1');
  });

  it('upgrade_ratio: minAttempts and the ratio are per probe', async () => {
    const r = await rule({ name: 'upgrades', kind: 'upgrade_ratio', window: '5m', threshold: 0.5, minAttempts: 2, scope: { target: 'q-upgrade' }, quorum: { min: 2 } });
    const refused = (n: number, startMs: number) => Array.from({ length: n }, (_, i) => failed(`s-quorum-${String(++seq).padStart(6, '0')}`, { path: path({ target: 'q-upgrade' }), httpStatus: 503 }, at(startMs + i * S)));
    await store('edge-eu-1', refused(3, 200 * M), 201 * M);
    // One refusal is fewer attempts than the rule counts: us has no ratio yet.
    await store('edge-us-1', refused(1, 200 * M), 201 * M);
    await evaluate(201 * M);
    expect(await statuses(r)).toEqual([]);
    await store('edge-us-1', refused(2, 201 * M), 202 * M);
    await evaluate(202 * M);
    expect(await alerts(r)).toMatchObject([{ status: 'firing', value: 0, evidence: { quorum: { count: 2, probes: ['edge-eu-1', 'edge-us-1'] } } }]);
  });

  it('rtt_p95: each probe has its own p95', async () => {
    const r = await rule({ name: 'slow', kind: 'rtt_p95', window: '5m', threshold: 200, scope: { target: 'q-rtt' }, quorum: { min: 2 } });
    const samples = (probe: string, ms: number, startMs: number) => {
      const id = `s-quorum-${String(++seq).padStart(6, '0')}`;
      const p = path({ target: 'q-rtt' });
      return store(probe, [opened(id, { path: p }, at(startMs)), rtt(id, Array.from({ length: 20 }, () => ms), { path: p }, at(startMs))], startMs + M);
    };
    await samples('edge-eu-1', 400, 300 * M);
    await samples('edge-us-1', 20, 300 * M);
    await evaluate(301 * M);
    // Pooled, eu's samples would be the p95; per probe, only one is slow.
    expect(await statuses(r)).toEqual([]);
    await samples('edge-us-1', 400, 301 * M);
    await evaluate(302 * M);
    const [alert] = await alerts(r);
    expect(alert).toMatchObject({ status: 'firing', evidence: { quorum: { count: 2, probes: ['edge-eu-1', 'edge-us-1'] } } });
    expect(alert!.value).toBeGreaterThan(200);
  });

  it('probe_offline: one alert for the fleet when K probes are silent, naming them', async () => {
    const r = await rule({ name: 'offline', kind: 'probe_offline', offlineAfter: '2m', scope: { label: 'fleet=offline' }, quorum: { min: 2, by: 'label:region' } });
    await store('off-eu', [heartbeat({}, at(400 * M))], 400 * M);
    await store('off-us', [heartbeat({}, at(402 * M))], 402 * M);
    await evaluate(403 * M);
    expect(await statuses(r)).toEqual([]);
    await evaluate(405 * M);
    expect(await alerts(r)).toMatchObject([{ status: 'firing', labels: {}, evidence: { quorum: { count: 2, values: ['eu', 'us'], probes: ['off-eu', 'off-us'] } } }]);
  });
});
