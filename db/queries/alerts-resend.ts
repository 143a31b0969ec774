/**
 * Re-sending firing alerts to receivers that forget them otherwise (issue 19): Alertmanager
 * drops an alert at its `endsAt` unless it is sent again, as Prometheus re-sends every
 * firing alert each minute. One step of the delivery loop queues, per alert and endpoint,
 * a re-send in every period of the provider's `resendWhileFiringMs` counted from when the
 * alert fired, for alerts that are firing and were notified (a firing a silence held back
 * was never sent, so there is nothing to keep alive; H2 maintains alert_states.notified),
 * of enabled rules, to enabled endpoints of the provider's format attached to the rule.
 *
 * Durable and safe with several servers on one PostgreSQL: a re-send's message id is
 * derived from (endpoint, rule, label set, period), `amr_<webhook>_<rule>_<md5(labels_key)>_<k>`,
 * and inserted with `on conflict do nothing` on the outbox's unique message_id, so
 * whichever server comes first queues it and the others (or a restart) add nothing. The
 * same id tells which alert a queued re-send belongs to: a re-send still pending when a
 * newer one is queued, or when its alert stopped firing, is given up ("superseded"), so a
 * receiver that was down gets one fresh message rather than a backlog, and a stale firing
 * is not sent after the resolve: the deliverer checks a claimed re-send once more right
 * before sending it (resendStillWanted). (One already on the wire when the alert resolves
 * can still land after the resolve; Alertmanager then holds the alert until that re-send's
 * endsAt, at most 4 × the period, and resolves it by itself.)
 *
 * A silence holds back NEW notifications only: a firing already sent keeps being re-sent
 * under a silence begun since. Stopping would let Alertmanager see the alert end at its
 * last endsAt (a fake resolve to its receivers) and then, when the silence ends with the
 * alert still firing, see it start again and page a second time for one incident.
 * (Alertmanager's own silences are the place to mute what it routes.)
 *
 * Bounded: at most `batch` re-sends are queued per step, oldest firing first. A re-send
 * is only worth keeping while it might explain a receiver's state: delivered and given-up
 * ones older than RESEND_KEEP_PERIODS periods are deleted by the step (one row per
 * endpoint per alert per minute would otherwise fill the outbox for the 30-day retention),
 * and the delivery history leaves them out unless asked (recentDeliveries).
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import { alertLink } from '../../lib/alerts/link';
import { summarize, type AlertNotification } from '../../lib/alerts/notification';
import { quorumOf } from '../../lib/alerts/quorum';
import { RECEIVER_LIST } from '../../lib/receivers';
import type { Db, Executor } from '../client';
import { alertStates, webhookOutbox } from '../schema';
import { listRules, type StoredRule } from './alert-rules';
import { rowsOf } from './scope';

/** The outbox event type of a re-send (the first firing is `alert.firing`). */
export const RESEND_EVENT = 'alert.resend';
const SUPERSEDED = 'superseded: a newer re-send of this alert was queued';
const NOT_FIRING = 'superseded: the alert is no longer firing where this re-send was queued';

/** Finished re-sends are kept for this many of their provider's periods. */
export const RESEND_KEEP_PERIODS = 10;

/** The re-send of period `period` of alert (rule, label set hash) to endpoint `webhookId`. */
export function resendMessageId(webhookId: number, ruleId: number, keyHash: string, period: number): string {
  return `amr_${webhookId}_${ruleId}_${keyHash}_${period}`;
}
const prefixOf = (webhookId: number, ruleId: number, keyHash: string) => `amr_${webhookId}_${ruleId}_${keyHash}_`;

export interface ResendOutcome {
  /** Re-sends queued by this step. */
  queued: number;
  /** Pending re-sends given up as superseded. */
  superseded: number;
}

interface Due {
  rule_id: number;
  labels_key: string;
  webhook_id: number;
  key_hash: string;
  period: string | number;
}

/** One step; see the module comment. `publicUrl` makes the links in the bodies. */
export async function queueResends(db: Db, options: { now: Date; publicUrl: string; batch: number }): Promise<ResendOutcome> {
  const now = options.now;
  const at = sql`${now.toISOString()}::timestamptz`;
  const outcome: ResendOutcome = { queued: 0, superseded: await supersedeStale(db, now) };
  for (const receiver of RECEIVER_LIST) {
    const every = receiver.resendWhileFiringMs;
    if (every === undefined) continue;
    await pruneResends(db, receiver.format, new Date(now.getTime() - RESEND_KEEP_PERIODS * every));
    const room = options.batch - outcome.queued;
    if (room <= 0) break;
    const due = rowsOf<Due>(
      await db.execute(sql`
        with c as (
          select s.rule_id, s.labels_key, e.id as webhook_id, s.fired_at, md5(s.labels_key) as key_hash,
                 floor(extract(epoch from (${at} - s.fired_at)) * 1000 / ${every})::bigint as period
          from alert_states s
          join alert_rules r on r.id = s.rule_id and r.enabled
          join alert_rule_webhooks rw on rw.rule_id = s.rule_id
          join webhook_endpoints e on e.id = rw.webhook_id and e.enabled and e.format = ${receiver.format}
          where s.status = 'firing' and s.notified and s.fired_at is not null and s.fired_at <= ${at}
        )
        select c.rule_id, c.labels_key, c.webhook_id, c.key_hash, c.period from c
        where c.period >= 1
          and not exists (select 1 from webhook_outbox o where o.message_id = 'amr_' || c.webhook_id || '_' || c.rule_id || '_' || c.key_hash || '_' || c.period)
        order by c.fired_at, c.rule_id, c.labels_key, c.webhook_id
        limit ${room}`),
    );
    if (due.length === 0) continue;
    const rules = new Map((await listRules(db)).map((r) => [r.id, r]));
    const states = await statesOf(db, due);
    for (const d of due) {
      const rule = rules.get(Number(d.rule_id));
      const state = states.get(`${d.rule_id}\u0000${d.labels_key}`);
      if (!rule || !state?.firedAt) continue;
      const messageId = resendMessageId(Number(d.webhook_id), rule.id, d.key_hash, Number(d.period));
      const inserted = await db.transaction(async (tx) => {
        const rows = await tx
          .insert(webhookOutbox)
          .values({ messageId, webhookId: Number(d.webhook_id), transitionId: null, eventType: RESEND_EVENT, body: receiver.alertBody(notificationOf(rule, state, options.publicUrl), now), createdAt: now, nextAttemptAt: now })
          .onConflictDoNothing({ target: webhookOutbox.messageId })
          .returning({ id: webhookOutbox.id });
        if (rows.length === 0) return false;
        outcome.superseded += await supersedeOlder(tx, Number(d.webhook_id), rule.id, d.key_hash, messageId, now);
        return true;
      });
      if (inserted) outcome.queued += 1;
    }
  }
  return outcome;
}

type StateRow = typeof alertStates.$inferSelect;

async function statesOf(db: Executor, due: readonly Due[]): Promise<Map<string, StateRow>> {
  const ruleIds = [...new Set(due.map((d) => Number(d.rule_id)))];
  const keys = new Set(due.map((d) => `${d.rule_id}\u0000${d.labels_key}`));
  const rows = await db.select().from(alertStates).where(and(inArray(alertStates.ruleId, ruleIds), eq(alertStates.status, 'firing')));
  return new Map(rows.filter((r) => keys.has(`${r.ruleId}\u0000${r.labelsKey}`)).map((r) => [`${r.ruleId}\u0000${r.labelsKey}`, r]));
}

/** The alert as it stands, told again: the same shape applyEvaluation sends at firing. */
export function notificationOf(rule: StoredRule, state: Pick<StateRow, 'labels' | 'value' | 'evidence' | 'firedAt'>, publicUrl: string): AlertNotification {
  const quorum = quorumOf(state.evidence);
  const n: Omit<AlertNotification, 'summary'> = {
    status: 'firing',
    rule: { id: rule.id, name: rule.name, kind: rule.kind, severity: rule.severity },
    labels: state.labels,
    value: state.value,
    threshold: rule.condition.threshold,
    startsAt: (state.firedAt ?? new Date(0)).toISOString(),
    evidence: state.evidence,
    ...(quorum && { quorum }),
    url: alertLink(publicUrl, rule.kind, rule.scope, state.labels, rule.condition.windowMs),
  };
  return { ...n, summary: summarize(n) };
}

/**
 * Whether the re-send `messageId` (to `webhookId`) still has a firing, notified alert of an
 * enabled rule behind it (silenced or not); false for an id that is not a re-send's.
 */
export async function resendStillWanted(db: Executor, webhookId: number, messageId: string): Promise<boolean> {
  const m = /^amr_(\d+)_(\d+)_([0-9a-f]{32})_\d+$/.exec(messageId);
  if (!m || Number(m[1]) !== webhookId) return false;
  const rows = rowsOf(
    await db.execute(sql`
      select 1 as ok from alert_states s join alert_rules r on r.id = s.rule_id and r.enabled
      where s.rule_id = ${Number(m[2])} and md5(s.labels_key) = ${m[3]}
        and s.status = 'firing' and s.notified
      limit 1`),
  );
  return rows.length > 0;
}

/** Pending, unleased re-sends of one alert to one endpoint other than `keep`. */
async function supersedeOlder(tx: Executor, webhookId: number, ruleId: number, keyHash: string, keep: string, now: Date): Promise<number> {
  const rows = await tx.execute(sql`
    update webhook_outbox set status = 'gave_up', locked_until = null, last_error = ${SUPERSEDED}
    where status = 'pending' and event_type = ${RESEND_EVENT} and webhook_id = ${webhookId}
      and starts_with(message_id, ${prefixOf(webhookId, ruleId, keyHash)}) and message_id <> ${keep}
      and (locked_until is null or locked_until <= ${now.toISOString()}::timestamptz)
    returning id`);
  return rowsOf(rows).length;
}

/** Pending, unleased re-sends whose alert no longer qualifies (resolved, rule disabled, gone). */
async function supersedeStale(db: Executor, now: Date): Promise<number> {
  const rows = await db.execute(sql`
    update webhook_outbox o set status = 'gave_up', locked_until = null, last_error = ${NOT_FIRING}
    where o.status = 'pending' and o.event_type = ${RESEND_EVENT}
      and (o.locked_until is null or o.locked_until <= ${now.toISOString()}::timestamptz)
      and not exists (
        select 1 from alert_states s join alert_rules r on r.id = s.rule_id and r.enabled
        where s.status = 'firing' and s.notified
          and starts_with(o.message_id, 'amr_' || o.webhook_id || '_' || s.rule_id || '_' || md5(s.labels_key) || '_'))
    returning o.id`);
  return rowsOf(rows).length;
}

/** Delete delivered and given-up re-sends to `format` endpoints queued before `before`. */
async function pruneResends(db: Executor, format: string, before: Date): Promise<number> {
  const rows = await db.execute(sql`
    delete from webhook_outbox o using webhook_endpoints e
    where e.id = o.webhook_id and e.format = ${format}
      and o.event_type = ${RESEND_EVENT} and o.status <> 'pending'
      and o.created_at < ${before.toISOString()}::timestamptz
    returning o.id`);
  return rowsOf(rows).length;
}
