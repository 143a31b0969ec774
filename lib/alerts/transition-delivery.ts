/**
 * Did anyone hear of it? Each firing and resolve in the alert history says what became of
 * its notification: sent to every receiver, still retrying, given up, held back by a
 * silence, or never sent and why (a resolve of a firing no one was told of is not sent; a
 * firing that resolved before it went out was superseded; a rule without receivers tells no
 * one). The counts come from the transition's messages in the webhook outbox
 * (db/queries/alerts-history.ts); this is the one place that reads them.
 */
import type { AlertStatus } from './state-machine';

/** Why a firing still waiting when its alert resolved was not sent (webhook_outbox.last_error). */
export const SUPERSEDED_FIRING = 'superseded: the alert resolved before this firing was delivered';

/** The transition's outbox messages by outcome, and the receivers its rule has now. */
export interface TransitionDelivery {
  /** Messages queued for this transition: one per receiver it was sent to. */
  messages: number;
  delivered: number;
  pending: number;
  /** Given up after the retry window, or refused for good by the receiver. */
  failed: number;
  /** Firings retired because the alert resolved before they went out. */
  superseded: number;
  /** Receivers the rule notifies now. */
  receivers: number;
}

/** A transition as the history shows it carries this (db/queries/alerts-history.ts). */
export interface TransitionDelivered {
  delivery: TransitionDelivery;
}

export type DeliveryState = 'quiet' | 'sent' | 'sending' | 'failed' | 'held' | 'superseded' | 'unsent' | 'no-receivers';

export interface DeliveryOutcome {
  state: DeliveryState;
  /** What the history row says; empty when there is nothing to say (or a badge says it). */
  text: string;
}

/** Only these transitions notify: a pending alert or one going quiet tells no one. */
const NOTIFYING: ReadonlySet<AlertStatus> = new Set(['firing', 'resolved']);

const receiversText = (n: number) => `${n} receiver${n === 1 ? '' : 's'}`;

export function deliveryOutcome(t: { to: AlertStatus; silencedBy: number | null; delivery: TransitionDelivery }): DeliveryOutcome {
  const d = t.delivery;
  if (!NOTIFYING.has(t.to)) return { state: 'quiet', text: '' };
  if (d.messages > 0) {
    if (d.delivered === d.messages) return { state: 'sent', text: `sent to ${receiversText(d.messages)}` };
    if (d.superseded === d.messages) return { state: 'superseded', text: 'not sent: it resolved before it went out' };
    const parts = [`${d.delivered} of ${d.messages} delivered`];
    if (d.pending > 0) parts.push(`${d.pending} retrying`);
    if (d.failed > 0) parts.push(`${d.failed} given up`);
    if (d.superseded > 0) parts.push(`${d.superseded} superseded`);
    return { state: d.failed > 0 ? 'failed' : d.pending > 0 ? 'sending' : 'superseded', text: parts.join(', ') };
  }
  // The silence badge beside it says why.
  if (t.silencedBy !== null) return { state: 'held', text: '' };
  if (d.receivers === 0) return { state: 'no-receivers', text: 'no receivers: the rule tells no one' };
  if (t.to === 'resolved') return { state: 'unsent', text: 'not sent: no receiver was told it fired' };
  return { state: 'unsent', text: 'not sent yet' };
}
