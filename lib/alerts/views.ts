/** Alerts, transitions and webhook deliveries as pages and the API show them: plain JSON. */
import type { AlertKind, Severity } from './rule';
import type { AlertStatus } from './state-machine';

export interface AlertView {
  ruleId: number;
  rule: string;
  kind: AlertKind;
  severity: Severity;
  labels: Record<string, string>;
  status: AlertStatus;
  since: string;
  firedAt: string | null;
  value: number | null;
  evidence: Record<string, unknown>;
  evaluatedAt: string;
}

export interface TransitionView {
  id: number;
  ruleId: number;
  rule: string;
  severity: Severity;
  labels: Record<string, string>;
  from: AlertStatus;
  to: AlertStatus;
  at: string;
  value: number | null;
  evidence: Record<string, unknown>;
}

export interface DeliveryAttempt {
  startedAt: string;
  durationMs: number;
  httpStatus: number | null;
  ok: boolean;
  responseSnippet: string | null;
  error: string | null;
}

export interface Delivery {
  id: number;
  messageId: string;
  webhookId: number;
  eventType: string;
  /** The exact JSON sent on every attempt (no secret in it). */
  body: string;
  status: 'pending' | 'delivered' | 'gave_up';
  createdAt: string;
  attempts: number;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  lastError: string | null;
  history: DeliveryAttempt[];
}
