/**
 * What receivers are told when an alert fires or resolves: one AlertNotification, which
 * each receiver provider (lib/receivers/<format>/) turns into its own body. The body is
 * built once, stored in the outbox and sent byte for byte on every retry.
 */
import { receiverFor } from '../receivers';
import type { WebhookFormat } from '../webhooks/endpoint';
import { formatDuration } from './duration';
import type { QuorumEvidence } from './quorum';
import type { AlertKind, Severity } from './rule';

export type { WebhookFormat } from '../webhooks/endpoint';

export interface AlertNotification {
  status: 'firing' | 'resolved';
  rule: { id: number; name: string; kind: AlertKind; severity: Severity };
  labels: Record<string, string>;
  value: number | null;
  threshold: number;
  /** When the alert started firing. */
  startsAt: string;
  /** When it resolved; absent while firing. */
  endsAt?: string;
  evidence: Record<string, unknown>;
  /**
   * A quorum rule's units that saw the condition (lib/alerts/quorum.ts): at firing, the
   * probes (and label values) in breach; at resolving, those still not clear.
   */
  quorum?: QuorumEvidence;
  summary: string;
  /** The dashboard view to look at. */
  url: string;
}

const UNIT: Record<AlertKind, (v: number) => string> = {
  drop_rate: (v) => `${round(v)} drops/min`,
  upgrade_ratio: (v) => `${round(v * 100)} % upgrades`,
  signature: (v) => `N = ${round(v)} s`,
  silent_deaths: (v) => `${round(v)} silent deaths`,
  rtt_p95: (v) => `p95 RTT ${round(v)} ms`,
  probe_offline: (v) => `silent for ${formatDuration(Math.round(v / 1000) * 1000)}`,
};

const round = (v: number) => (Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 100) / 100);

/**
 * One line for people: `[FIRING] critical · drops on direct: 3 drops/min (threshold 1) · target=builtin`,
 * and for a quorum rule `· seen by 2 probes (≥2): edge-eu-1, edge-us-1`.
 */
export function summarize(n: Pick<AlertNotification, 'status' | 'rule' | 'labels' | 'value' | 'threshold' | 'evidence' | 'quorum'>): string {
  const where = Object.entries(n.labels).map(([k, v]) => `${k}=${v}`).join(', ');
  const measured = n.value === null ? 'no data' : UNIT[n.rule.kind](n.value);
  const threshold = n.rule.kind === 'signature' ? `${n.evidence.change ?? 'changed'} signature` : `threshold ${UNIT[n.rule.kind](n.threshold)}`;
  const seen = n.quorum ? ` · ${seenBy(n.quorum)}` : '';
  return `[${n.status.toUpperCase()}] ${n.rule.severity} · ${n.rule.name}: ${measured} (${threshold})${where ? ` · ${where}` : ''}${seen}`;
}

/** Names past this many are counted, not listed: a chat line stays readable. */
const SUMMARY_NAMES = 10;

function names(list: readonly string[], total: number): string {
  const shown = list.slice(0, SUMMARY_NAMES);
  const more = total - shown.length;
  return `${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

/** `seen by 2 probes (≥2): a, b`, or by label `seen in 2 region values (≥2): eu, us, by probes a, b`. */
export function seenBy(q: QuorumEvidence): string {
  const need = `(≥${q.min})`;
  if (q.by === 'probe') {
    const noun = q.count === 1 ? 'probe' : 'probes';
    return q.count === 0 ? `seen by no probe ${need}` : `seen by ${q.count} ${noun} ${need}: ${names(q.probes, q.count)}`;
  }
  const key = q.by.slice('label:'.length);
  const noun = `${key} ${q.count === 1 ? 'value' : 'values'}`;
  if (q.count === 0) return `seen in no ${key} value ${need}`;
  return `seen in ${q.count} ${noun} ${need}: ${names(q.values ?? [], q.count)}, by probes ${names(q.probes, q.probes.length)}`;
}

/** The outbox body of an alert's firing or resolve for an endpoint of `format` (its provider's). */
export function notificationBody(format: WebhookFormat, n: AlertNotification, at: Date): string {
  return receiverFor(format).alertBody(n, at);
}

/** The outbox body of "Send test" for an endpoint of `format`; it pages no one. */
export function testBody(format: WebhookFormat, endpointName: string, at: Date, dashboardUrl: string): string {
  return receiverFor(format).testBody(endpointName, at, dashboardUrl);
}
