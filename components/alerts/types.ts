/** What the alerts page hands its client components: plain JSON, no dates or db rows. */
import type { AlertSilencing, TransitionSilencing } from '../../lib/alerts/silence';
import type { TransitionDelivered } from '../../lib/alerts/transition-delivery';
import type { AlertView as BaseAlertView, TransitionView as BaseTransitionView } from '../../lib/alerts/views';
import type { WEBHOOK_FORMATS } from '../../lib/webhooks/endpoint';

export type { Delivery } from '../../lib/alerts/views';
export type { SilenceView } from '../../lib/alerts/silence';
/** An alert with the silence muting it (db/queries/alerts-history.ts). */
export type AlertView = BaseAlertView & AlertSilencing;
export type TransitionView = BaseTransitionView & TransitionSilencing & TransitionDelivered;

/** A rule as the API shows it (lib/alerts/rule.ts ruleToWire) with its id. */
export interface RuleWire {
  id: number;
  name: string;
  kind: string;
  severity: 'critical' | 'warning' | 'info';
  enabled: boolean;
  for: string;
  resolveAfter: string;
  window?: string;
  threshold?: number;
  resolveThreshold?: number;
  minAttempts?: number;
  offlineAfter?: string;
  tolerance?: string;
  minCount?: number;
  scope: Record<string, string | undefined>;
  groupBy: string[];
  webhooks: number[];
  /** At least `min` probes, or distinct values of a probe label (`label:region`), must agree. */
  quorum?: { min: number; by: string };
}

export interface WebhookWire {
  id: number;
  name: string;
  url: string;
  format: (typeof WEBHOOK_FORMATS)[number];
  enabled: boolean;
}

/**
 * A quorum rule's "seen by 2 probes (≥2): a, b" line, written on the server
 * (lib/alerts/notification.ts seenBy) so the client tables need not bundle the receivers.
 */
export interface SeenBy {
  text: string;
  probes: string[];
}
export type WithSeen<T> = T & { seen: SeenBy | null };
