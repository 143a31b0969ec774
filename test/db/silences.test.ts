/**
 * Silences on every backend: a silenced alert changes state and is shown silenced but sends
 * nothing; a firing that outlives its silence (expired or ended early) is sent once; a
 * resolve is sent only where its firing went; a silence that does not match changes
 * nothing. Evaluations are applied at injected instants with made-up observations.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { createRule, type StoredRule } from '../../db/queries/alert-rules';
import { applyEvaluation, decideDelivery } from '../../db/queries/alerts-evaluate';
import { alertHistory, currentAlerts } from '../../db/queries/alerts-history';
import { listAudit } from '../../db/queries/audit';
import { activeSilences, createSilence, endSilence, getSilence, listSilences, SilenceError } from '../../db/queries/silences';
import { recentDeliveries } from '../../db/queries/webhook-outbox';
import { createWebhook } from '../../db/queries/webhooks';
import type { Observation } from '../../lib/alerts/observation';
import { alertRuleInputSchema } from '../../lib/alerts/rule';
import type { SilenceMatchers } from '../../lib/alerts/silence';
import type { Principal } from '../../lib/auth/roles';
import { generateSecretKey } from '../../lib/crypto/secret-box';
import { webhookOutbox } from '../../db/schema';
import { backends } from '../helpers/databases';

const ALICE: Principal = { kind: 'user', id: 'u1', name: 'Alice', email: 'alice@example.com', role: 'editor' };
const BOB: Principal = { kind: 'token', id: 7, name: 'ops-bot', role: 'editor' };
const T0 = new Date('2026-12-07T10:00:00Z');
const S = 1000;
const M = 60 * S;
const at = (ms: number) => new Date(T0.getTime() + ms);

const breach = (proxy: string): Observation => ({ labels: { proxy }, value: 5, verdict: 'breach', evidence: { drops: 25 } });
const clear = (proxy: string): Observation => ({ labels: { proxy }, value: 0, verdict: 'clear', evidence: { drops: 0 } });

describe.each(backends())('silences on $name', (backend) => {
  let database: Database;
  let webhookId: number;
  let n = 0;

  beforeAll(async () => {
    database = await backend.open();
    webhookId = (await createWebhook(database.db, { name: 'ops', url: 'http://127.0.0.1:9/hook', format: 'standard', enabled: true }, T0, generateSecretKey())).webhook.id;
  });
  afterAll(() => database.close());

  /** A fresh rule (its own name) over target builtin, one alert per proxy, firing at once. */
  const rule = async (): Promise<StoredRule> =>
    createRule(database.db, alertRuleInputSchema.parse({ name: `drops ${++n}`, kind: 'drop_rate', severity: 'critical', window: '1m', threshold: 1, scope: { target: 'builtin' }, groupBy: ['proxy'], webhooks: [webhookId] }), T0, ALICE);
  const evaluate = (r: StoredRule, ms: number, obs: Observation[]) => applyEvaluation(database.db, r, obs, { now: at(ms), publicUrl: 'http://dash.test' });
  const silence = async (matchers: SilenceMatchers, fromMs: number, toMs: number, by: Principal = ALICE) =>
    createSilence(database.db, { matchers, startsAt: at(fromMs), endsAt: at(toMs), comment: 'maintenance' }, by, at(fromMs));
  /** This rule's messages, oldest first: [type, transition id]. */
  const sent = async (r: StoredRule) => {
    const rows = await database.db.select().from(webhookOutbox);
    return rows
      .filter((m) => (JSON.parse(m.body) as { data: { rule: { id: number } } }).data.rule.id === r.id)
      .sort((a, b) => a.id - b.id)
      .map((m) => [m.eventType, m.transitionId]);
  };
  /** The deliverer's part: every queued message reached its receiver (a resolve retires a firing still waiting). */
  const deliverAll = (ms: number) => database.db.update(webhookOutbox).set({ status: 'delivered', deliveredAt: at(ms), attempts: 1 }).where(eq(webhookOutbox.status, 'pending'));
  const history = async (r: StoredRule) => (await alertHistory(database.db, { ruleId: r.id })).reverse().map((t) => [`${t.from}>${t.to}`, t.silencedBy]);
  const state = async (r: StoredRule) => (await currentAlerts(database.db, { ruleId: r.id })).map((a) => [a.status, a.labels.proxy, a.silencedBy, a.notified]);

  it('a silenced firing is written and shown silenced, but sends nothing; a resolve of it sends nothing either', async () => {
    const r = await rule();
    const s = await silence({ target: 'builtin' }, 0, 10 * M);
    const first = await evaluate(r, M, [breach('direct')]);
    expect(first).toEqual({ transitions: 1, messages: 0, muted: 1 });
    expect(await state(r)).toEqual([['firing', 'direct', s.id, false]]);
    expect(await history(r)).toEqual([['inactive>firing', s.id]]);
    expect(await sent(r)).toEqual([]);

    // Still firing under the silence: nothing.
    expect(await evaluate(r, 2 * M, [breach('direct')])).toEqual({ transitions: 0, messages: 0, muted: 0 });
    // Resolves after the silence: receivers never heard of the firing, so not of its end.
    const resolved = await evaluate(r, 11 * M, [clear('direct')]);
    expect(resolved).toEqual({ transitions: 1, messages: 0, muted: 1 });
    expect(await history(r)).toEqual([['inactive>firing', s.id], ['firing>resolved', s.id]]);
    expect(await state(r)).toEqual([['resolved', 'direct', null, false]]);
    expect(await sent(r)).toEqual([]);
  });

  it('a firing still on when its silence expires is sent once, as its firing transition, then its resolve', async () => {
    const r = await rule();
    const s = await silence({ proxy: 'squid' }, 20 * M, 22 * M);
    await evaluate(r, 21 * M, [breach('squid'), breach('direct')]);
    const [firing] = (await alertHistory(database.db, { ruleId: r.id })).filter((t) => t.labels.proxy === 'squid');
    // The other proxy is not silenced: told at once.
    expect(await sent(r)).toEqual([['alert.firing', expect.any(Number)]]);
    expect((await state(r)).sort()).toEqual([
      ['firing', 'direct', null, true],
      ['firing', 'squid', s.id, false],
    ]);

    await evaluate(r, 21 * M + 30 * S, [breach('squid'), breach('direct')]);
    expect(await sent(r)).toHaveLength(1);
    // 22m: the silence is over (its end is exclusive).
    const late = await evaluate(r, 22 * M, [breach('squid'), breach('direct')]);
    expect(late).toEqual({ transitions: 0, messages: 1, muted: 0 });
    expect((await sent(r))[1]).toEqual(['alert.firing', firing!.id]);
    expect((await currentAlerts(database.db, { ruleId: r.id })).find((a) => a.labels.proxy === 'squid')).toMatchObject({ status: 'firing', silencedBy: null, notified: true });
    // Once only.
    await evaluate(r, 23 * M, [breach('squid'), breach('direct')]);
    expect(await sent(r)).toHaveLength(2);
    // Its resolve goes, since its firing went.
    await deliverAll(23 * M);
    await evaluate(r, 24 * M, [clear('squid'), breach('direct')]);
    expect((await sent(r)).map((m) => m[0])).toEqual(['alert.firing', 'alert.firing', 'alert.resolved']);
    const delivered = (await recentDeliveries(database.db, { webhookId })).find((d) => d.eventType === 'alert.firing' && JSON.parse(d.body).data.rule.id === r.id && JSON.parse(d.body).data.labels.proxy === 'squid');
    // The late message says when the alert really started firing.
    expect(JSON.parse(delivered!.body).data).toMatchObject({ status: 'firing', labels: { proxy: 'squid' }, startsAt: at(21 * M).toISOString() });
  });

  it('ending a silence early sends the firing it held at the next evaluation', async () => {
    const r = await rule();
    const s = await silence({ rule: r.name }, 30 * M, 90 * M);
    await evaluate(r, 31 * M, [breach('direct')]);
    expect(await sent(r)).toEqual([]);
    expect(await state(r)).toEqual([['firing', 'direct', s.id, false]]);
    const ended = await endSilence(database.db, s.id, BOB, at(32 * M));
    expect(ended).toMatchObject({ id: s.id, state: 'expired', endsAt: at(32 * M).toISOString(), endedBy: 'ops-bot', startsAt: at(30 * M).toISOString() });
    // The alert is no longer shown silenced at once, not only after the next evaluation.
    expect(await state(r)).toEqual([['firing', 'direct', null, false]]);
    await evaluate(r, 32 * M + S, [breach('direct')]);
    expect((await sent(r)).map((m) => m[0])).toEqual(['alert.firing']);
    expect(await state(r)).toEqual([['firing', 'direct', null, true]]);

    await expect(endSilence(database.db, s.id, BOB, at(33 * M))).rejects.toMatchObject({ code: 'SILENCE_ERR_ENDED' });
    await expect(endSilence(database.db, 999_999, BOB, at(33 * M))).rejects.toBeInstanceOf(SilenceError);
    const audit = await listAudit(database.db, { limit: 20, subjectKind: 'silence' });
    expect(audit.filter((a) => a.subjectId === String(s.id)).map((a) => [a.action, a.actorName])).toEqual([
      ['silence.end', 'ops-bot'],
      ['silence.create', 'alice@example.com'],
    ]);
  });

  it('a silence that does not match changes nothing', async () => {
    const r = await rule();
    await silence({ target: 'elsewhere' }, 40 * M, 50 * M);
    await silence({ target: 'builtin', proxy: 'squid' }, 40 * M, 50 * M);
    await silence({ 'label:region': 'eu' }, 40 * M, 50 * M);
    await evaluate(r, 41 * M, [breach('direct')]);
    expect(await state(r)).toEqual([['firing', 'direct', null, true]]);
    expect(await history(r)).toEqual([['inactive>firing', null]]);
    expect((await sent(r)).map((m) => m[0])).toEqual(['alert.firing']);
  });

  it('a firing already sent gets its resolve even under a silence begun since; the longest silence is the one shown', async () => {
    const r = await rule();
    await evaluate(r, 60 * M, [breach('direct')]);
    const short = await silence({ target: 'builtin' }, 61 * M, 70 * M);
    const long = await silence({ proxy: 'direct' }, 61 * M, 80 * M);
    await evaluate(r, 62 * M, [breach('direct')]);
    expect(await state(r)).toEqual([['firing', 'direct', long.id, true]]);
    expect(short.id).not.toBe(long.id);
    await deliverAll(62 * M);
    await evaluate(r, 63 * M, [clear('direct')]);
    expect((await sent(r)).map((m) => m[0])).toEqual(['alert.firing', 'alert.resolved']);
    expect(await history(r)).toEqual([['inactive>firing', null], ['firing>resolved', null]]);
  });

  it('a firing held by a silence is not sent late while it is clearing, nor when it then resolves', async () => {
    const r = await createRule(database.db, alertRuleInputSchema.parse({ name: `drops ${++n}`, kind: 'drop_rate', severity: 'critical', window: '1m', threshold: 1, resolveAfter: '10m', scope: { target: 'builtin' }, groupBy: ['proxy'], webhooks: [webhookId] }), T0, ALICE);
    await silence({ rule: r.name }, 130 * M, 135 * M);
    await evaluate(r, 131 * M, [breach('direct')]);
    await evaluate(r, 132 * M, [clear('direct')]);
    // The silence is over, but the condition cleared at 2 m: only the resolve timer runs.
    expect(await evaluate(r, 136 * M, [clear('direct')])).toEqual({ transitions: 0, messages: 0, muted: 0 });
    expect(await state(r)).toEqual([['firing', 'direct', null, false]]);
    expect(await sent(r)).toEqual([]);
    // It resolves: receivers never heard of the firing, so not of its end.
    expect(await evaluate(r, 142 * M, [clear('direct')])).toEqual({ transitions: 1, messages: 0, muted: 1 });
    expect(await state(r)).toEqual([['resolved', 'direct', null, false]]);
    expect(await sent(r)).toEqual([]);
  });

  it('a planned silence ended before it starts never takes effect', async () => {
    const r = await rule();
    const planned = await createSilence(database.db, { matchers: { target: 'builtin' }, startsAt: at(110 * M), endsAt: at(120 * M), comment: '' }, ALICE, at(100 * M));
    expect(planned.state).toBe('pending');
    const ended = await endSilence(database.db, planned.id, ALICE, at(101 * M));
    expect(ended).toMatchObject({ startsAt: at(101 * M).toISOString(), endsAt: at(101 * M).toISOString(), state: 'expired', endedBy: 'alice@example.com' });
    await evaluate(r, 111 * M, [breach('direct')]);
    expect((await sent(r)).map((m) => m[0])).toEqual(['alert.firing']);
  });

  it('lists silences by state at an instant', async () => {
    const now = at(200 * M);
    const active = await silence({ probe: 'edge-1' }, 195 * M, 210 * M);
    const pending = await createSilence(database.db, { matchers: { probe: 'edge-2' }, startsAt: at(205 * M), endsAt: at(215 * M), comment: 'later' }, ALICE, now);
    const expired = await silence({ probe: 'edge-3' }, 190 * M, 199 * M);
    const ids = async (state: 'active' | 'pending' | 'expired' | 'all') => (await listSilences(database.db, { state, now })).map((s) => s.id);
    expect(await ids('active')).toContain(active.id);
    expect(await ids('active')).not.toContain(pending.id);
    expect(await ids('pending')).toEqual([pending.id]);
    expect(await ids('expired')).toContain(expired.id);
    expect(await ids('expired')).not.toContain(active.id);
    const all = await listSilences(database.db, { state: 'all', now });
    // Not over yet first (soonest end first), then the expired, latest end first.
    expect(all.slice(0, 2).map((s) => s.id)).toEqual([active.id, pending.id]);
    expect(all.find((s) => s.id === expired.id)).toMatchObject({ state: 'expired', matchers: { probe: 'edge-3' }, createdBy: 'alice@example.com', comment: 'maintenance', endedBy: null });
    const over = all.filter((s) => s.state === 'expired');
    expect(all.slice(all.length - over.length)).toEqual(over);
    expect(over.map((s) => s.endsAt)).toEqual([...over.map((s) => s.endsAt)].sort().reverse());
    expect((await activeSilences(database.db, now)).map((s) => s.id)).toEqual([active.id]);
    expect(await getSilence(database.db, pending.id, now)).toMatchObject({ state: 'pending', comment: 'later' });
    expect(await getSilence(database.db, 999_999, now)).toBeNull();
  });
});

describe('delivery under silences', () => {
  const toFiring = { to: 'firing', notify: true };
  const toResolved = { to: 'resolved', notify: true };
  const toPending = { to: 'pending', notify: false };
  it.each([
    [toFiring, 'firing', false, null, false, { deliver: 'firing', notified: true, muted: false }],
    [toFiring, 'firing', false, 3, false, { deliver: null, notified: false, muted: true }],
    [toResolved, 'resolved', true, null, false, { deliver: 'resolved', notified: false, muted: false }],
    [toResolved, 'resolved', true, 3, false, { deliver: 'resolved', notified: false, muted: false }],
    [toResolved, 'resolved', false, null, false, { deliver: null, notified: false, muted: true }],
    [null, 'firing', false, null, false, { deliver: 'firing', notified: true, muted: false }],
    [null, 'firing', false, 3, false, { deliver: null, notified: false, muted: false }],
    [null, 'firing', true, 3, false, { deliver: null, notified: true, muted: false }],
    [null, 'firing', true, null, false, { deliver: null, notified: true, muted: false }],
    // Cleared, only the resolve timer runs: a firing nobody was told of is not told now.
    [null, 'firing', false, null, true, { deliver: null, notified: false, muted: false }],
    [null, 'firing', true, null, true, { deliver: null, notified: true, muted: false }],
    [toResolved, 'resolved', false, null, true, { deliver: null, notified: false, muted: true }],
    [toPending, 'pending', false, null, false, { deliver: null, notified: false, muted: false }],
    [null, 'resolved', false, null, false, { deliver: null, notified: false, muted: false }],
  ] as const)('%j to %s, notified %s, silenced by %s, clearing %s: %j', (transition, status, notified, silencedBy, clearing, want) => {
    expect(decideDelivery(transition, status, notified, silencedBy, clearing)).toEqual(want);
  });
});
