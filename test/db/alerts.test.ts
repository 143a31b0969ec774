/**
 * Every rule kind fires and resolves on seeded data, on every backend: evaluations at
 * injected instants, the states and transitions they leave, and the outbox messages of
 * the transitions receivers hear about.
 */
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { createRule, deleteRule, getRule, replaceRule, type StoredRule } from '../../db/queries/alert-rules';
import { ADVISORY_NAMESPACE, resolveBeforeDelete } from '../../db/queries/alerts-evaluate';
import { alertHistory, currentAlerts } from '../../db/queries/alerts-history';
import { storeBatch } from '../../db/queries/ingest';
import { addProbe } from '../../db/queries/probes';
import { createWebhook } from '../../db/queries/webhooks';
import { generateSecretKey } from '../../lib/crypto/secret-box';
import { recentDeliveries } from '../../db/queries/webhook-outbox';
import { webhookOutbox } from '../../db/schema';
import { alertRuleInputSchema, type AlertRuleInput } from '../../lib/alerts/rule';
import { BUILTIN_LAYERS } from '../../lib/analysis/catalogue';
import type { IngestEvent } from '../../lib/contracts/ingest';
import { createLogger } from '../../lib/log';
import { evaluateRules } from '../../server/alerts/evaluate';
import { backends } from '../helpers/databases';
import { ended, failed, heartbeat, opened, path, rtt, T0 } from '../helpers/events';
import { listAudit } from '../../db/queries/audit';
import type { Principal } from '../../lib/auth/roles';

const TEST_ACTOR: Principal = { kind: 'cli', name: 'alerts test' };

const S = 1000;
const M = 60 * S;
const at = (ms: number) => new Date(T0.getTime() + ms);
const log = createLogger({ level: 'silent' });

describe.each(backends())('alert rules on $name', (backend) => {
  let database: Database;
  let probeId: number;
  let webhookId: number;
  let seq = 0;

  beforeAll(async () => {
    database = await backend.open();
    probeId = (await addProbe(database.db, { name: 'edge-1', labels: { region: 'eu' } })).probe.id;
    webhookId = (await createWebhook(database.db, { name: 'ops', url: 'http://127.0.0.1:9/hook', format: 'standard', enabled: true }, T0, generateSecretKey())).webhook.id;
  });
  afterAll(() => database.close());

  const store = (events: IngestEvent[], nowMs: number) => storeBatch(database.db, probeId, events, at(nowMs));
  const sid = () => `s-alert-${String(++seq).padStart(6, '0')}`;
  /** A session opened at `startMs` after T0 that ended `durationMs` later. */
  const drop = (startMs: number, durationMs: number, over: { proxy?: string; endKind?: 'tcp_fin' | 'pong_timeout' | 'probe_closed' } = {}): IngestEvent[] => {
    const id = sid();
    const base = at(startMs);
    const p = path({ proxy: over.proxy ?? 'direct', kind: over.proxy && over.proxy !== 'direct' ? 'http' : 'direct' });
    return [opened(id, { path: p }, base), ended(id, durationMs, { path: p, endKind: over.endKind ?? 'tcp_fin', ...(over.endKind === 'pong_timeout' && { sinceLastRecvMs: 1000 }) }, base)];
  };

  async function rule(input: Omit<AlertRuleInput, 'severity' | 'webhooks'> & Record<string, unknown>): Promise<StoredRule> {
    return createRule(database.db, alertRuleInputSchema.parse({ severity: 'warning', webhooks: [webhookId], ...input }), T0, TEST_ACTOR);
  }
  const signatureRuns = new Map<number, number>();
  const evaluate = (ms: number) => evaluateRules(database, { now: at(ms), publicUrl: 'http://dash.test', layers: BUILTIN_LAYERS, log, signatureRuns, signatureEveryMs: 0 });
  const statuses = async (r: StoredRule) => (await currentAlerts(database.db, { ruleId: r.id })).map((a) => [a.status, a.labels]);
  const transitions = async (r: StoredRule) => (await alertHistory(database.db, { ruleId: r.id })).reverse().map((t) => `${(Date.parse(t.at) - T0.getTime()) / S}s:${t.from}>${t.to}`);
  /** The deliverer's part: the queued messages reached the receiver (a resolve retires a firing still waiting). */
  const deliverAll = (ms: number) => database.db.update(webhookOutbox).set({ status: 'delivered', deliveredAt: at(ms), attempts: 1 }).where(eq(webhookOutbox.status, 'pending'));
  const messages = async (ruleName: string) =>
    (await recentDeliveries(database.db, { webhookId, limit: 200 }))
      .map((d) => JSON.parse(d.body) as { type: string; data: { rule: { name: string }; labels: Record<string, string>; value: number; evidence: Record<string, unknown>; url: string } })
      .filter((b) => b.data.rule.name === ruleName)
      .reverse();

  it('drop_rate: pending, firing after `for`, resolved after clear for `resolveAfter`, per proxy', async () => {
    const r = await rule({ name: 'drops', kind: 'drop_rate', window: '5m', threshold: 1, for: '1m', resolveAfter: '1m', groupBy: ['proxy'] });
    // Ten drops through squid between 1 and 3 minutes (2/min over 5 min), one on direct.
    const events = Array.from({ length: 10 }, (_, i) => drop(i * 12 * S, 60 * S, { proxy: 'squid' })).flat();
    await store([...events, ...drop(0, 30 * S)], 3 * M);

    await evaluate(3 * M);
    expect(await statuses(r)).toEqual([['pending', { proxy: 'squid' }]]);
    await evaluate(3 * M + 30 * S);
    expect(await statuses(r)).toEqual([['pending', { proxy: 'squid' }]]);
    await evaluate(4 * M);
    expect(await statuses(r)).toEqual([['firing', { proxy: 'squid' }]]);
    await evaluate(4 * M); // the same instant again: nothing new
    await deliverAll(4 * M);
    await evaluate(8 * M + 30 * S); // the window no longer holds the drops: clear, not yet for 1m
    expect(await statuses(r)).toEqual([['firing', { proxy: 'squid' }]]);
    await evaluate(9 * M + 30 * S);
    expect(await statuses(r)).toEqual([['resolved', { proxy: 'squid' }]]);
    expect(await transitions(r)).toEqual(['180s:inactive>pending', '240s:pending>firing', '570s:firing>resolved']);

    const sent = await messages('drops');
    expect(sent.map((m) => m.type)).toEqual(['alert.firing', 'alert.resolved']);
    expect(sent[0]!.data).toMatchObject({ labels: { proxy: 'squid' }, value: 2, evidence: { drops: 10 }, url: 'http://dash.test/drops?range=15m&proxy=squid' });
  });

  it('upgrade_ratio: fires below the ratio, clears when upgrades succeed again', async () => {
    const r = await rule({ name: 'upgrades', kind: 'upgrade_ratio', window: '5m', threshold: 0.9, minAttempts: 5, scope: { target: 'canary' } });
    const bad = Array.from({ length: 6 }, (_, i) => failed(sid(), { httpStatus: 503 }, at(20 * M + i * S)));
    const good = Array.from({ length: 4 }, (_, i) => opened(sid(), {}, at(20 * M + i * S)));
    await store([...bad, ...good], 21 * M);
    await evaluate(21 * M);
    expect(await statuses(r)).toEqual([['firing', {}]]);
    await deliverAll(21 * M);
    await store(Array.from({ length: 10 }, (_, i) => opened(sid(), {}, at(25 * M + i * S))), 26 * M + 30 * S);
    await evaluate(26 * M + 30 * S);
    expect(await statuses(r)).toEqual([['resolved', {}]]);
    const sent = await messages('upgrades');
    expect(sent.map((m) => [m.type, m.data.value])).toEqual([['alert.firing', 0.4], ['alert.resolved', 1]]);
  });

  it('silent_deaths: fires above the count of pong timeouts', async () => {
    const r = await rule({ name: 'silent', kind: 'silent_deaths', window: '10m', threshold: 2 });
    await store(Array.from({ length: 3 }, (_, i) => drop(40 * M + i * S, 50 * S, { proxy: 'nat', endKind: 'pong_timeout' })).flat(), 41 * M);
    await evaluate(41 * M);
    expect(await statuses(r)).toEqual([['firing', {}]]);
    await evaluate(52 * M);
    expect(await statuses(r)).toEqual([['resolved', {}]]);
  });

  it('rtt_p95: fires above the bound from the minute rollups, per proxy', async () => {
    const r = await rule({ name: 'rtt', kind: 'rtt_p95', window: '5m', threshold: 200, groupBy: ['proxy'] });
    const slow = path({ proxy: 'squid', kind: 'http' });
    const id = sid();
    await store([opened(id, { path: slow }, at(60 * M)), rtt(id, Array.from({ length: 20 }, () => 400), { path: slow }, at(60 * M))], 61 * M);
    await evaluate(61 * M);
    const [alert] = await currentAlerts(database.db, { ruleId: r.id });
    expect(alert).toMatchObject({ status: 'firing', labels: { proxy: 'squid' } });
    expect(alert!.value).toBeGreaterThan(360);
    expect(alert!.value).toBeLessThan(440);
    await store([rtt(id, Array.from({ length: 20 }, () => 20), { path: slow }, at(66 * M))], 67 * M);
    await evaluate(67 * M);
    expect(await statuses(r)).toEqual([['resolved', { proxy: 'squid' }]]);
  });

  it('probe_offline: one alert per probe silent for longer than offlineAfter', async () => {
    const other = (await addProbe(database.db, { name: 'edge-2', labels: {} })).probe.id;
    await storeBatch(database.db, other, [heartbeat({}, at(80 * M))], at(80 * M));
    await store([heartbeat({}, at(80 * M))], 80 * M);
    const r = await rule({ name: 'offline', kind: 'probe_offline', offlineAfter: '2m', scope: { probe: 'edge-2' } });
    await evaluate(81 * M);
    expect(await statuses(r)).toEqual([]);
    await evaluate(83 * M);
    expect(await statuses(r)).toEqual([['firing', { probe: 'edge-2' }]]);
    await storeBatch(database.db, other, [heartbeat({}, at(84 * M))], at(84 * M));
    await evaluate(84 * M + 10 * S);
    expect(await statuses(r)).toEqual([['resolved', { probe: 'edge-2' }]]);
  });

  it('signature: learns the signatures it starts with, fires on a new one with its N, count and verdict', async () => {
    const r = await rule({ name: 'sig', kind: 'signature', window: '1h', tolerance: '2s', minCount: 5, scope: { target: 'canary' } });
    // 12 idle canaries cut at 20 s through p20; direct ones live past 60 s.
    const known = Array.from({ length: 12 }, (_, i) => [...drop(100 * M + i * 30 * S, 20_000, { proxy: 'p20' }), ...drop(100 * M + i * 30 * S, 90_000, { endKind: 'probe_closed' })]).flat();
    await store(known, 110 * M);
    await evaluate(110 * M); // learns
    expect((await getRule(database.db, r.id))!.baseline?.signatures.length).toBeGreaterThan(0);
    await evaluate(111 * M);
    expect(await statuses(r)).toEqual([]);

    const fresh = Array.from({ length: 12 }, (_, i) => [...drop(120 * M + i * 30 * S, 45_000, { proxy: 'p45' }), ...drop(120 * M + i * 30 * S, 90_000, { endKind: 'probe_closed' })]).flat();
    await store(fresh, 130 * M);
    await evaluate(130 * M);
    const firing = (await currentAlerts(database.db, { ruleId: r.id })).filter((a) => a.status === 'firing');
    expect(firing).toHaveLength(1);
    expect(firing[0]!.value).toBe(45);
    expect(firing[0]!.evidence).toMatchObject({ nSeconds: 45, count: 12 });
    expect(['new', 'moved']).toContain(firing[0]!.evidence.change);
    const [msg] = await messages('sig');
    expect(msg!.data.evidence).toMatchObject({ nSeconds: 45, count: 12, verdict: expect.stringContaining('45') });

    await evaluate(200 * M); // both out of the window
    expect((await currentAlerts(database.db, { ruleId: r.id })).map((a) => a.status)).toEqual(['resolved']);
  });

  it('a disabled rule lets its alerts resolve; a deleted one resolves them first, and receivers hear both', async () => {
    const r = await rule({ name: 'to retire', kind: 'silent_deaths', window: '10m', threshold: 0, groupBy: ['proxy'] });
    await store([...drop(300 * M, 50 * S, { proxy: 'nat-a', endKind: 'pong_timeout' }), ...drop(300 * M, 50 * S, { proxy: 'nat-b', endKind: 'pong_timeout' })], 301 * M);
    await evaluate(301 * M);
    expect((await statuses(r)).map(([s]) => s)).toEqual(['firing', 'firing']);
    await deliverAll(301 * M);
    await replaceRule(database.db, r.id, alertRuleInputSchema.parse({ name: 'to retire', severity: 'warning', webhooks: [webhookId], kind: 'silent_deaths', window: '10m', threshold: 0, groupBy: ['proxy'], enabled: false, resolveAfter: '1m' }), at(301 * M), TEST_ACTOR);
    await evaluate(301 * M + 30 * S);
    expect((await statuses(r)).map(([s]) => s)).toEqual(['firing', 'firing']);
    await evaluate(302 * M + 30 * S);
    expect((await statuses(r)).map(([s]) => s)).toEqual(['resolved', 'resolved']);

    const again = await rule({ name: 'to delete', kind: 'silent_deaths', window: '10m', threshold: 0 });
    await evaluate(303 * M);
    expect(await statuses(again)).toEqual([['firing', {}]]);
    await deliverAll(303 * M);
    expect(await resolveBeforeDelete(database.db, (await getRule(database.db, again.id))!, { now: at(303 * M + S), publicUrl: 'http://dash.test' })).toEqual({ transitions: 1, messages: 1, muted: 0 });
    await deleteRule(database.db, again.id, at(303 * M + 2 * S), TEST_ACTOR);
    // Every change is in the audit log, by whom and with the rule before it.
    const audit = (await listAudit(database.db, { limit: 50, subjectKind: 'alert_rule' })).filter((e) => [String(r.id), String(again.id)].includes(e.subjectId ?? ''));
    expect(audit.map((e) => [e.action, e.actorKind, e.actorName])).toEqual([
      ['alert_rule.delete', 'cli', 'alerts test'],
      ['alert_rule.create', 'cli', 'alerts test'],
      ['alert_rule.update', 'cli', 'alerts test'],
      ['alert_rule.create', 'cli', 'alerts test'],
    ]);
    expect(audit[0]!.before).toMatchObject({ name: 'to delete' });
    expect(audit[2]!.before).toMatchObject({ name: 'to retire', enabled: true });
    expect(audit[2]!.after).toMatchObject({ enabled: false });
    expect((await messages('to retire')).map((m) => m.type)).toEqual(['alert.firing', 'alert.firing', 'alert.resolved', 'alert.resolved']);
    expect((await messages('to delete')).map((m) => m.type)).toEqual(['alert.firing', 'alert.resolved']);
  });

  it('two evaluations at once make one transition, not two: a rule is evaluated under its advisory lock', async () => {
    const r = await rule({ name: 'race', kind: 'silent_deaths', window: '10m', threshold: 0 });
    await store(drop(400 * M, 50 * S, { proxy: 'nat-r', endKind: 'pong_timeout' }), 401 * M);
    if (backend.name === 'postgres') {
      // Another server holds the rule's lock: this evaluation waits for it instead of racing.
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let locked!: () => void;
      const lockTaken = new Promise<void>((r) => (locked = r));
      const other = database.db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(${ADVISORY_NAMESPACE}::int, ${r.id}::int)`);
        locked();
        await held;
      });
      await lockTaken;
      let done = false;
      const waiting = evaluate(401 * M).then(() => (done = true));
      await new Promise((r) => setTimeout(r, 500));
      expect(done).toBe(false);
      release();
      await other;
      await waiting;
    }
    await Promise.all([evaluate(401 * M), evaluate(401 * M)]);
    expect(await transitions(r)).toEqual(['24060s:inactive>firing']);
    expect((await messages('race')).map((m) => m.type)).toEqual(['alert.firing']);
  });
});
