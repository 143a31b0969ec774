/** What the alerts page hands its client components: plain JSON, no dates or db rows. */
export type { AlertView, Delivery, TransitionView } from '../../lib/alerts/views';

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
  format: 'standard' | 'slack';
  enabled: boolean;
}
